"""What each filter measured on a sample of its input, kept rows included (the run
report's input histograms and select's cut).

The sample is a hash of the document id (the same documents at every step), of about
``output.metrics_sample`` rows of the run's input (``SAMPLE_ROWS`` by default) and all of
them below that. For a sampled row
that is live at a step, ``mark_drops`` records one entry per rule: the rule's
evidence, parsed from the detail the row would get were it dropped
(``label=value < min=bound``), or a rule's explicit ``Measure``. The entries ride along
in one array column, null for rows outside the sample, so no step runs a second pass;
at the end the runner writes them as a small table beside the stats
(``metrics_path``), one row per (sampled row, step, rule).
"""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

MEASURES = "_thresher_measures"
SAMPLE_ROWS = 20_000
BUCKETS = 1 << 30
# ``label=value <op> min|max=bound`` at the start of a detail, with an optional
# ``num/den=`` before a ratio; anchored, so text quoted later in a detail never parses.
# A null value reads ``null``, or ``nul`` where the format has a precision (``%.3f``).
DETAIL = (r"^(\S+?)=(?:-?[0-9]+/-?[0-9]+=)?(null|nul|nu|n|NaN|-?[0-9][0-9.eE+-]*) *(<=|>=|<|>) *"
          r"(?:min|max)=(-?[0-9][0-9.eE+-]*)")
ENTRY = "struct<step:int,reason:string,metric:string,value:double,bound:double,drops_if:string>"
METRICS_COLUMNS = ("run_id", "step", "op", "id", "reason", "metric", "value", "bound", "drops_if",
                   "outcome", "fraction")


@dataclass(frozen=True)
class Measure:
    """A rule's evidence when its detail is not ``label=value < min=bound``: the
    ``metric`` name, its ``value`` and the ``bound`` (a Column: select's cut is computed),
    and the side that drops (``"<"``: values below the bound)."""

    metric: str
    value: Column
    bound: Column
    drops_if: str


def sample_below(rows: int, sample: int | None = None) -> int:
    """The hash bucket under which a row is sampled, for about ``sample`` (default
    ``SAMPLE_ROWS``) of ``rows`` rows."""
    sample = SAMPLE_ROWS if sample is None else sample
    return BUCKETS if rows <= sample else max(1, ceil(sample * BUCKETS / rows))


def fraction(below: int | None) -> float:
    return 0.0 if below is None else min(below, BUCKETS) / BUCKETS


def in_sample(id_column: str, below: int) -> Column:
    if below >= BUCKETS:
        return F.lit(True)
    return F.pmod(F.xxhash64(F.col(id_column).cast("string")), F.lit(BUCKETS)) < F.lit(below)


def entries(rules, ctx, live: Column, columns: list[str]) -> dict[str, Column]:
    """The ``MEASURES`` column for ``mark_drops`` (``live``: live at the step's input),
    or nothing when the step is not sampled or no rule carries evidence."""
    below = ctx.sample_below
    if below is None or ctx.id_column not in columns:
        return {}
    raw = []
    for rule in rules:
        label = f"{ctx.op_name}:{rule.reason}" if ctx.op_name else rule.reason
        if rule.measure is not None:
            m = rule.measure
            raw.append(F.struct(F.lit(ctx.step).alias("step"), F.lit(label).alias("reason"),
                                F.lit(m.metric).alias("metric"),
                                m.value.cast("double").alias("value"),
                                m.bound.cast("double").alias("bound"),
                                F.lit(m.drops_if).alias("drops_if")))
        elif rule.detail is not None:
            raw.append(_parsed(ctx.step, label, rule.detail))
    if not raw:
        return {}
    found = F.filter(F.array(*raw), lambda e: e["metric"].isNotNull())
    before = F.col(MEASURES) if MEASURES in columns else F.lit(None).cast(f"array<{ENTRY}>")
    joined = F.concat(F.coalesce(before, F.array().cast(f"array<{ENTRY}>")), found)
    return {MEASURES: F.when(live & in_sample(ctx.id_column, below), joined).otherwise(before)}


def _parsed(step: int, reason: str, detail: Column) -> Column:
    def group(d: Column, i: int) -> Column:
        return F.regexp_extract(d, DETAIL, i)

    def entry(d: Column) -> Column:
        metric = group(d, 1)
        return F.struct(F.lit(step).alias("step"), F.lit(reason).alias("reason"),
                        F.when(metric != "", metric).alias("metric"),
                        group(d, 2).try_cast("double").alias("value"),
                        group(d, 4).try_cast("double").alias("bound"),
                        group(d, 3).alias("drops_if"))

    # Through a one-element array, so the detail is formatted once for the four groups.
    return F.element_at(F.transform(F.array(detail.cast("string")), entry), 1)


def metrics_path(stats_path: str) -> str:
    """Where the sample goes: ``<base>_metrics`` beside ``<base>_stats``."""
    base = stats_path.rstrip("/")
    return (base[: -len("_stats")] if base.endswith("_stats") else base) + "_metrics"


def metrics_table(final: DataFrame, *, run_id: str, ops: list[str], id_column: str,
                  below: int | None, drop_step: str, drop_reason: str) -> DataFrame:
    """One row per (sampled row, step, rule) from a run's final rows (``METRICS_COLUMNS``):
    what the rule measured and what the step did with the row (``outcome``: its drop
    reason at that step, maybe another rule's; null: it passed)."""
    if MEASURES not in final.columns:  # the same (empty) table: appends keep one schema
        final = final.withColumn(MEASURES, F.lit(None).cast(f"array<{ENTRY}>"))
    m = F.col("m")
    rows = final.where(F.col(MEASURES).isNotNull()).select(
        F.col(drop_step), F.col(drop_reason), F.col(id_column).cast("string").alias("id"),
        F.explode(MEASURES).alias("m"))
    # One task writes the few rows (one file), after a shuffle: the scan stays parallel.
    return rows.repartition(1).select(
        F.lit(run_id).alias("run_id"), m["step"].alias("step"),
        F.element_at(F.array(*[F.lit(o) for o in ops]), m["step"] + 1).alias("op"), "id",
        m["reason"].alias("reason"), m["metric"].alias("metric"), m["value"].alias("value"),
        m["bound"].alias("bound"), m["drops_if"].alias("drops_if"),
        F.when(F.col(drop_step) == m["step"], F.col(drop_reason)).alias("outcome"),
        F.lit(fraction(below)).alias("fraction"))
