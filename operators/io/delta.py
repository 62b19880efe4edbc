"""Delta Lake reads and writes, with or without the Delta jars in the JVM.

Native (Databricks, delta-spark on the classpath): Spark's ``format("delta")``;
the commit info goes in ``userMetadata``.

Without the jars (our machines): Spark writes Parquet files in parallel into a
hidden staging sibling ``.<name>.staging-<run>`` and the driver commits them in
ONE Delta transaction with delta-rs, with per-file stats read from the Parquet
footers (no data scan) and the commit info as custom commit metadata:

* existing table: the files are renamed into the table folder (invisible to
  Delta readers until committed), then ``create_write_transaction`` appends,
  or overwrites (delta-rs writes remove actions; no data file is deleted).
* no table yet (or ``overwrite`` of a folder that is not a Delta table): the
  table, log included, is built inside the staging folder and swapped in with
  renames, exactly like a Parquet output.

A crash before the commit leaves the previous version current; files that were
renamed in but never committed are orphans that ``VACUUM`` removes.
Reads without the jars: ``DeltaTable.file_uris()`` of the current snapshot, read
by Spark with ``basePath`` (never the table folder itself: it holds removed files).
"""
from __future__ import annotations

import json
import posixpath
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, unquote

from ..errors import DeltaError, InputError, OutputExistsError
from ..session import has_native_delta
from .fs import failpoint, is_hidden, staging_cleanup, walk_files
from .parquet import (STAGING, data_files, delta_stats, read_footer, recover, sibling,
                      spark_write_parquet, swap_in)

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
RESERVED_COMMIT_KEYS = {"timestamp", "operation", "engineInfo", "operationParameters", "readVersion",
                        "userId", "userName", "userMetadata", "isolationLevel", "isBlindAppend"}


# ------------------------------------------------------------------ helpers
def is_delta_table(fs, path: str) -> bool:
    """A ``_delta_log`` folder holding at least one commit or checkpoint."""
    log = posixpath.join(path, "_delta_log")
    return any(posixpath.basename(e.path).endswith((".json", ".checkpoint.parquet"))
               and not e.is_dir for e in fs.list(log))


def delta_uri(fs, path: str) -> str:
    """The location as delta-rs spells it (s3a:// and s3n:// are s3:// there)."""
    if fs.local:
        return path
    for alias in ("s3a://", "s3n://"):
        if path.startswith(alias):
            return "s3://" + path[len(alias):]
    return path


def _nullable(node):
    """Spark schema JSON with every field, element and value nullable (as Spark's file writes)."""
    if isinstance(node, dict):
        node = {k: _nullable(v) for k, v in node.items()}
        for key in ("nullable", "containsNull", "valueContainsNull"):
            if key in node:
                node[key] = True
        return node
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


def _shape(schema_json: dict) -> list:
    """Field names and types only (no nullability, no metadata), for comparisons."""
    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items()
                    if k not in ("nullable", "containsNull", "valueContainsNull", "metadata")}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node
    return strip(schema_json)["fields"]


def _open(fs, path: str, version=None):
    from deltalake import DeltaTable
    try:
        return DeltaTable(delta_uri(fs, path), version=version)
    except Exception as exc:  # noqa: BLE001 - delta-rs raises several types
        raise DeltaError(f"cannot open Delta table {path}: {exc}") from exc


def commit_run_id(entry: dict, key: str = "thresher.run_id") -> str | None:
    """The thresher run id (or ``key``) a Delta history entry carries, if any."""
    run = entry.get(key)
    if run is None and entry.get("userMetadata"):  # native Delta keeps it there only
        try:
            run = json.loads(entry["userMetadata"]).get(key)
        except (ValueError, AttributeError):
            run = None
    return str(run) if run else None


def committed_runs(fs, path: str) -> set[str]:
    """The thresher run ids of every commit in the Delta table's history (empty when
    there is no table): a run's output counts as committed once its id is here, and
    no longer once a later commit rolled it back (operators/io/group.py)."""
    if not is_delta_table(fs, path):
        return set()
    runs, undone = set(), set()
    for entry in _open(fs, path).history():
        run = commit_run_id(entry)
        if run:
            runs.add(run)
        rolled_back = commit_run_id(entry, "thresher.rolled_back_run")
        if rolled_back:
            undone.add(rolled_back)
    return runs - undone


