"""Exact global ranks without a global window: quantile buckets, then per-bucket ranks.

``select``'s top fraction and PreSelect's example picking both need each row's place
in one total order (score, then id). A ``Window.orderBy`` without ``partitionBy``
gives that by sending every row to one task; ``global_ranks`` gives the same numbers
distributed:

1. An approximate-quantile aggregate of the scores gives ``CUTS`` cut points; each
   scored row falls in the bucket its score lies in (a binary search written as nested
   ``CASE WHEN``: a few comparisons a row, code-generated). Buckets follow the
   ranking: every row of bucket ``b`` ranks before every row of ``b + 1``, and equal
   scores share a bucket. Unscored rows form a last bucket of their own.
2. A per-bucket aggregate (count and weight, at most ``CUTS + 2`` rows), folded into
   one row of arrays, gives each bucket the rows and weight ranked before it, and the
   total.
3. A window partitioned by bucket ranks the rows of each bucket exactly (score, then
   id); bucket offsets + in-bucket ranks are the global ranks. One task holds one
   bucket: about ``1 / (CUTS + 1)`` of the rows, except that one score repeated by
   many rows stays in one bucket (ties cannot be split by score quantiles).

The input is read by several branches (quantiles, bucket sizes, rows): callers cache
it when the step before is costly (a scorer).
"""
from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

PREFIX = "_thresher_rank_"
BUCKET, WEIGHT, RANK, BEFORE, TOTAL = (PREFIX + c for c in ("bucket", "weight", "rank",
                                                           "before", "total"))
_CUTS_COL, _HN, _HW, _OFF_N, _OFF_W = (PREFIX + c for c in ("cuts", "hn", "hw", "off_n", "off_w"))

# Quantile cut points of the ranking (so CUTS + 1 score buckets), and the quantile
# sketch's accuracy: a bucket holds about 1/(CUTS+1) of the scored rows, +- 1/ACCURACY.
CUTS = 127
ACCURACY = 10_000


def bucket_of(value: Column, cuts: Column, descending: bool) -> Column:
    """Index of ``value``'s bucket among the ascending ``cuts``: the number of cut points
    ranked before it (below it ascending, above it descending). A binary search as
    nested CASE WHEN: log2(CUTS) comparisons a row instead of CUTS (a lambda over the
    array would be interpreted, row by row)."""
    def count(lo: int, hi: int, before) -> Column:  # cut points [0, lo) are before value
        if lo == hi:
            return F.lit(lo)
        mid = (lo + hi) // 2
        return F.when(before(cuts[mid]), count(mid + 1, hi, before)).otherwise(count(lo, mid, before))

    if descending:  # the cut points above value = all - those at or below it
        return F.lit(CUTS) - count(0, CUTS, lambda c: c <= value)
    return count(0, CUTS, lambda c: c < value)


def global_ranks(rows: DataFrame, *, value: str, id_column: str, scored: Column,
                 descending: bool = True, weight: Column | None = None) -> DataFrame:
    """The ``scored`` rows of ``rows`` with ``RANK`` (1-based place in the order value,
    then id ascending), ``BEFORE`` (summed ``weight`` of the rows ranked strictly before)
    and ``TOTAL`` (summed weight of all ``rows``, unscored ones included: they rank
    last). ``weight`` defaults to 1 a row. Exactly a global ``row_number`` / running sum,
    computed without a single-task stage (module docstring)."""
    weight = (F.lit(1) if weight is None else weight).cast("long")
    score = F.col(value).cast("double")
    pcts = [i / (CUTS + 1) for i in range(1, CUTS + 1)]
    cuts = rows.where(scored).agg(F.percentile_approx(score, pcts, ACCURACY).alias(_CUTS_COL))
    tagged = rows.crossJoin(F.broadcast(cuts)).withColumns({
        BUCKET: F.when(scored, bucket_of(score, F.col(_CUTS_COL), descending))
                 .otherwise(F.lit(CUTS + 1)),
        WEIGHT: weight,
    }).drop(_CUTS_COL)

    # One row of arrays indexed by bucket, built from <= CUTS + 2 bucket sizes (a
    # lookup per row after, not a join).
    sizes = tagged.groupBy(BUCKET).agg(F.count(F.lit(1)).alias(_HN), F.sum(WEIGHT).alias(_HW))
    listed = sizes.agg(F.collect_list(F.struct(BUCKET, _HN, _HW)).alias(_CUTS_COL))
    every = F.sequence(F.lit(0), F.lit(CUTS + 1))

    def before_each(field: str) -> Column:
        return F.transform(every, lambda b: F.aggregate(
            F.filter(F.col(_CUTS_COL), lambda s: s[BUCKET] < b), F.lit(0).cast("long"),
            lambda acc, s: acc + s[field].cast("long")))

    offsets = listed.select(before_each(_HN).alias(_OFF_N), before_each(_HW).alias(_OFF_W),
                            F.aggregate(F.col(_CUTS_COL), F.lit(0).cast("long"),
                                        lambda acc, s: acc + s[_HW].cast("long")).alias(TOTAL))

    by_value = F.col(value).desc() if descending else F.col(value).asc()
    in_bucket = Window.partitionBy(BUCKET).orderBy(by_value, F.col(id_column).asc())
    return tagged.where(scored).crossJoin(F.broadcast(offsets)).withColumns({
        RANK: (F.col(_OFF_N)[F.col(BUCKET)] + F.row_number().over(in_bucket)).cast("long"),
        BEFORE: (F.col(_OFF_W)[F.col(BUCKET)] + F.coalesce(
            F.sum(WEIGHT).over(in_bucket.rowsBetween(Window.unboundedPreceding, -1)),
            F.lit(0))).cast("long"),
    }).drop(_OFF_N, _OFF_W)


HASH = PREFIX + "hash"


def first_by_hash(rows: DataFrame, limit: int, *, key: list[str], id_column: str) -> DataFrame:
    """The ``limit`` rows of ``rows`` with the smallest ``xxhash64`` of the ``key`` columns
    (ties by ``id_column``), with that hash as column ``HASH``: a deterministic sample of
    exactly ``min(limit, rows)`` rows, the same whatever the partitioning, found by
    ``global_ranks`` (no single-task stage). Training steps bound what they collect to
    the driver with it."""
    hashed = rows.withColumn(HASH, F.xxhash64(*key))
    ranked = global_ranks(hashed, value=HASH, id_column=id_column, scored=F.lit(True))
    return ranked.where(F.col(RANK) <= limit).drop(BUCKET, WEIGHT, RANK, BEFORE, TOTAL)
