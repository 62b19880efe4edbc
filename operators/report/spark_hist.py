"""Histograms computed by Spark: two small aggregations for any number of series
(ranges, then counts per bucket), so only ``buckets`` numbers per series reach the
driver, whatever the rows, and a report of many columns costs two jobs, not two each."""
from __future__ import annotations

from math import ceil, floor

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

BUCKETS = 30


def layout(lo: float, hi: float, *, buckets: int = BUCKETS, anchor: float | None = None,
           integral: bool = False) -> tuple[float, int, float, int]:
    """``(origin, k, width, n)``: ``n`` buckets covering ``[lo, hi]``, bucket ``k``
    starting at ``origin``. ``anchor`` (a threshold) is that origin, so no bucket mixes
    the two sides of it; integral data gets whole-number widths, so no bucket is empty
    for falling between two integers."""
    if integral:
        width = float(max(1, ceil((hi - lo + 1) / buckets)))
    else:
        hi = lo + 1.0 if hi == lo else hi
        width = (hi - lo) / (buckets if anchor is None else buckets - 1)
    origin = lo if anchor is None else anchor
    k = ceil((origin - lo) / width)
    return origin, k, width, floor((hi - origin) / width) + k + 1 if integral else buckets


def histograms(long: DataFrame, *, buckets: int = BUCKETS,
               extra: dict[str, tuple[float, ...]] | None = None,
               align: dict[str, tuple[float | None, bool]] | None = None,
               ) -> dict[str, tuple[list[float], dict[str, list[int]]]]:
    """Per histogram key ``k``: edges and counts per series ``s`` of the values ``v``.

    ``long`` has columns ``k`` (string: which histogram), ``v`` (numeric) and ``s``
    (string: e.g. kept / dropped). ``extra[k]`` widens a range (a threshold outside the
    data stays visible); ``align[k]`` is ``(anchor, integral)`` for ``layout``. Keys with
    no non-null value are left out."""
    extra, align = extra or {}, align or {}
    data = long.select(F.col("k"), F.col("v").cast("double").alias("v"), F.col("s")
                       ).where(F.col("v").isNotNull() & ~F.isnan("v"))
    ranges = {}
    for r in data.groupBy("k").agg(F.min("v").alias("lo"), F.max("v").alias("hi")).collect():
        lo, hi = min([r["lo"], *extra.get(r["k"], ())]), max([r["hi"], *extra.get(r["k"], ())])
        anchor, integral = align.get(r["k"], (None, False))
        ranges[r["k"]] = layout(lo, hi, buckets=buckets, anchor=anchor, integral=integral)
    if not ranges:
        return {}
    bounds = long.sparkSession.createDataFrame(
        [(key, *r) for key, r in ranges.items()], "k string, o double, b0 int, w double, n int")
    # Counted from the origin, so a value equal to the anchor lands on its edge exactly.
    bucket = F.least(F.greatest(F.col("b0") + F.floor((F.col("v") - F.col("o")) / F.col("w")),
                                F.lit(0)), F.col("n") - 1).cast("int")
    counts: dict[str, dict[str, list[int]]] = {}
    for row in (data.join(F.broadcast(bounds), "k").groupBy("k", "s", bucket.alias("b"))
                .count().collect()):
        n = ranges[row["k"]][3]
        counts.setdefault(row["k"], {}).setdefault(row["s"], [0] * n)[row["b"]] += row["count"]
    out = {}
    for key, (origin, k, width, n) in ranges.items():
        edges = [origin + (i - k) * width for i in range(n + 1)]
        out[key] = edges, dict(sorted(counts.get(key, {}).items(), key=lambda kv: kv[0] != "kept"))
    return out
