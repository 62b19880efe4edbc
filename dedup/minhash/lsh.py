"""Spark stages of MinHash dedup before clustering: normalised text -> band keys ->
candidate edges -> (optionally) verified edges.

Each function takes and returns DataFrames and runs no action; the operator
(``operator.py``) chains them and materialises each stage once (``stages.py``).

* ``band_keys``: one row per document, ``(id, bands array<bigint>)``, computed by the
  numba kernel over whole Arrow batches (``mapInArrow``), band keys as signed longs;
  with ``signatures`` also ``sig array<int>``, the signature (uint32 bits as int).
* ``candidate_edges`` (``verify: false``): documents sharing a key in some band form a
  bucket; each member gets one edge to the bucket's smallest id (a star, so a bucket
  of k documents costs k - 1 edges, not k^2). Edges are ``(src, dst)`` with
  ``src < dst``, distinct. With ``verify: true`` the pairs come from ``verify.py``
  (all pairs of a bucket, pivots in hot buckets, pruned by the signature estimate).
* ``verify_edges``: the exact Jaccard similarity of each pair's two shingle sets
  (as sorted 64-bit hash arrays, one per document, merged in numba); pairs below
  the threshold go.
"""
from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DoubleType, IntegerType, LongType, StructField, StructType

from thresher.dedup.minhash.config import MinHashConfig
from thresher.operators.io.fs import failpoint
from thresher.operators.text import udfs
from thresher.operators.text.normalize import unicode_normalize

NORM = "_thresher_mh_norm"
BANDS = "bands"
SIG = "sig"
SRC, DST = "src", "dst"


def normalized(text: Column, *, lowercase: bool, strip_punctuation: bool,
               unicode_form: str, jvm_udf: bool = False) -> Column:
    """The text the shingles come from: words joined by single ASCII spaces, trimmed
    (the kernel's input contract), after Unicode normalisation, lower-casing and
    punctuation removal as asked. ``jvm_udf``: Unicode normalisation and the last
    step (punctuation and whitespace runs to one space, trim) by the compiled
    ``thresher_unicode_form`` and ``thresher_shingle_text`` (registered by
    ``thresher.operators.text.udfs.enable``), equal to ICU through ``reflect`` and the regexes."""
    if unicode_form != "none":
        text = unicode_normalize(text, unicode_form, jvm_udf=jvm_udf)
    if lowercase:
        text = F.lower(text)
    if jvm_udf:
        return udfs.call("thresher_shingle_text", text, strip_punctuation)
    if strip_punctuation:
        text = F.regexp_replace(text, F.lit(r"\p{P}+"), F.lit(" "))
    text = F.regexp_replace(text, F.lit(r"[\s\x{1c}-\x{1f}\x{85}\p{Z}]+"), F.lit(" "))
    return F.trim(text)


def band_keys(docs: DataFrame, id_column: str, cfg: MinHashConfig, *,
              signatures: bool = False) -> DataFrame:
    """``(id, bands)`` for ``docs(id, NORM)``: one band key (bigint) per LSH band; with
    ``signatures`` also ``(sig)``, the ``num_perm`` MinHash values as ints."""
    bands, rows = cfg.bands_rows()
    id_field = docs.schema[id_column]
    fields = [StructField(id_column, id_field.dataType, id_field.nullable),
              StructField(BANDS, ArrayType(LongType(), False), False)]
    if signatures:
        fields.append(StructField(SIG, ArrayType(IntegerType(), False), False))
    schema = StructType(fields)
    config = cfg.model_dump()

    def compute(batches):
        import numpy as np
        import pyarrow as pa

        from thresher.dedup.minhash.bands import band_hashes
        from thresher.dedup.minhash.config import MinHashConfig
        from thresher.dedup.minhash.signatures import compute_signatures

        worker_cfg = MinHashConfig(**config)
        names = [id_column, BANDS] + ([SIG] if signatures else [])
        failpoint("minhash_signatures")  # fault tests: an executor lost mid-stage
        for batch in batches:
            sig = compute_signatures(batch.column(NORM), worker_cfg)
            keys = band_hashes(sig, bands, rows).view(np.int64)
            offsets = pa.array(np.arange(0, keys.size + 1, bands, dtype=np.int32))
            columns = [batch.column(id_column),
                       pa.ListArray.from_arrays(offsets, pa.array(keys.reshape(-1)))]
            if signatures:
                sig_offsets = pa.array(np.arange(0, sig.size + 1, sig.shape[1], dtype=np.int32))
                values = np.ascontiguousarray(sig, dtype=np.uint32).view(np.int32).reshape(-1)
                columns.append(pa.ListArray.from_arrays(sig_offsets, pa.array(values)))
            yield pa.RecordBatch.from_arrays(columns, names=names)

    return docs.select(id_column, NORM).mapInArrow(compute, schema)


