"""``select``: keep rows by a score, with fixed bounds or as the best fraction.

Two modes, exactly one per step:

* **threshold** (``min`` and/or ``max``): keep live rows with ``min <= value <= max``.
  A row-local filter: each row is judged on its own value.
* **top fraction** (``top_fraction``): rank the live rows by the score and keep the best
  ``top_fraction`` of them, counted in rows or, with ``weight: chars``, in characters of
  the text column (PreSelect keeps the best 10% of characters), or, with
  ``weight_column``, in the sum of a numeric column (tokens, from ``token_count``).

Top-fraction semantics, precisely:

1. Only live rows (no earlier drop reason) take part: they alone make the ranking
   and the total, so rows dropped earlier never shift the cut.
2. Order: by the score (``descending: true`` = highest first), ties broken by the
   document id ascending, so the order is total and the verdicts do not depend on
   partitioning. Null scores (and NaN, which is treated as null) rank last.
3. Weight of a row: 1 (``rows``), ``length(text)`` (``chars``; a null text weighs 0) or
   the ``weight_column`` value (null weighs 0; negative values are an error of the data
   that the stats would show, so they count as 0 too).
   ``total`` = the summed weight of all live rows, null-score rows included (they are
   part of the corpus, ranked last).
4. A row is kept iff the summed weight of the rows strictly before it in that order
   is < ``top_fraction * total``. The comparison is exact (rational arithmetic on
   the decimal value of ``top_fraction``), so 0.3 of 10 rows keeps exactly 3. The
   first row in the order is always kept, so at least one row survives whenever
   there is a live row (this matters only when every weight is 0). With ``chars``
   the last kept row may cross the budget: the kept characters are the smallest
   prefix of the ranking that reaches ``top_fraction`` of the total.
5. Rows with a null (or NaN) score are always dropped with reason ``null``.

Reasons: ``below_min``, ``above_max``, ``not_in_top_fraction``, ``null``; the detail
holds the row's value and the bound or the cut.

Implementation of top fraction, distributed and exact: ``operators/ranking.py``'s
``global_ranks`` (quantile buckets of the score, per-bucket offsets, a window
partitioned by bucket), so no task ever holds every row and the verdicts and details
are the same as a single global ranking's.

The input is read by several branches of that plan (quantiles, bucket sizes, rows),
so ``select`` persists it unless it is cached already (the staged runner caches each
step's input): the scorer before it then runs once per row, in fused mode too and
inside ``dfn_filter``. ``release()`` frees that cache. No action runs in
``transform``: everything stays lazy.

Example::

    - select: {column: quality, min: 0.2, max: 1.0}                           # threshold
    - select: {column: preselect_score, top_fraction: 0.1, weight: chars}      # top 10% of chars
    - select: {column: quality, top_fraction: 0.3, weight_column: n_tokens}   # 30% of tokens
    - select: {column: preselect, top_fraction: 0.1, weight: chars,
               share_of: "source LIKE 'pydoc_data.topics%'"}                  # + its enrichment
"""
from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pydantic import Field, model_validator
from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, FloatType

from .base import DROP_STEP, DropRule, Operator, OpParams, live, mark_drops, tally_column
from .errors import RecipeError
from .measures import Measure
from .ranking import BEFORE, RANK, TOTAL, global_ranks
from .registry import register

# Temporary columns of the top-fraction verdict (dropped before returning).
_PREFIX = "_thresher_select_"
_KEEP, _LAST = (_PREFIX + c for c in ("keep", "last_kept"))


