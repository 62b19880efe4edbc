"""The filter panels drawn from the run's metrics sample (operators/measures.py): per
step and metric, the values over the step's input, kept against dropped, with each
rule's bound (select's cut) drawn. A few small jobs over the sample, whatever the run's
size."""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .spark_hist import histograms

SEP = "\t"
SERIES = ("kept", "dropped", "other")  # other: dropped by another rule of the step


def _key(step, metric) -> str:
    return f"{step}{SEP}{metric}"


def _near(bound: float, lo: float, hi: float) -> bool:
    """Whether a bound belongs on the chart: a default ``max: 100000`` words beside texts
    of 40 words would squeeze every value into the first bucket."""
    width = 2 * (hi - lo) if hi > lo else max(abs(lo), 1.0)
    return lo - width <= bound <= hi + width


def input_histograms(metrics: DataFrame, run_id: str, steps: list[dict]) -> list[dict]:
    """One panel per (step, metric) the run sampled."""
    m = metrics.where(F.col("run_id") == run_id)
    rules = (m.groupBy("step", "metric", "reason")
             .agg(F.first("bound", ignorenulls=True).alias("bound"),
                  F.first("drops_if", ignorenulls=True).alias("drops_if"),
                  F.max("fraction").alias("fraction"))
             .orderBy("step", "metric", "reason").collect())
    if not rules:
        return []
    # One row per sampled document and metric: a metric two rules share (too few and
    # too many words) is one distribution with two bounds.
    docs = (m.groupBy("step", "metric", "id")
            .agg(F.first("value", ignorenulls=True).alias("v"), F.first("outcome").alias("o"),
                 F.collect_set("reason").alias("rs"))
            .select(F.concat_ws(SEP, F.col("step").cast("string"), F.col("metric")).alias("k"),
                    F.when(~F.isnan("v"), F.col("v")).alias("v"),  # NaN: no value, like null
                    F.when(F.col("o").isNull(), "kept")
                    .when(F.array_contains("rs", F.col("o")), "dropped")
                    .otherwise("other").alias("s"))).cache()
    try:
        totals: dict[str, dict] = {}
        fractional = F.max(F.abs(F.col("v") - F.round("v"))).alias("fractional")
        for r in docs.groupBy("k", "s").agg(F.count("*").alias("n"), F.count("v").alias("valued"),
                                           F.min("v").alias("lo"), F.max("v").alias("hi"),
                                           fractional).collect():
            t = totals.setdefault(r["k"], {"series": {}, "no_value": 0, "lo": None, "hi": None,
                                           "integral": True})
            t["series"][r["s"]] = r["valued"]
            t["no_value"] += r["n"] - r["valued"]
            t["integral"] = t["integral"] and not r["fractional"]
            if r["lo"] is not None:
                t["lo"] = r["lo"] if t["lo"] is None else min(t["lo"], r["lo"])
                t["hi"] = r["hi"] if t["hi"] is None else max(t["hi"], r["hi"])
        panels: dict[str, dict] = {}
        ops = {s["step"]: s for s in steps}
        for r in rules:
            k = _key(r["step"], r["metric"])
            t = totals.get(k, {"series": {}, "no_value": 0, "lo": None, "hi": None})
            step = ops.get(r["step"], {})
            p = panels.setdefault(k, {
                "step": r["step"], "op": step.get("op", "?"), "metric": r["metric"],
                "rows_in": step.get("rows_in"), "fraction": r["fraction"], "rules": [],
                "totals": {s: t["series"].get(s, 0) for s in SERIES}, "no_value": t["no_value"],
                "range": (t["lo"], t["hi"])})
            shown = (r["bound"] is not None and t["lo"] is not None
                     and _near(r["bound"], t["lo"], t["hi"]))
            p["rules"].append({"reason": r["reason"], "bound": r["bound"], "drops_if": r["drops_if"],
                               "cut": r["reason"].endswith(":not_in_top_fraction"), "shown": shown})
        for p in panels.values():
            p["sampled"] = sum(p["totals"].values()) + p["no_value"]
        extra = {k: tuple(x["bound"] for x in p["rules"] if x["shown"]) for k, p in panels.items()}
        # The first bound drawn is a bucket edge (select's cut: kept and dropped never
        # share a bucket); counts stay whole numbers when every value is one.
        align = {k: (bounds[0] if bounds else None, totals.get(k, {}).get("integral", False))
                 for k, bounds in extra.items()}
        drawn = histograms(docs, extra=extra, align=align)
        out = []
        for k, p in panels.items():
            edges, counts = drawn.get(k, ([], {}))
            p["edges"] = edges
            p["counts"] = {s: counts[s] for s in SERIES if s in counts}
            out.append(p)
        return out
    finally:
        docs.unpersist()
