"""Spark catalog tables as sources: ``catalog:DB.*``, ``catalog:DB.TABLE``, ``catalog:DB.sales_*``.

``DB`` is a database (namespace) of the session's catalog, with its catalog part if
there is one (``catalog:main.sales.*`` on Unity Catalog); after the last dot comes a
table name or a glob (``*``, ``?``, ``[...]``; case-insensitive). Tables and views
count; temporary views do not. Each table is named ``catalog:DB.TABLE`` and read
with ``spark.table``. Its schema comes from the catalog; its statistics, cheapest
first:

1. a Parquet table without partition columns, or a Delta table: from the footers or
   the Delta log at its location, as for a path (always current, nothing scanned);
2. statistics the catalog holds (``ANALYZE TABLE ... COMPUTE STATISTICS FOR ALL
   COLUMNS``): the row count and, per column, nulls, min and max (numbers, dates,
   timestamps; Spark keeps none for strings). Spark drops them when it changes the
   table; its approximate distinct counts are not used;
3. otherwise computed once by Spark, like a CSV table's (rows, distinct rows, nulls,
   min/max), and cached against the listing of the table's files; a table without
   files (a view) is computed in every run.

Example::

    refs = discover_catalog(spark, "catalog:sales.*")
    info = inspect_catalog(spark, refs[0], cache_dir="/tmp/cache")
"""
from __future__ import annotations

import datetime as _dt
import fnmatch
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation

from thresher.operators.connect import note
from thresher.operators.errors import ConnectUnsupportedError, ContainmentInputError, TableReadError
from thresher.operators.io.fs import get_fs, walk_files

from .csv_meta import _load, _store, compute_csv_stats
from .delta_meta import inspect_delta
from .parquet_meta import inspect_parquet
from .sources import TableRef
from .spark_jobs import JobGroup
from .stats import ColumnStats, TableStats, stats_from_json, stats_to_json, to_value
from .tables import TableInfo
from .types import Column, spark_family

PREFIX = "catalog:"
CACHE_VERSION = 1
_GLOB = set("*?[]")
_STATS = re.compile(r"^\s*(\d+)\s+bytes(?:,\s*(\d+)\s+rows)?", re.IGNORECASE)


def is_catalog_source(source: str) -> bool:
    return source.lower().startswith(PREFIX)


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def discover_catalog(spark, source: str) -> list[TableRef]:
    """The tables a ``catalog:`` source names, sorted; a ContainmentInputError when the
    database does not exist or nothing matches."""
    if spark is None:
        raise ContainmentInputError(f"source {source!r}: catalog sources need a SparkSession")
    spec = source[len(PREFIX):].strip()
    db, _, pattern = spec.rpartition(".")
    if not db or not pattern:
        raise ContainmentInputError(f"source {source!r}: expected catalog:DATABASE.TABLE or "
                                    "catalog:DATABASE.* (a table name or a glob after the last dot)")
    try:
        exists = spark.catalog.databaseExists(db)
    except Exception as exc:  # noqa: BLE001 - a malformed name
        raise ContainmentInputError(f"source {source!r}: {type(exc).__name__}: {exc}") from exc
    if not exists:
        raise ContainmentInputError(f"source {source!r}: no database {db!r} in the Spark catalog")
    if _GLOB & set(pattern):
        names = sorted(t.name for t in spark.catalog.listTables(db)
                       if not t.isTemporary and fnmatch.fnmatchcase(t.name.lower(), pattern.lower()))
        if not names:
            raise ContainmentInputError(f"source {source!r}: no table of database {db!r} matches {pattern!r}")
    else:
        if not spark.catalog.tableExists(f"{db}.{_quote(pattern)}"):
            raise ContainmentInputError(f"source {source!r}: no table {pattern!r} in database {db!r}")
        names = [pattern]
    return [TableRef(f"{PREFIX}{db}.{n}", f"{db}.{_quote(n)}", "catalog") for n in names]


def read_catalog(spark, info_or_path) -> object:
    """The catalog table as a DataFrame (``info.path`` is its quoted name)."""
    path = info_or_path if isinstance(info_or_path, str) else info_or_path.path
    return spark.table(path)


def _describe(spark, path: str) -> tuple[dict[str, str], list[str]]:
    """DESCRIBE TABLE EXTENDED: (detailed information, partition columns)."""
    info, partitions, section = {}, [], "columns"
    for row in spark.sql(f"DESCRIBE TABLE EXTENDED {path}").collect():
        key, value = (row[0] or "").strip(), (row[1] or "").strip()
        if key == "# col_name":
            continue
        if key.startswith("#"):
            section = {"# Partition Information": "partitions",
                       "# Detailed Table Information": "details"}.get(key, "other")
        elif section == "partitions" and key and key != "# col_name":
            partitions.append(key)
        elif section == "details" and key:
            info[key] = value
    return info, partitions


def _from_files(spark, ref: TableRef, details: dict, partitions: list[str],
                page_headers: bool) -> TableInfo | None:
    """Statistics from footers / the Delta log at the table's location, or None."""
    provider, location = details.get("Provider", "").lower(), details.get("Location")
    if not location or provider not in ("parquet", "delta") or (provider == "parquet" and partitions):
        return None
    try:
        fs, path = get_fs(location, spark)
    except ConnectUnsupportedError:
        # Spark Connect: the table's files (s3://, abfss:// on Databricks) are out of the
        # client's reach, so no footers or Delta log; Spark computes the statistics instead.
        note(spark, f"containment: {ref.name}'s files at {location} cannot be read from a Spark "
                    "Connect client: its statistics come from a Spark scan, not its footers")
        return None
    inspect = inspect_parquet if provider == "parquet" else inspect_delta
    return inspect(fs, path, name=ref.name, page_headers=page_headers)


