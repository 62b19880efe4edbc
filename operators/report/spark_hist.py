"""Histograms computed by Spark: two small aggregations (range, then counts per
bucket), so only ``buckets`` numbers per series reach the driver, whatever the rows."""
from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

BUCKETS = 30


def histogram(df: DataFrame, value: Column, *, series: Column | None = None,
              buckets: int = BUCKETS, extra: tuple[float, ...] = ()) -> tuple[list[float], dict[str, list[int]]]:
    """Edges and counts per series (``series``: a string column, e.g. kept / dropped).

    ``extra`` widens the range (a threshold outside the data stays visible)."""
    data = df.select(value.cast("double").alias("v"),
                     (series if series is not None else F.lit("dropped")).alias("s")
                     ).where(F.col("v").isNotNull() & ~F.isnan("v"))
    lo, hi = data.agg(F.min("v"), F.max("v")).first()
    if lo is None:
        return [], {}
    lo, hi = min([lo, *extra]), max([hi, *extra])
    if hi == lo:
        hi = lo + 1.0
    width = (hi - lo) / buckets
    bucket = F.least(F.floor((F.col("v") - F.lit(lo)) / F.lit(width)).cast("int"), F.lit(buckets - 1))
    counts: dict[str, list[int]] = {}
    for row in data.groupBy("s", bucket.alias("b")).count().collect():
        counts.setdefault(row["s"], [0] * buckets)[row["b"]] += row["count"]
    edges = [lo + i * width for i in range(buckets)] + [hi]
    return edges, dict(sorted(counts.items(), key=lambda kv: kv[0] != "kept"))
