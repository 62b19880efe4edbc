"""Stable document ids.

With ``id_column`` the input's own ids are used (they must be unique: the runner
checks). Without it, the id is the first 32 hex digits of sha256(text), and the
k-th further copy of an identical text gets ``-k`` appended.

Which copy gets which suffix depends on the rows' content only, never on where
they were read from: copies are ordered by a hash of the whole row, so renaming or
moving the input files, or reading them in another order, gives the same ids. Rows
that are identical in every column are interchangeable: among them the suffixes go
by position, and any assignment gives the same set of (id, row) pairs.

No partition holds every copy of one text (blank lines of a ``text_unit: line``
input, a boilerplate line repeated millions of times). Rows are grouped by
(digest, row hash, spread), where ``spread`` scatters identical rows over
``SPREAD`` groups by their position in the scan; a small aggregate gives each group
its count and so the number of copies ranked before it, and the suffix is that
offset plus the row's rank inside its group. A group holds at most about
1/``SPREAD`` of one repeated row's copies.
"""
from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

GENERATED_ID = "id"
SPREAD = 1024  # groups one repeated row is scattered over

_DIGEST, _ROW, _SPREAD, _COUNT, _BEFORE = (f"__thresher_id_{c}" for c in
                                           ("digest", "row", "spread", "count", "before"))


def with_content_ids(df: DataFrame, text_column: str, id_column: str = GENERATED_ID) -> DataFrame:
    """Add ``id_column`` = content hash (+ occurrence suffix for identical texts).

    Call it on the rows as read (no shuffle before it): the spread of identical rows
    uses their position in the scan, which must be the same in both reads of the
    plan below (the group counts and the rows)."""
    columns = df.columns
    row_hash = F.xxhash64(*[F.col(c) for c in columns])
    tagged = df.withColumns({
        _DIGEST: F.substring(F.sha2(F.coalesce(F.col(text_column), F.lit("")), 256), 1, 32),
        _ROW: row_hash,
    }).withColumn(
        # Only identical rows (same hash) are ordered by it: position breaks no content tie.
        _SPREAD, F.pmod(F.xxhash64(F.col(_ROW), F.monotonically_increasing_id()), F.lit(SPREAD)))
    keys = [_DIGEST, _ROW, _SPREAD]
    groups = tagged.groupBy(*keys).agg(F.count(F.lit(1)).alias(_COUNT))
    # One row per group: a text repeated n times in identical rows has <= SPREAD of them.
    order = Window.partitionBy(_DIGEST).orderBy(_ROW, _SPREAD)
    offsets = groups.select(*keys, F.coalesce(
        F.sum(_COUNT).over(order.rowsBetween(Window.unboundedPreceding, -1)), F.lit(0)).alias(_BEFORE))
    # Within a group rows are identical (a 64-bit hash collision aside, ordered by a
    # second hash): any order among them is the same multiset.
    within = Window.partitionBy(*keys).orderBy(F.hash(*[F.col(c) for c in columns]))
    occurrence = F.col(_BEFORE) + F.row_number().over(within) - 1
    return (
        tagged.join(offsets, keys)
        .withColumn(id_column, F.when(occurrence == 0, F.col(_DIGEST))
                    .otherwise(F.concat_ws("-", F.col(_DIGEST), occurrence.cast("string"))))
        .select(*columns, id_column)
    )