def _stat_value(family: str, text: str | None):
    """A catalog min/max string as a comparable value; None when it cannot be trusted."""
    if text is None or text in ("", "NULL"):
        return None
    try:
        if family == "int":
            return int(text)
        if family == "float":
            return to_value("float", float(text))
        if family == "decimal":
            return Decimal(text)
        if family == "date":
            return to_value("date", _dt.date.fromisoformat(text))
        if family == "timestamp":  # "2024-01-01 10:00:00.000000 +0000"; without zone: wall clock
            for fmt in ("%Y-%m-%d %H:%M:%S.%f %z", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
                try:
                    return to_value("timestamp", _dt.datetime.strptime(text, fmt))
                except ValueError:
                    continue
    except (ValueError, InvalidOperation):
        return None
    return None  # strings (Spark keeps no min/max for them), other types, unparsed: unknown


def _from_catalog_stats(spark, ref: TableRef, columns: list[Column], details: dict) -> TableStats | None:
    """Row count and column statistics the catalog holds (ANALYZE TABLE), or None."""
    m = _STATS.match(details.get("Statistics", ""))
    if not m or m.group(2) is None:
        return None
    stats = TableStats(rows=int(m.group(2)))
    for c in columns:
        rows = {r[0]: r[1] for r in spark.sql(f"DESCRIBE TABLE EXTENDED {ref.path} {_quote(c.name)}").collect()}
        nulls = rows.get("num_nulls")
        if nulls is None or nulls == "NULL":
            return None  # no column statistics: the row count alone prunes nothing under sets
        lo, hi = _stat_value(c.family, rows.get("min")), _stat_value(c.family, rows.get("max"))
        stats.columns[c.key] = ColumnStats(nulls=int(nulls), min_lo=lo, min_hi=lo, max_lo=hi, max_hi=hi)
    return stats


def _listing(spark, location: str | None) -> tuple[list, int]:
    if not location:
        return [], 0
    try:
        fs, path = get_fs(location, spark)
        files = sorted((f.path, f.size, f.mtime_ms) for f in walk_files(fs, path))
    except Exception:  # noqa: BLE001 - not listable: no cache
        return [], 0
    return files, sum(size for _, size, _ in files)


def _is_char(field) -> bool:
    """A CHAR(n) column (Spark shows it as a string with the declared type in metadata)."""
    from pyspark.sql.types import CharType

    declared = (field.metadata or {}).get("__CHAR_VARCHAR_TYPE_STRING", "")
    return isinstance(field.dataType, CharType) or declared.lower().startswith("char")


def inspect_catalog(spark, ref: TableRef, *, cache_dir: str | None, page_headers: bool = True) -> TableInfo:
    """Schema and statistics of a catalog table (see the module docstring)."""
    try:
        df = read_catalog(spark, ref.path)
        details, partitions = _describe(spark, ref.path)
    except Exception as exc:  # noqa: BLE001 - Spark's analysis and metastore errors
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise TableReadError(f"Spark cannot read it from the catalog: {first}", table=ref.name) from exc
    columns = [Column(f.name, spark_family(f.dataType)) for f in df.schema.fields]
    info = _from_files(spark, ref, details, partitions, page_headers)
    if info is not None and {c.key: c.family for c in info.columns} == {c.key: c.family for c in columns}:
        info.path, info.format, info.columns = ref.path, "catalog", columns
        for f in df.schema.fields:
            if _is_char(f) and f.name.lower() in info.stats.columns:
                # Spark pads CHAR(n) values on read: the files' values, bounds and distinct
                # counts are not what the content stage compares. Only nulls carry over.
                info.stats.columns[f.name.lower()] = ColumnStats(nulls=info.stats.columns[f.name.lower()].nulls)
        return info
    files, data_bytes = _listing(spark, details.get("Location"))
    m = _STATS.match(details.get("Statistics", ""))
    data_bytes = data_bytes or (int(m.group(1)) if m else 0)
    stats = _from_catalog_stats(spark, ref, columns, details)
    meta_bytes = 0
    if stats is None:
        stats, meta_bytes = _computed(spark, ref, df, files, cache_dir)
    return TableInfo(name=ref.name, path=ref.path, format="catalog", columns=columns, stats=stats,
                     data_bytes=data_bytes, meta_bytes=meta_bytes)


def _computed(spark, ref: TableRef, df, files: list, cache_dir: str | None) -> tuple[TableStats, int]:
    """Statistics computed by Spark, cached against the table's file listing when it has one."""
    families = {f.name.lower(): spark_family(f.dataType) for f in df.schema.fields}
    key = None
    if files:
        blob = json.dumps({"v": CACHE_VERSION, "table": ref.name, "schema": df.schema.json(),
                           "files": files}, sort_keys=True)
        key = "catalog-" + hashlib.sha256(blob.encode()).hexdigest()[:32]
        entry = _load(cache_dir, key)
        if entry is not None:
            return stats_from_json(entry["stats"], families), 0
    with JobGroup(spark, "thresher-containment-catalog-stats") as group:
        stats = compute_csv_stats(df)
    if key is not None:
        _store(cache_dir, key, {"stats": stats_to_json(stats, families)})
    return stats, group.input_bytes or 0
