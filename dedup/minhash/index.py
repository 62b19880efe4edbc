"""The incremental index of ``minhash_dedup``: band keys of every document kept so far.

A Delta table, one row per (kept document, band): ``id`` (as a string), ``band``,
``key``, ``run_id``, ``output`` (the recipe output the row was kept into) and
``config`` (the signature params, JSON). A run drops new documents whose band keys
collide with the index's, then appends its own keepers' band keys.

Which rows count. Delta cannot commit two tables at once, so the output's commit is
the one commit point: the index rows are appended *before* the output commits,
tagged with the run id, and a reader counts a row only while its run's kept rows
are still in its output (``live_runs``): the run's commit is in the output's Delta
history **and no later commit replaced the table** (an overwrite, a restore to an
earlier version, the runner rolling the run back). So

* a run that dies between the two commits leaves rows that never count;
* ``output.mode: overwrite`` supersedes every earlier run of that output: the
  overwriting run itself ignores that output's rows (its own output replaces them,
  ``replaced_output``), and once it commits, readers see only runs from its commit on;
* ``append`` keeps every earlier run of the output counting.

Superseded rows stay in the index (space, not answers). A document never matches
its own indexed copy as a near duplicate: the same id in the index of this output
means it was kept already (append), and is reported as such; the same id kept into
another output is ignored.

Matches against the index are verified by signature: the index keeps no text, but
the band-0 row of each document carries its MinHash ``signature``, and a band
collision counts only where the two signatures agree in at least ``threshold`` of
their positions (the MinHash estimate of their Jaccard; in-batch pairs with
``verify: true`` are then checked exactly on shingles). Rows of an index written
before signatures were kept (no ``signature`` column, or null) still match on a band
collision alone, counted as ``index_matches_unverified``; such an index is appended to
in its own schema. With datasketch's bands and rows for threshold 0.8 and 128
permutations (9 bands of 13 rows) a pair at Jaccard 0.8 collides in some band with
probability ~40%, at 0.9 with ~93% (``MinHashConfig.bands_rows``).
"""
from __future__ import annotations

import json

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (ArrayType, IntegerType, LongType, StringType, StructField,
                               StructType)

from thresher.dedup.minhash.lsh import BANDS, SIG
from thresher.dedup.minhash.verify import agreeing_positions
from thresher.operators.errors import InputError
from thresher.operators.io import get_fs, read_input
from thresher.operators.io.delta import delta_uri, is_delta_table

INDEX_SCHEMA = StructType([
    StructField("id", StringType(), False), StructField("band", IntegerType(), False),
    StructField("key", LongType(), False), StructField("run_id", StringType(), False),
    StructField("output", StringType(), False), StructField("config", StringType(), False)])
SIGNATURE = StructField("signature", ArrayType(IntegerType(), False), True)  # band 0 only
ANCHOR = "_thresher_mh_anchor"
UNVERIFIED = "_thresher_mh_unverified"  # matched on a band collision alone (an old index row)
SELF = "_thresher_mh_self"  # the anchor is the document's own id: kept already (append)
# Delta operations that replace a table's whole content (Spark SQL spellings).
_REPLACING = ("CREATE OR REPLACE TABLE", "REPLACE TABLE")


def index_config(signature_params: dict) -> str:
    """The params that make two runs' band keys comparable, as canonical JSON."""
    return json.dumps(signature_params, sort_keys=True, separators=(",", ":"))


def _tag(entry: dict, key: str) -> str | None:
    """A thresher key of a Delta history entry (native Delta keeps them in userMetadata)."""
    value = entry.get(key)
    if value is None and entry.get("userMetadata"):
        try:
            value = json.loads(entry["userMetadata"]).get(key)
        except (ValueError, AttributeError):
            value = None
    return str(value) if value else None


def _restored_version(entry: dict) -> int | None:
    if str(entry.get("operation", "")).upper() != "RESTORE":
        return None
    target = (entry.get("operationParameters") or {}).get("version")
    try:
        return int(target)
    except (TypeError, ValueError):
        return -1  # restored to a timestamp: count nothing from before it


def _replaces(entry: dict) -> bool:
    mode = str((entry.get("operationParameters") or {}).get("mode", "")).lower()
    operation = str(entry.get("operation", "")).upper()
    return mode == "overwrite" or operation.startswith(_REPLACING)


def live_runs(fs, path: str) -> set[str]:
    """The thresher run ids whose kept rows are still in the Delta table at ``path``;
    empty when there is no table.

    The history is replayed in version order: a commit adds its run, an overwrite
    leaves only its own, a ``RESTORE`` goes back to the runs of the version it
    restores, and a commit naming ``thresher.rolled_back_run`` (the runner undoing a
    failed run's group) drops that run. A run whose commit left the log (log
    retention) no longer counts.
    """
    if not is_delta_table(fs, path):
        return set()
    from deltalake import DeltaTable
    try:
        history = DeltaTable(delta_uri(fs, path)).history()
    except Exception as exc:  # noqa: BLE001 - delta-rs raises several types
        raise InputError(f"cannot read the Delta history of output {path}: {exc}") from exc
    ordered = sorted(enumerate(history), key=lambda e: (e[1].get("version", -e[0]), -e[0]))
    live: set[str] = set()
    at: dict[int, frozenset[str]] = {}
    for position, entry in ordered:
        run, target = _tag(entry, "thresher.run_id"), _restored_version(entry)
        if target is not None:
            live = set(at.get(target, ()))
        elif _replaces(entry):
            live = set()
        if run:
            live.add(run)
        live.discard(_tag(entry, "thresher.rolled_back_run"))
        at[entry.get("version", -position)] = frozenset(live)
    return live