@register("select")
class Select(Operator):
    """Keep rows whose score lies within bounds, or the best fraction of rows by score.

    Threshold mode keeps ``min <= column <= max`` (either bound may be left out); top-
    fraction mode keeps the best ``top_fraction`` of live rows (or of their characters)
    ranked by ``column``, ties broken by id. Null and NaN scores are dropped as ``null``.
    See the module docstring for the exact cut rule.

    Example::

        - select: {column: quality, min: 0.2, max: 1.0}
        - select: {column: preselect_score, top_fraction: 0.1, weight: chars}
    """

    class Params(OpParams):
        column: str = Field(description="Numeric score column to select on.")
        min: float | None = Field(
            None, description="Threshold mode: keep rows with value >= min (inclusive).")
        max: float | None = Field(
            None, description="Threshold mode: keep rows with value <= max (inclusive).")
        top_fraction: float | None = Field(
            None, gt=0, le=1,
            description="Top-fraction mode: keep the best fraction of live rows, in (0, 1]; "
                        "a row is kept iff the weight of the rows ranked strictly before it "
                        "is < top_fraction * total live weight.")
        descending: bool = Field(
            True, description="Top-fraction mode: true ranks the highest scores first, "
                              "false the lowest. Ties are broken by id ascending.")
        weight: Literal["rows", "chars"] = Field(
            "rows", description="Top-fraction mode: count the fraction in rows, or in "
                                "characters of the text column (PreSelect keeps 10% of chars).")
        weight_column: str | None = Field(
            None, min_length=1, description="Top-fraction mode: count the fraction in the sum "
                                            "of this numeric column instead (e.g. n_tokens; "
                                            "whole numbers, nulls and negatives weigh 0)")
        share_of: str | None = Field(
            None, description="A SQL predicate, e.g. \"source LIKE 'wiki%'\": the stats report "
                              "its share of the weight (rows or chars) among the live rows before "
                              "the cut and among the rows kept, and their ratio (the enrichment "
                              "against a random selection of the same size).")

        @model_validator(mode="after")
        def _exactly_one_mode(self) -> "Select.Params":
            threshold = self.min is not None or self.max is not None
            top = self.top_fraction is not None
            if threshold and top:
                raise ValueError("give either min/max (threshold mode) or top_fraction "
                                 "(top-fraction mode), not both")
            if not threshold and not top:
                raise ValueError("give min and/or max (threshold mode) or top_fraction "
                                 "(top-fraction mode); found none of them")
            for name in ("min", "max"):
                value = getattr(self, name)
                if value is not None and math.isnan(value):
                    raise ValueError(f"{name} must be a number, found NaN")
            if self.min is not None and self.max is not None and self.min > self.max:
                raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
            if self.weight_column is not None and "weight" in self.model_fields_set:
                raise ValueError("give weight (rows or chars) or weight_column, not both")
            if threshold:
                stray = sorted({"descending", "weight", "weight_column"} & self.model_fields_set)
                if stray:
                    raise ValueError(f"{' and '.join(stray)} only apply to top_fraction mode, "
                                     "not to min/max")
            return self

    @property
    def top_mode(self) -> bool:
        return self.params.top_fraction is not None

    def requires(self) -> dict[str, str]:
        p = self.params
        needs = {p.column: "numeric"}
        if self.top_mode:
            needs[self.ctx.id_column] = "any"
            if p.weight_column is not None:
                needs[p.weight_column] = "numeric"
            elif p.weight == "chars":
                needs[self.ctx.text_column] = "string"
        return needs

    # ------------------------------------------------------------------ helpers
    def _is_null(self, df: DataFrame) -> Column:
        """Null, or NaN for float/double columns (NaN sorts above every number in Spark)."""
        v = F.col(self.params.column)
        if isinstance(df.schema[self.params.column].dataType, (FloatType, DoubleType)):
            return v.isNull() | F.isnan(v)
        return v.isNull()

    def _weight(self) -> Column:
        """What a row counts for in the fraction (and in share_of): 1, its characters, or
        its weight column's value."""
        if self.params.weight_column is not None:
            value = F.col(self.params.weight_column).cast("long")
            return F.when(value > 0, value).otherwise(F.lit(0)).cast("long")
        return (F.lit(1) if self.params.weight == "rows"
                else F.coalesce(F.length(self.text), F.lit(0))).cast("long")

    def _null_rule(self, df: DataFrame) -> DropRule:
        col = self.params.column
        return DropRule("null", self._is_null(df), F.lit(f"{col} is null or NaN"))

    # ---------------------------------------------------------------- transform
    def transform(self, df: DataFrame) -> DataFrame:
        out = self._top(df) if self.top_mode else self._threshold(df)
        self._measured = (out, self._share_predicate(df)) if self.params.share_of else None
        return out

    def _share_predicate(self, df: DataFrame) -> Column:
        predicate = F.expr(self.params.share_of)
        try:
            df.select(predicate.cast("boolean")).schema  # analysed now, not after the run
        except Exception as exc:  # noqa: BLE001 - Spark's parse and analysis errors alike
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise RecipeError(f"step {self.ctx.step} (select) share_of: cannot evaluate "
                              f"{self.params.share_of!r} on the step's input: {first[:300]}") from exc
        return F.coalesce(predicate.cast("boolean"), F.lit(False))

    def report(self) -> dict[str, float]:
        measured = getattr(self, "_measured", None)
        if measured is None:
            return {}
        after, predicate = measured
        weight = self._weight()
        # One pass over the step's output: the pool is what was live before the step
        # (live now, or dropped by it); the step's input may be uncached by now.
        pool_rows = live() | (F.col(DROP_STEP) == F.lit(self.ctx.step))

        def sums(rows: Column) -> list[Column]:
            return [F.sum(F.when(rows & predicate, weight).otherwise(0)),
                    F.sum(F.when(rows, weight).otherwise(0))]

        hit_pool, all_pool, hit_kept, all_kept = after.agg(*sums(pool_rows), *sums(live())).first()
        pool = 100.0 * (hit_pool or 0) / all_pool if all_pool else 0.0
        kept = 100.0 * (hit_kept or 0) / all_kept if all_kept else 0.0
        return {"share_of_pool_pct": round(pool, 2), "share_of_kept_pct": round(kept, 2),
                "enrichment": round(kept / pool, 3) if pool else 0.0}

    def _threshold(self, df: DataFrame) -> DataFrame:
        p = self.params
        v = F.col(p.column)
        rules = [self._null_rule(df)]
        if p.min is not None:
            rules.append(DropRule("below_min", v < F.lit(p.min),
                                  F.format_string("%s=%s < min=%s", F.lit(p.column), v,
                                                  F.lit(repr(p.min)))))
        if p.max is not None:
            rules.append(DropRule("above_max", v > F.lit(p.max),
                                  F.format_string("%s=%s > max=%s", F.lit(p.column), v,
                                                  F.lit(repr(p.max)))))
        return mark_drops(df, rules, self.ctx)

    def release(self) -> None:
        for cached in getattr(self, "_cached", ()):
            cached.unpersist()
        self._cached = []
        self._measured = None

    def _persisted(self, df: DataFrame) -> DataFrame:
        """``df``, cached unless it is already: the plan below reads it several times and
        the step before (a scorer) must run once per row."""
        if df.storageLevel.useMemory or df.storageLevel.useDisk:
            return df
        cached = df.persist(StorageLevel.MEMORY_AND_DISK)
        self._cached = [*getattr(self, "_cached", ()), cached]
        return cached

    def _top(self, df: DataFrame) -> DataFrame:
        p = self.params
        id_col = self.ctx.id_column
        fraction = Fraction(repr(p.top_fraction))  # the decimal the user wrote: 0.3 -> 3/10
        df = self._persisted(df)
        scored = ~self._is_null(df)
        weight = self._weight()
        live_rows = df.where(live())
        ranked = global_ranks(live_rows, value=p.column, id_column=id_col, scored=scored,
                              descending=p.descending, weight=weight)
        # before < fraction * total  <=>  before * den < num * total, exactly.
        dec = "decimal(38,0)"
        num = F.lit(Decimal(fraction.numerator)).cast(dec)
        den = F.lit(Decimal(fraction.denominator)).cast(dec)
        ranked = ranked.withColumn(_KEEP, (F.col(RANK) == 1)
                                   | (F.col(BEFORE).cast(dec) * den < F.col(TOTAL).cast(dec) * num))
        kept_value = F.when(F.col(_KEEP), F.col(p.column))
        last = ranked.agg((F.min(kept_value) if p.descending else F.max(kept_value)).alias(_LAST))
        verdict_cols = (RANK, BEFORE, TOTAL, _KEEP, _LAST)
        judged = ranked.crossJoin(F.broadcast(last)).select(*df.columns, *verdict_cols)
        # Earlier drops and null scores need no rank: their verdict is already known.
        rest = df.where(~live() | ~scored).select(
            *df.columns, *[F.lit(None).cast(judged.schema[c].dataType).alias(c) for c in verdict_cols])
        together = judged.unionByName(rest)

        unit = p.weight_column or ("rows" if p.weight == "rows" else "chars")
        detail = F.format_string(
            f"%s=%s; rank %d among live rows; %d {unit} rank before it >= top_fraction %s x "
            f"%d {unit} total; last kept %s=%s (ties by {id_col} ascending)",
            F.lit(p.column), F.col(p.column), F.col(RANK), F.col(BEFORE),
            F.lit(repr(p.top_fraction)), F.col(TOTAL), F.lit(p.column), F.col(_LAST),
        )
        # The cut (the last kept row's score) as a number, for the run's metrics sample.
        cut = Measure(p.column, F.col(p.column), F.col(_LAST), "<" if p.descending else ">")
        rules = [self._null_rule(df),
                 DropRule("not_in_top_fraction", ~F.col(_KEEP), detail, measure=cut)]
        marked = mark_drops(together, rules, self.ctx)
        # The cut as a number in the stats (details "cut"): the last kept row's score.
        cut_tally = tally_column(self.ctx, "cut", "min" if p.descending else "max")
        return marked.withColumn(cut_tally, F.when(live() & F.col(_KEEP), F.col(p.column))
                                 ).drop(*verdict_cols)
