"""Candidate pairs for ``verify: true``: every pair that shares a bucket, pruned by the
signatures' Jaccard estimate, then checked exactly (``lsh.verify_edges``).

Without verification a bucket links its members to its smallest id (a star, k - 1
edges), which is all connected components need. With verification that loses pairs:
if the smallest id is below the threshold to two members that are above it to each
other, both star edges fail and the pair is never looked at. So here

* a bucket of ``k <= max_bucket`` members yields **all** its ``k (k - 1) / 2`` pairs;
* a **hot** bucket (``k > max_bucket``: boilerplate, templates) yields the pairs of
  its ``pivots`` smallest ids with every other member, ``~pivots * k``, not ``k^2``.
  A pair of two other members of a hot bucket is found only through another bucket
  it shares (each band is one more chance: at J = threshold a pair shares on average
  ``bands * threshold^rows`` buckets) or through both verifying against a pivot.
  Each hot bucket is recorded (``HOT``, its size) and reported by the operator;
* pairs from every band are deduplicated, then the Jaccard estimate from the full
  signatures (the fraction of equal positions, ``num_perm`` of them) drops pairs
  below ``threshold - ESTIMATE_Z * sqrt(threshold * (1 - threshold) / num_perm)``
  before any text moves. The estimate's standard deviation at ``J = t`` is
  ``sqrt(t (1 - t) / num_perm)``, so a pair exactly at the threshold is dropped with
  probability ~0.13% (one-sided 3 sigma), one further above it less.

Every candidate pair at or above the threshold outside hot buckets is thus found
unless its estimate falls 3 sigma short.
"""
from __future__ import annotations

import math

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType

from thresher.dedup.minhash.config import MinHashConfig
from thresher.dedup.minhash.lsh import BANDS, DST, SIG, SRC

HOT = "hot_bucket_size"  # set on the one row per hot bucket (src and dst null)
HOT_PIVOTS = 8
ESTIMATE_Z = 3.0


def bucket_pairs(keys: DataFrame, id_column: str, max_bucket: int,
                 pivots: int = HOT_PIVOTS) -> DataFrame:
    """``(src, dst, HOT)``: distinct pairs ``src < dst`` sharing a bucket (``HOT`` null),
    and one row per hot bucket (``src``, ``dst`` null, ``HOT`` its member count)."""
    if max_bucket < 2 or pivots < 1:
        raise ValueError(f"need max_bucket >= 2 and pivots >= 1, got {max_bucket}, {pivots}")
    id_type = keys.schema[id_column].dataType
    member = keys.select(F.col(id_column).alias("_m"), F.posexplode(BANDS).alias("band", "key"))
    buckets = (member.groupBy("band", "key")
               .agg(F.sort_array(F.collect_list("_m")).alias("members"))
               .where(F.size("members") > 1))
    members, n = F.col("members"), F.size("members")
    sources = F.when(n <= max_bucket, n - 1).otherwise(F.least(n - 1, F.lit(pivots)))
    no_hot, no_id = F.lit(None).cast(IntegerType()), F.lit(None).cast(id_type)
    no_bucket = F.lit(None).cast("bigint")
    pairs = F.flatten(F.transform(F.sequence(F.lit(1), sources), lambda i: F.transform(
        F.slice(members, i + 1, n - i),
        lambda other: F.struct(F.element_at(members, i).alias(SRC), other.alias(DST),
                               no_hot.alias(HOT), no_bucket.alias("_bucket")))))
    # A hot bucket's row rides in the same generator as the pairs: a union of two
    # selects over ``buckets`` made Spark run its shuffle twice. ``_bucket`` keeps two
    # hot buckets of one size apart through the distinct.
    hot = F.filter(F.array(F.struct(no_id.alias(SRC), no_id.alias(DST),
                                    n.cast(IntegerType()).alias(HOT),
                                    F.xxhash64("band", "key").alias("_bucket"))),
                   lambda _row: n > max_bucket)
    return buckets.select(F.inline(F.concat(pairs, hot))).distinct().drop("_bucket")


def estimate_floor(cfg: MinHashConfig) -> float:
    """The least signature estimate a pair keeps: ``ESTIMATE_Z`` standard deviations
    below the threshold."""
    t = cfg.threshold
    return t - ESTIMATE_Z * math.sqrt(t * (1.0 - t) / cfg.num_perm)


def agreeing_positions(a: str, b: str) -> Column:
    """In how many positions the signature arrays ``a`` and ``b`` hold the same value
    (their MinHash estimate of Jaccard, times the signature length)."""
    return F.aggregate(F.zip_with(a, b, lambda x, y: (x == y).cast("int")),
                       F.lit(0), lambda acc, v: acc + v)


def estimated_pairs(candidates: DataFrame, keys: DataFrame, id_column: str,
                    cfg: MinHashConfig) -> DataFrame:
    """``(src, dst, estimate)`` of the candidate pairs whose signatures agree in at least
    ``estimate_floor(cfg)`` of their positions (``keys`` carries ``SIG``)."""
    pairs = candidates.where(F.col(SRC).isNotNull()).select(SRC, DST)
    sigs = keys.select(F.col(id_column).alias("_id"), F.col(SIG).alias("_sig"))
    joined = (pairs.join(sigs.withColumnsRenamed({"_id": SRC, "_sig": "_a"}), SRC)
              .join(sigs.withColumnsRenamed({"_id": DST, "_sig": "_b"}), DST))
    estimate = (agreeing_positions("_a", "_b") / F.lit(float(cfg.num_perm))).alias("estimate")
    return (joined.select(SRC, DST, estimate)
            .where(F.col("estimate") >= F.lit(estimate_floor(cfg))))


def bucket_report(candidates: DataFrame) -> dict[str, float]:
    """Candidate pairs and hot buckets (count, members, largest) of ``bucket_pairs``."""
    row = candidates.agg(
        F.count(SRC).alias("pairs"), F.count(HOT).alias("hot"),
        F.coalesce(F.sum(HOT), F.lit(0)).alias("members"),
        F.coalesce(F.max(HOT), F.lit(0)).alias("largest")).first()
    return {"candidate_pairs": float(row["pairs"]), "hot_buckets": float(row["hot"]),
            "hot_bucket_members": float(row["members"]), "largest_hot_bucket": float(row["largest"])}