def _partition_values(rel: str, partition_by) -> dict:
    parts = posixpath.dirname(rel).split("/") if partition_by else []
    values = {}
    for key, part in zip(partition_by, parts):
        name, _, raw = part.partition("=")
        if name != key:
            raise DeltaError(f"unexpected partition folder {part!r} (expected {key}=...)")
        value = unquote(raw)  # Spark escapes special characters as %XX
        values[key] = None if value == HIVE_NULL else value
    return values


def _add_action(fs, info, rel: str, partition_by):
    from deltalake.transaction import AddAction
    stats = delta_stats(read_footer(fs, info.path))
    return AddAction(path=rel, size=info.size, partition_values=_partition_values(rel, partition_by),
                     modification_time=info.mtime_ms, data_change=True,
                     stats=json.dumps(stats, separators=(",", ":")))


def commit_properties(commit_info: dict | None):
    from deltalake.transaction import CommitProperties
    info = dict(commit_info or {})
    custom = {k: v for k, v in info.items() if k not in RESERVED_COMMIT_KEYS}
    custom["userMetadata"] = json.dumps(info, sort_keys=True)
    return CommitProperties(custom_metadata=custom)


# ------------------------------------------------------------------ write
def write_delta(df, fs, path: str, *, mode: str, partition_by, commit_info, tag: str,
                group=None) -> None:
    spark = df.sparkSession
    if has_native_delta(spark):
        return _write_native(df, fs, path, mode=mode, partition_by=partition_by, commit_info=commit_info)
    from deltalake import Schema
    from deltalake.transaction import create_table_with_add_actions

    recover(fs, path, cleanup=True)
    table = is_delta_table(fs, path)
    occupied = fs.exists(path) and (not fs.is_dir(path) or bool(fs.list(path)))
    if occupied and mode == "error":
        raise OutputExistsError(f"output {path} exists and mode is 'error'")
    if occupied and not table and mode == "append":
        raise DeltaError(f"cannot append to {path}: it exists but is not a Delta table "
                         "(no _delta_log); use mode: overwrite or another path")
    schema_json = _nullable(json.loads(df.schema.json()))
    partition_by = list(partition_by)
    dt = _open(fs, path) if table else None
    if dt is not None:
        _check_compatible(dt, path, schema_json, partition_by, mode)
    try:
        schema = Schema.from_json(json.dumps(schema_json))
    except Exception as exc:  # noqa: BLE001
        raise DeltaError(f"{path}: the output schema has a type Delta does not support: {exc}") from exc

    staging = sibling(path, STAGING, tag)
    with staging_cleanup(fs, staging, f"writing Delta table {path} failed; its previous version "
                         "is still current", DeltaError):
        spark_write_parquet(df, fs, staging, partition_by)
        files = data_files(fs, staging)
        with ThreadPoolExecutor(max_workers=16) as pool:  # footers only, I/O bound
            adds = list(pool.map(lambda fr: _add_action(fs, fr[0], fr[1], partition_by), files))
        props = commit_properties(commit_info)
        if dt is None:  # a new table: build it in staging, then swap it in
            for leftover in walk_files(fs, staging):  # _SUCCESS, .crc: not part of a table
                if is_hidden(posixpath.basename(leftover.path)):
                    fs.delete(leftover.path)
            failpoint("before_commit")
            create_table_with_add_actions(delta_uri(fs, staging), schema, adds, mode="error",
                                          partition_by=partition_by or None, commit_properties=props)
            _relocate_create_commit(fs, staging, path)
            swap_in(fs, staging, path, tag, group)
        else:
            for (info, rel) in files:  # not in the log yet: invisible to readers
                target = posixpath.join(path, rel)
                fs.mkdirs(posixpath.dirname(target))
                fs.rename(info.path, target)
            failpoint("before_commit")
            dt.create_write_transaction(adds, mode, schema, partition_by=partition_by or None,
                                        commit_properties=props)
    try:
        fs.delete(staging)  # existing-table case: only hidden leftovers (_SUCCESS, .crc)
    except Exception:  # noqa: BLE001 - committed already; the next write deletes stale staging
        pass


