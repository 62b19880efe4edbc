"""The incremental index of ``minhash_dedup``: band keys of every document kept so far.

A Delta table, one row per (kept document, band): ``id`` (as a string), ``band``,
``key``, ``run_id``, ``output`` (the recipe output the row was kept into) and
``config`` (the signature params, JSON). A run drops new documents whose band keys
collide with the index's, then appends its own keepers' band keys.

Delta cannot commit two tables at once, so the output's commit is the one commit
point: the index rows are appended *before* the output commits, tagged with the run
id, and a reader counts only rows whose run id appears in their output's Delta
history (``committed_runs``). A run that dies between the two commits leaves index
rows that no reader ever counts; they cost space, not answers.

Matches against the index are band collisions, not verified: the index keeps no
text. With the default bands and rows a pair at Jaccard 0.5 collides with
probability ~2%, at 0.8 with ~97% (``MinHashConfig.bands_rows``).
"""
from __future__ import annotations

import json

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType, LongType, StringType, StructField, StructType

from thresher.dedup.minhash.lsh import BANDS
from thresher.operators.errors import InputError
from thresher.operators.io import get_fs, read_input
from thresher.operators.io.delta import committed_runs, is_delta_table

INDEX_SCHEMA = StructType([
    StructField("id", StringType(), False), StructField("band", IntegerType(), False),
    StructField("key", LongType(), False), StructField("run_id", StringType(), False),
    StructField("output", StringType(), False), StructField("config", StringType(), False)])
ANCHOR = "_thresher_mh_anchor"


def index_config(signature_params: dict) -> str:
    """The params that make two runs' band keys comparable, as canonical JSON."""
    return json.dumps(signature_params, sort_keys=True, separators=(",", ":"))


def read_index(spark, path: str, config: str) -> DataFrame | None:
    """``(id, band, key)`` of the committed rows of the index at ``path``; None when
    there is no index yet. The index must have been built with the same ``config``."""
    fs, norm = get_fs(path, spark)
    if not fs.exists(norm):
        return None
    if not is_delta_table(fs, norm):
        raise InputError(f"minhash index {path} exists but is not a Delta table (no "
                         "_delta_log); point `index` at a new folder or at an index")
    rows = read_input(spark, format="delta", path=path)
    missing = [f.name for f in INDEX_SCHEMA if f.name not in rows.columns]
    if missing:
        raise InputError(f"minhash index {path} lacks columns {missing}: not a thresher index")
    stored = rows.select("output", "run_id", "config").distinct().collect()
    other = sorted({r["config"] for r in stored} - {config})
    if other:
        raise InputError(f"minhash index {path} was built with other signature params "
                         f"({other[0]}) than this step ({config}): band keys would not "
                         "compare; use the same params or a new index")
    valid = []
    for output in sorted({r["output"] for r in stored}):
        out_fs, out_norm = get_fs(output, spark)
        runs = committed_runs(out_fs, out_norm)
        valid += [(output, r["run_id"]) for r in stored if r["output"] == output
                  and r["run_id"] in runs]
    if not valid:
        return None
    committed = spark.createDataFrame(valid, "output string, run_id string")
    return (rows.join(F.broadcast(committed), ["output", "run_id"])
            .select("id", "band", "key"))


def index_matches(keys: DataFrame, index: DataFrame, id_column: str) -> DataFrame:
    """``(id, ANCHOR)`` for each new document sharing a band key with the index; the
    anchor is the smallest indexed id it collides with."""
    member = keys.select(id_column, F.posexplode(BANDS).alias("band", "key"))
    return (member.join(index.withColumnRenamed("id", ANCHOR), ["band", "key"])
            .groupBy(id_column).agg(F.min(ANCHOR).alias(ANCHOR)))


def index_rows(kept: DataFrame, keys: DataFrame, id_column: str, *, run_id: str,
               output: str, config: str) -> DataFrame:
    """The rows to append for the recipe's ``kept`` documents."""
    ids = kept.select(id_column)
    return (keys.join(ids, id_column, "left_semi")
            .select(F.col(id_column).cast("string").alias("id"),
                    F.posexplode(BANDS).alias("band", "key"))
            .select("id", F.col("band").cast("int").alias("band"), "key",
                    F.lit(run_id).alias("run_id"), F.lit(output).alias("output"),
                    F.lit(config).alias("config")))
