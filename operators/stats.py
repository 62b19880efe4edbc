"""Per-step stats as a table (one row per step), and its human summary.

Invariant, checked for every step: ``rows_in == rows_out + dropped`` and
``dropped == sum(dropped_by_reason.values())``; the next step's ``rows_in`` is
this step's ``rows_out``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pyspark.sql.types import (DoubleType, IntegerType, LongType, MapType, StringType, StructField,
                               StructType, TimestampType)

from .errors import ThresherError

STATS_SCHEMA = StructType([
    StructField("run_id", StringType(), False),
    StructField("recipe", StringType(), False),
    StructField("recipe_hash", StringType(), False),
    StructField("started_at", TimestampType(), False),
    StructField("step", IntegerType(), False),
    StructField("op", StringType(), False),
    StructField("rows_in", LongType(), False),
    StructField("rows_out", LongType(), False),
    StructField("dropped", LongType(), False),
    StructField("dropped_by_reason", MapType(StringType(), LongType()), False),
    StructField("seconds", DoubleType(), True),
    # What a multi-stage operator measured (e.g. minhash_dedup's candidate pairs and
    # clusters); null for row-wise steps.
    StructField("details", MapType(StringType(), DoubleType()), True),
])


@dataclass
class StepStats:
    step: int
    op: str
    rows_in: int
    dropped_by_reason: dict[str, int] = field(default_factory=dict)
    seconds: float | None = None
    details: dict[str, float] = field(default_factory=dict)

    @property
    def dropped(self) -> int:
        return sum(self.dropped_by_reason.values())

    @property
    def rows_out(self) -> int:
        return self.rows_in - self.dropped


def build_step_stats(rows_in: int, ops: list[str], drops: dict[tuple[int, str], int],
                     seconds: dict[int, float]) -> list[StepStats]:
    """Chain per-step drop counts (step index, reason) -> stats rows; step 0 is the read."""
    out, current = [], rows_in
    for step, op in enumerate(ops):
        reasons = {r: n for (s, r), n in sorted(drops.items()) if s == step}
        stats = StepStats(step, op, current, reasons, seconds.get(step))
        if stats.rows_out < 0:
            raise ThresherError(f"stats broke at step {step} ({op}): {stats.rows_in} in, "
                                f"{stats.dropped} dropped")
        out.append(stats)
        current = stats.rows_out
    unknown = {k: v for k, v in drops.items() if not 0 <= k[0] < len(ops)}
    if unknown:
        raise ThresherError(f"rows dropped by unknown steps: {unknown}")
    return out


def stats_rows(steps: list[StepStats], run_id: str, recipe: str, recipe_hash: str,
               started_at: datetime) -> list[tuple]:
    return [(run_id, recipe, recipe_hash, started_at, s.step, s.op, s.rows_in, s.rows_out, s.dropped,
             s.dropped_by_reason, s.seconds, s.details or None) for s in steps]


def _number(value: float) -> str:
    """Counts as integers (1,522), ratios and shares with their digits (2.81, 36.2)."""
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 1000 else f"{value:.3g}"


def format_summary(steps: list[StepStats], *, recipe: str, recipe_hash: str, run_id: str,
                   total_seconds: float, outputs: dict[str, str]) -> str:
    """A fixed-width table for the terminal, then where each output went."""
    first, last = steps[0], steps[-1]
    kept_pct = 100.0 * last.rows_out / first.rows_in if first.rows_in else 0.0
    lines = [
        f"thresher run {run_id}: recipe {recipe} ({recipe_hash[:12]})",
        f"{first.rows_in:,} rows in, {last.rows_out:,} kept ({kept_pct:.1f}%), "
        f"{first.rows_in - last.rows_out:,} dropped, {total_seconds:.1f} s",
        "",
        f"{'step':>4}  {'op':<32} {'rows_in':>11} {'kept':>11} {'dropped':>9} {'seconds':>8}  reasons",
    ]
    for s in steps:
        secs = f"{s.seconds:8.2f}" if s.seconds is not None else f"{'-':>8}"
        reasons = ", ".join(f"{r}={n:,}" for r, n in sorted(s.dropped_by_reason.items(),
                                                             key=lambda kv: -kv[1]))
        lines.append(f"{s.step:>4}  {s.op:<32} {s.rows_in:>11,} {s.rows_out:>11,} {s.dropped:>9,} "
                     f"{secs}  {reasons}")
    detailed = [s for s in steps if s.details]
    if detailed:
        lines.append("")
        for s in detailed:
            shown = ", ".join(f"{k}={_number(v)}" for k, v in s.details.items()
                              if not k.startswith(("seconds_", "reused_")))
            lines.append(f"step {s.step} {s.op}: {shown}")
    if outputs:
        lines.append("")
        lines.append("outputs:")
        lines.extend(f"  {label:<8} {where}" for label, where in outputs.items())
    return "\n".join(lines)


def summary_html(steps: list[StepStats], *, recipe: str, outputs: dict[str, str]) -> str:
    """The summary as an HTML table: what a notebook shows for a run's result
    (``RunResult._repr_html_``; Jupyter renders it, Databricks through ``displayHTML``)."""
    from html import escape

    from .report.html import html_table

    first, last = steps[0], steps[-1]
    rows = []
    for s in steps:
        secs = f"{s.seconds:.2f}" if s.seconds is not None else "-"
        reasons = "<br>".join(f"{escape(r)}: {n:,}" for r, n in sorted(
            s.dropped_by_reason.items(), key=lambda kv: -kv[1]))
        rows.append([s.step, escape(s.op), f"{s.rows_in:,}", f"{s.rows_out:,}", f"{s.dropped:,}",
                     secs, reasons])
    table = html_table(["step", "op", "rows in", "kept", "dropped", "seconds", "reasons"], rows,
                       "thresher-summary")
    where = "".join(f"<li>{escape(label)}: <code>{escape(w)}</code></li>" for label, w in outputs.items())
    return (f"<p><b>thresher run: recipe {escape(recipe)}</b>: {first.rows_in:,} rows in, "
            f"{last.rows_out:,} kept, {first.rows_in - last.rows_out:,} dropped</p>"
            + table + (f"<ul>{where}</ul>" if where else ""))