def read_index(spark, path: str, config: str, *,
               replaced_output: str | None = None) -> DataFrame | None:
    """``(id, band, key, output)`` of the rows of the index at ``path`` that count; None
    when none does. The index must have been built with the same ``config``. Rows kept
    into ``replaced_output`` (the output this run overwrites) never count."""
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
    for output in sorted({r["output"] for r in stored} - {replaced_output}):
        out_fs, out_norm = get_fs(output, spark)
        runs = live_runs(out_fs, out_norm)
        valid += [(output, r["run_id"]) for r in stored if r["output"] == output
                  and r["run_id"] in runs]
    if not valid:
        return None
    counted = spark.createDataFrame(valid, "output string, run_id string")
    signature = (F.col(SIGNATURE.name) if SIGNATURE.name in rows.columns
                 else F.lit(None).cast(SIGNATURE.dataType).alias(SIGNATURE.name))
    return (rows.join(F.broadcast(counted), ["output", "run_id"])
            .select("id", "band", "key", "output", signature))


def keeps_signatures(spark, path: str) -> bool:
    """Whether rows appended to the index at ``path`` carry signatures: a new index
    does; one written before they were kept has no such column (appended to as it is)."""
    fs, norm = get_fs(path, spark)
    if not is_delta_table(fs, norm):
        return True
    return SIGNATURE.name in read_input(spark, format="delta", path=path).columns


def index_matches(keys: DataFrame, index: DataFrame, id_column: str, output: str, *,
                  threshold: float | None = None) -> DataFrame:
    """``(id, ANCHOR, SELF, UNVERIFIED)`` for each new document matching the index.

    A document whose id is indexed for ``output`` was kept there already: its anchor is
    its own id (``SELF``). Otherwise the anchor is the smallest *other* indexed id it
    shares a band key with and, where ``keys`` carries signatures and ``threshold`` is
    given, whose indexed signature agrees with its own in at least ``threshold`` of the
    positions; an indexed row without a signature matches unverified. Its own id kept
    into another output is no match.
    """
    own = F.col(id_column).cast("string")
    member = keys.select(id_column, F.posexplode(BANDS).alias("band", "key"))
    near = (member.join(index.select("band", "key", F.col("id").alias(ANCHOR), "output"),
                        ["band", "key"])
            .where(F.col(ANCHOR) != own)
            .select(id_column, ANCHOR, "output").distinct())
    if threshold is not None and SIG in keys.columns:
        signed = (index.where(F.col("band") == 0)
                  .select(F.col("id").alias(ANCHOR), "output", F.col(SIGNATURE.name).alias("_b")))
        near = (near.join(signed, [ANCHOR, "output"], "left")
                .join(keys.select(id_column, F.col(SIG).alias("_a")), id_column))
        agree = agreeing_positions("_a", "_b")
        near = (near.where(F.col("_b").isNull() | (agree >= F.size("_a") * F.lit(threshold)))
                .select(id_column, ANCHOR, F.col("_b").isNull().alias(UNVERIFIED)))
    else:
        near = near.select(id_column, ANCHOR, F.lit(True).alias(UNVERIFIED))
    near = near.withColumn(SELF, F.lit(False))
    kept_here = index.where(F.col("output") == output).select(F.col("id").alias(ANCHOR)).distinct()
    same = (keys.select(id_column).join(kept_here, own == F.col(ANCHOR))
            .select(id_column, ANCHOR, F.lit(False).alias(UNVERIFIED), F.lit(True).alias(SELF)))
    # Kept already beats a near duplicate: the document itself is in the output. A
    # verified anchor beats an unverified one; then the smallest id.
    best = F.struct(~F.col(SELF), F.col(UNVERIFIED), F.col(ANCHOR))
    return (near.unionByName(same).groupBy(id_column)
            .agg(F.max(SELF).alias(SELF), F.min_by(ANCHOR, best).alias(ANCHOR),
                 F.min_by(UNVERIFIED, best).alias(UNVERIFIED)))


def index_rows(kept: DataFrame, keys: DataFrame, id_column: str, *, run_id: str,
               output: str, config: str, signatures: bool = True) -> DataFrame:
    """The rows to append for the recipe's ``kept`` documents; with ``signatures``, the
    ``signature`` column (the document's on its band-0 row, where ``keys`` has them)."""
    sig = F.col(SIG) if SIG in keys.columns else F.lit(None).cast(SIGNATURE.dataType)
    exploded = (keys.join(kept.select(id_column), id_column, "left_semi")
                .select(F.col(id_column).cast("string").alias("id"),
                        F.posexplode(BANDS).alias("band", "key"), sig.alias("_sig")))
    signature = [F.when(F.col("band") == 0, F.col("_sig")).cast(SIGNATURE.dataType)
                 .alias(SIGNATURE.name)] if signatures else []
    return exploded.select("id", F.col("band").cast("int").alias("band"), "key",
                           F.lit(run_id).alias("run_id"), F.lit(output).alias("output"),
                           F.lit(config).alias("config"), *signature)
