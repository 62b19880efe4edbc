"""``exact_dedup``: one representative per group of live rows with the same text.

The text is hashed with SHA-256 (Spark's ``sha2(text, 256)`` over the UTF-8 bytes,
64 hex characters). SHA-256 alone decides equality: a collision between two
different texts is not a practical concern (no pair is known), so no second hash or
text comparison is done. With ``normalize`` (the default) the hashed text is
lower-cased, every run of Unicode whitespace (Java ``(?U)\\s``: spaces, tabs,
newlines, NBSP, ...) becomes one space, and the ends are trimmed; so ``"Hello  World\\n"``
and ``"hello world"`` are duplicates. ``normalize: false`` hashes the raw text.

Semantics:

* Only live rows (no earlier drop reason) take part: rows dropped earlier are never
  keepers, never counted and never marked again.
* Rows with a null text have nothing to hash: they are not duplicates of anything
  (kept, ``dup_count`` null, hash null).
* In each group of live rows with equal hash one keeper survives: the smallest id;
  with ``keep_by`` the row with the highest ``keep_by`` value (``keep_order: min``:
  the lowest), nulls in ``keep_by`` last, ties by the smallest id. The id is unique,
  so the choice is total and does not depend on partitioning.
* The other rows of the group are dropped with reason ``duplicate`` and detail
  ``duplicate of <keeper id>``.
* ``dup_count`` (optional) = size of the live group, on each live row of the group
  (keeper and duplicates alike; 1 for a unique text); null on dead rows and on rows
  with a null text. ``hash_column`` (optional) keeps the hex hash on every row.

Implementation: one window partitioned by the hash over the full rows, so the data
is shuffled once. Rows that take no part (dead, or null text) are partitioned by
their own id instead of a shared null key, so they spread evenly and never form a
group. No action runs inside ``transform``.

Example::

    - exact_dedup: {normalize: true, keep_by: quality, dup_count: true}
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from thresher.operators.base import DropRule, Operator, OpParams, live, mark_drops
from thresher.operators.registry import register

DUP_COUNT = "dup_count"

_HASH = "_thresher_exact_hash"
_CAND = "_thresher_exact_candidate"
_RANK = "_thresher_exact_rank"
_KEEPER = "_thresher_exact_keeper"
_COUNT = "_thresher_exact_count"
_TEMP = (_HASH, _CAND, _RANK, _KEEPER, _COUNT)


def normalized_text(text: Column) -> Column:
    """Lower-case, collapse runs of Unicode whitespace to one space, trim the ends."""
    return F.trim(F.regexp_replace(F.lower(text), r"(?U)\s+", " "))


@register("exact_dedup")
class ExactDedup(Operator):
    """Drop exact duplicates of the (normalised) text, keeping one row per group.

    The keeper is the smallest id, or the best ``keep_by`` value (ties by smallest id);
    the others get reason ``duplicate`` with detail ``duplicate of <keeper id>``.
    SHA-256 of the text decides equality. See the module docstring for details.

    Example::

        - exact_dedup: {normalize: true, keep_by: quality, dup_count: true}
    """

    class Params(OpParams):
        normalize: bool = Field(
            True, description="Hash the text lower-cased with whitespace runs collapsed to "
                              "one space and trimmed; false hashes the raw text.")
        keep_by: str | None = Field(
            None, description="Column that picks the keeper of each duplicate group "
                              "(highest value, see keep_order; ties and nulls: smallest id). "
                              "Unset: the smallest id is kept.")
        keep_order: Literal["max", "min"] = Field(
            "max", description="With keep_by: keep the row with the highest (max) or lowest "
                               "(min) keep_by value.")
        dup_count: bool = Field(
            False, description="Add column dup_count: size of the duplicate group on its "
                               "live rows (null on dead rows and null texts).")
        hash_column: str | None = Field(
            None, min_length=1,
            description="If set, also keep the SHA-256 hex of the (normalised) text "
                        "in this column.")

        @model_validator(mode="after")
        def _consistent(self) -> "ExactDedup.Params":
            if "keep_order" in self.model_fields_set and self.keep_by is None:
                raise ValueError("keep_order only applies with keep_by; set keep_by too")
            if self.dup_count and self.hash_column == DUP_COUNT:
                raise ValueError(f"hash_column cannot be '{DUP_COUNT}' when dup_count is on")
            return self

    def requires(self) -> dict[str, str]:
        needs = {self.ctx.text_column: "string", self.ctx.id_column: "any"}
        if self.params.keep_by is not None:
            needs[self.params.keep_by] = "any"
        return needs

    def adds(self) -> list[str]:
        added = [DUP_COUNT] if self.params.dup_count else []
        if self.params.hash_column is not None:
            added.append(self.params.hash_column)
        return added

    def transform(self, df: DataFrame) -> DataFrame:
        p = self.params
        id_col = F.col(self.ctx.id_column)
        text = normalized_text(self.text) if p.normalize else self.text
        df = df.withColumn(_HASH, F.sha2(text, 256))
        df = df.withColumn(_CAND, live() & F.col(_HASH).isNotNull())

        cand = F.col(_CAND)
        # Candidates group by hash; every other row is alone under its own id.
        group = (F.when(cand, F.col(_HASH)), F.when(~cand, id_col))
        order = [id_col.asc()]
        if p.keep_by is not None:
            by = F.col(p.keep_by)
            order.insert(0, by.desc_nulls_last() if p.keep_order == "max" else by.asc_nulls_last())
        ordered = Window.partitionBy(*group).orderBy(*order)
        whole = Window.partitionBy(*group)
        df = df.withColumns({
            _RANK: F.row_number().over(ordered),
            _KEEPER: F.first(id_col).over(ordered.rowsBetween(Window.unboundedPreceding,
                                                              Window.currentRow)),
            _COUNT: F.count(F.lit(1)).over(whole),
        })

        rule = DropRule("duplicate", cand & (F.col(_RANK) > 1),
                        F.format_string("duplicate of %s", F.col(_KEEPER)))
        out = mark_drops(df, [rule], self.ctx)
        extra = {}
        if p.dup_count:
            extra[DUP_COUNT] = F.when(cand, F.col(_COUNT))
        if p.hash_column is not None:
            extra[p.hash_column] = F.col(_HASH)
        if extra:
            out = out.withColumns(extra)
        return out.drop(*_TEMP)