def _relocate_create_commit(fs, staging: str, path: str) -> None:
    """Name the table's own folder, not the staging one, as the CREATE TABLE commit's
    ``location`` (delta-rs records the folder it created the table in).

    The table is still in its hidden staging folder, unseen by readers, so its first
    commit can be rewritten; a crash here leaves staging that the next write removes.
    Only the last segment changes, the way the location spells it (percent-encoded or
    not); a location of any other shape is left as it is.
    """
    log = posixpath.join(staging, "_delta_log", "00000000000000000000.json")
    lines = fs.read_bytes(log).decode("utf-8").splitlines()
    old, new = posixpath.basename(staging), posixpath.basename(path.rstrip("/"))
    for i, line in enumerate(lines):
        action = json.loads(line)
        params = action.get("commitInfo", {}).get("operationParameters", {})
        location = params.get("location")
        if not isinstance(location, str):
            continue
        head, _, last = location.rstrip("/").rpartition("/")
        if last not in (old, quote(old)):
            return
        params["location"] = f"{head}/{new if last == old else quote(new)}" + (
            "/" if location.endswith("/") else "")
        lines[i] = json.dumps(action, separators=(",", ":"))
        fs.delete(log)
        fs.write_new(log, ("\n".join(lines) + "\n").encode("utf-8"))
        return


def _check_compatible(dt, path, schema_json, partition_by, mode) -> None:
    current = json.loads(dt.schema().to_json())
    table_parts = list(dt.metadata().partition_columns)
    if mode == "append" and _shape(current) != _shape(schema_json):
        raise DeltaError(f"cannot append to Delta table {path}: schema differs.\n"
                         f"table: {json.dumps(_shape(current))}\nnew:   {json.dumps(_shape(schema_json))}\n"
                         "use mode: overwrite (replaces the schema) or another path")
    if table_parts != partition_by:
        raise DeltaError(f"Delta table {path} is partitioned by {table_parts}, the output asks for "
                         f"{partition_by}; changing partitioning needs a new table path")


def _write_native(df, fs, path, *, mode, partition_by, commit_info) -> None:
    if mode == "error" and is_delta_table(fs, path):
        raise OutputExistsError(f"output {path} exists and mode is 'error'")
    writer = (df.write.format("delta").mode(mode)
              .option("userMetadata", json.dumps(commit_info or {}, sort_keys=True)))
    if mode == "overwrite":
        writer = writer.option("overwriteSchema", "true")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(fs.spark_path(path))


# ------------------------------------------------------------------ read
def read_delta(spark, fs, path: str, options: dict | None = None):
    options = dict(options or {})
    if has_native_delta(spark):
        return spark.read.format("delta").options(**options).load(fs.spark_path(path))
    from pyspark.sql.types import StructType

    version = options.pop("versionAsOf", None)
    if options:
        raise InputError(f"delta input {path}: options {sorted(options)} need native Delta "
                         "(delta-spark or Databricks); without it only versionAsOf is supported")
    recover(fs, path, cleanup=False)
    if not is_delta_table(fs, path):
        raise InputError(f"delta input {path}: not a Delta table (no _delta_log with commits)")
    dt = _open(fs, path, None if version is None else int(version))
    config = dt.metadata().configuration or {}
    if config.get("delta.columnMapping.mode", "none") != "none":
        raise DeltaError(f"Delta table {path} uses column mapping; reading it needs native Delta")
    if "deletionVectors" in (dt.protocol().reader_features or []) and len(dt.deletion_vectors().read_all()):
        raise DeltaError(f"Delta table {path} has deletion vectors; reading it needs native Delta")
    schema = StructType.fromJson(json.loads(dt.schema().to_json()))
    partition_by = list(dt.metadata().partition_columns)
    base = fs.spark_path(path)
    paths = []
    for uri in dt.file_uris():
        rel = _relative(uri, path, dt.table_uri)
        _partition_values(rel, partition_by)  # Spark infers partitions from Hive-style folders
        paths.append(posixpath.join(base, rel))
    if not paths:
        return spark.createDataFrame([], schema)
    df = spark.read.schema(schema).option("basePath", base).parquet(*paths)
    return df.select(*[f"`{name}`" for name in schema.names])  # Delta's column order


def _relative(uri: str, path: str, table_uri: str) -> str:
    for root in (path.rstrip("/") + "/", table_uri.rstrip("/") + "/", "file://" + path.rstrip("/") + "/"):
        if uri.startswith(root):
            return uri[len(root):]
    raise DeltaError(f"data file {uri} lies outside the table {path}; reading it needs native Delta")