def candidate_edges(keys: DataFrame, id_column: str) -> DataFrame:
    """Distinct ``(src, dst)``: each bucket member -> the bucket's smallest id."""
    # One shuffle: each bucket gathers its members (almost all buckets hold one
    # document and are dropped at once); no join back to the members.
    member = keys.select(F.col(id_column).alias(DST), F.posexplode(BANDS).alias("band", "key"))
    buckets = (member.groupBy("band", "key")
               .agg(F.collect_list(DST).alias("members"))
               .where(F.size("members") > 1))
    return (buckets.select(F.array_min("members").alias(SRC), F.explode("members").alias(DST))
            .where(F.col(DST) != F.col(SRC)).distinct())


def verify_edges(edges: DataFrame, docs: DataFrame, id_column: str,
                 cfg: MinHashConfig) -> DataFrame:
    """Candidate edges with ``jaccard`` >= ``cfg.threshold`` on the exact shingle sets.

    Each document on some edge is shingled once, into the sorted array of its
    shingles' 64-bit hashes (``shingle_sets.py``: equal to ``reference.jaccard`` up
    to 64-bit collisions); the pairs join those arrays, never the texts, and a numba
    merge gives each pair's Jaccard in ``O(|a| + |b|)``.
    """
    # Only documents on some edge (usually a few percent of the corpus) are shingled;
    # while their ids are few, Spark broadcasts them and the corpus is not shuffled.
    ends = edges.select(F.col(SRC).alias(id_column)).union(edges.select(F.col(DST).alias(id_column)))
    needed = docs.join(ends.distinct(), id_column, "left_semi").select(id_column, NORM)
    id_field = docs.schema[id_column]
    set_schema = StructType([StructField("_id", id_field.dataType, id_field.nullable),
                             StructField("_set", ArrayType(LongType(), False), False)])
    config = cfg.model_dump()

    def shingle(batches):
        import pyarrow as pa

        from thresher.dedup.minhash.config import MinHashConfig
        from thresher.dedup.minhash.shingle_sets import shingle_hash_sets

        worker_cfg = MinHashConfig(**config)
        for batch in batches:
            yield pa.RecordBatch.from_arrays(
                [batch.column(id_column), shingle_hash_sets(batch.column(NORM), worker_cfg)],
                names=["_id", "_set"])

    # Hash-partitioned once by id, before the renames: both joins then read the one
    # shuffle (Spark reuses the identical exchange), so each document is shingled once.
    sets = needed.mapInArrow(shingle, set_schema).repartition("_id")
    pairs = (edges.select(SRC, DST)
             .join(sets.withColumnsRenamed({"_id": SRC, "_set": "_a"}), SRC)
             .join(sets.withColumnsRenamed({"_id": DST, "_set": "_b"}), DST))
    schema = StructType([edges.schema[SRC], edges.schema[DST],
                         StructField("jaccard", DoubleType(), False)])

    def jaccard(batches):
        import pyarrow as pa

        from thresher.dedup.minhash.shingle_sets import sorted_jaccard

        # Fault tests: an executor lost after the shuffle, with map outputs of the
        # shingling (and the stages before it) on it that Spark must recompute.
        failpoint("minhash_verify")
        for batch in batches:
            out = sorted_jaccard(batch.column("_a"), batch.column("_b"))
            yield pa.RecordBatch.from_arrays(
                [batch.column(SRC), batch.column(DST), pa.array(out, pa.float64())],
                names=[SRC, DST, "jaccard"])

    scored = pairs.select(SRC, DST, "_a", "_b").mapInArrow(jaccard, schema)
    return scored.where(F.col("jaccard") >= cfg.threshold)
