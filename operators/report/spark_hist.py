"""Histograms computed by Spark: two small aggregations for any number of series
(ranges, then counts per bucket), so only ``buckets`` numbers per series reach the
driver, whatever the rows, and a report of many columns costs two jobs, not two each."""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

BUCKETS = 30


def histograms(long: DataFrame, *, buckets: int = BUCKETS,
               extra: dict[str, tuple[float, ...]] | None = None
               ) -> dict[str, tuple[list[float], dict[str, list[int]]]]:
    """Per histogram key ``k``: edges and counts per series ``s`` of the values ``v``.

    ``long`` has columns ``k`` (string: which histogram), ``v`` (numeric) and ``s``
    (string: e.g. kept / dropped). ``extra[k]`` widens a range (a threshold outside the
    data stays visible). Keys with no non-null value are left out."""
    extra = extra or {}
    data = long.select(F.col("k"), F.col("v").cast("double").alias("v"), F.col("s")
                       ).where(F.col("v").isNotNull() & ~F.isnan("v"))
    ranges = {}
    for r in data.groupBy("k").agg(F.min("v").alias("lo"), F.max("v").alias("hi")).collect():
        lo, hi = min([r["lo"], *extra.get(r["k"], ())]), max([r["hi"], *extra.get(r["k"], ())])
        ranges[r["k"]] = (lo, lo + 1.0 if hi == lo else hi)
    if not ranges:
        return {}
    bounds = long.sparkSession.createDataFrame(
        [(k, lo, (hi - lo) / buckets) for k, (lo, hi) in ranges.items()],
        "k string, lo double, w double")
    bucket = F.least(F.floor((F.col("v") - F.col("lo")) / F.col("w")).cast("int"), F.lit(buckets - 1))
    counts: dict[str, dict[str, list[int]]] = {}
    for row in (data.join(F.broadcast(bounds), "k").groupBy("k", "s", bucket.alias("b"))
                .count().collect()):
        counts.setdefault(row["k"], {}).setdefault(row["s"], [0] * buckets)[row["b"]] += row["count"]
    out = {}
    for k, (lo, hi) in ranges.items():
        width = (hi - lo) / buckets
        edges = [lo + i * width for i in range(buckets)] + [hi]
        out[k] = edges, dict(sorted(counts.get(k, {}).items(), key=lambda kv: kv[0] != "kept"))
    return out
