"""Schema and statistics of a Delta table from its log (delta-rs; no data file is opened).

Per-file ``numRecords``, ``nullCount``, ``minValues``/``maxValues`` and partition
values, folded like Parquet row groups. Log statistics are not always exact, so
they become intervals (see stats.py): strings of 32 characters or more may be
truncated prefixes (Delta's ``dataSkippingStringPrefixLength``) and count as
unknown; timestamps may be cut to milliseconds and get a +-1 ms window; decimals
beyond 15 digits went through JSON numbers and count as unknown. With
``page_headers``, each data file's footer and page headers also bound the columns'
distinct values (parquet_pages.py). Example::

    info = inspect_delta(fs, "/lake/events", name="/lake/events")
"""
from __future__ import annotations

import json
import posixpath
from urllib.parse import unquote, urlparse

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from thresher.operators.errors import TableReadError
from thresher.operators.io.delta import delta_uri
from thresher.operators.io.parquet import read_footer

from .parquet_meta import fold_distinct
from .stats import BoundsAccumulator, DistinctAccumulator, TableStats, to_value
from .tables import TableInfo
from .types import ORDERED, Column, spark_family

STRING_PREFIX = 32
_MS = 1000  # microseconds


def _open(fs, path: str, name: str):
    from deltalake import DeltaTable
    try:
        return DeltaTable(delta_uri(fs, path))
    except Exception as exc:  # noqa: BLE001 - delta-rs raises several types
        raise TableReadError(f"cannot open the Delta table: {type(exc).__name__}: {exc}",
                             table=name) from exc


def _has_deletion_vectors(dt) -> bool:
    if "deletionVectors" not in (dt.protocol().reader_features or []):
        return False
    return bool(len(dt.deletion_vectors().read_all()))


def _ranges(family: str, spark_type: str, lo, hi):
    """``(lo_range, hi_range)`` of one file's stored min/max (see the module docstring)."""
    if family == "float" and spark_type == "float":
        # float32 stats are written in their shortest decimal form: back to float32's value
        lo = None if lo is None else float(np.float32(lo))
        hi = None if hi is None else float(np.float32(hi))
    lo, hi = to_value(family, lo), to_value(family, hi)
    if family == "string":
        lo = lo if lo is not None and len(lo) < STRING_PREFIX else None
        hi = hi if hi is not None and len(hi) < STRING_PREFIX else None
    if family == "timestamp":
        return ((None, None) if lo is None else (lo - _MS, lo + _MS),
                (None, None) if hi is None else (hi - _MS, hi + _MS))
    if family == "decimal" and spark_type.startswith("decimal("):
        precision = int(spark_type[len("decimal("):].split(",")[0])
        if precision > 15:
            lo = hi = None
    return (lo, lo), (hi, hi)


def _field(table: pa.Table, group: str, key: str):
    if group not in table.column_names:
        return None
    col = table.column(group).combine_chunks()
    return col.field(key).to_pylist() if key in [f.name for f in col.type] else None


def _file_path(table_path: str, rel: str) -> str:
    """An add action's path (URL-encoded, relative to the table, or an absolute URI)."""
    if rel.startswith("file:"):  # file:///x or Hadoop's file:/x
        local = unquote(urlparse(rel).path)
        return local if table_path.startswith("/") else "file://" + local
    if "://" in rel:
        parsed = urlparse(rel)
        return parsed._replace(path=unquote(parsed.path)).geturl()
    return posixpath.join(table_path, unquote(rel))


def _fold_file_distinct(fs, path: str, adds: pa.Table, columns: list[Column], stats: TableStats,
                        partition_cols) -> int:
    """Distinct-value bounds from the data files' page headers; returns the bytes read."""
    distinct: dict[str, DistinctAccumulator] = {}
    families = {c.key: c.family for c in columns}
    nbytes = 0
    for rel in adds.column("path").to_pylist():
        file = _file_path(path, rel)
        md = read_footer(fs, file)
        nbytes += md.serialized_size + 8 + fold_distinct(fs, file, md, distinct, families=families)
    partitions = set(partition_cols)  # Spark reads a partition column from the log, not the file
    for key, d in distinct.items():
        if key in stats.columns and key not in partitions:
            d.apply(stats.columns[key])
    return nbytes


def inspect_delta(fs, path: str, *, name: str, page_headers: bool = True) -> TableInfo:
    """Schema and statistics of the Delta table at ``path``, from its current snapshot's log
    (and its data files' footers and page headers unless ``page_headers`` is off)."""
    from pyspark.sql.types import StructType

    dt = _open(fs, path, name)
    config = dt.metadata().configuration or {}
    if config.get("delta.columnMapping.mode", "none") != "none":
        raise TableReadError("uses column mapping; reading it needs native Delta", table=name)
    schema = StructType.fromJson(json.loads(dt.schema().to_json()))
    columns = [Column(f.name, spark_family(f.dataType)) for f in schema.fields]
    adds = pa.table(dt.get_add_actions(flatten=False))
    log = fs.list(posixpath.join(path, "_delta_log"))
    meta_bytes = sum(e.size for e in log if not e.is_dir)
    data_bytes = int(pc.sum(adds.column("size_bytes")).as_py() or 0) if adds.num_rows else 0
    if _has_deletion_vectors(dt):  # counts and bounds include deleted rows: not usable
        return TableInfo(name=name, path=path, format="delta", columns=columns, stats=TableStats(),
                         data_bytes=data_bytes, meta_bytes=meta_bytes)
    records = adds.column("num_records").to_pylist() if "num_records" in adds.column_names else None
    rows = None if records is None or None in records else sum(records)
    partition_cols = set(dt.metadata().partition_columns)
    stats = TableStats(rows=rows)
    for f, col in zip(schema.fields, columns):
        if col.family not in ORDERED:
            continue
        acc = BoundsAccumulator()
        stype = f.dataType.simpleString()
        if f.name in partition_cols:
            values = _field(adds, "partition", f.name) or [None] * adds.num_rows
            for v, n in zip(values, records or [None] * adds.num_rows):
                if v is None:
                    acc.add(values=0, nulls=n)
                else:
                    lo, hi = _ranges(col.family, stype, v, v)
                    acc.add(values=n, nulls=0, lo_range=lo, hi_range=hi)
        else:
            nulls = _field(adds, "null_count", f.name) or [None] * adds.num_rows
            mins = _field(adds, "min", f.name) or [None] * adds.num_rows
            maxs = _field(adds, "max", f.name) or [None] * adds.num_rows
            for i in range(adds.num_rows):
                n = None if records is None else records[i]
                values = None if n is None or nulls[i] is None else n - nulls[i]
                lo, hi = _ranges(col.family, stype, mins[i], maxs[i])
                acc.add(values=values, nulls=nulls[i], lo_range=lo, hi_range=hi)
        stats.columns[col.key] = acc.result()
    if page_headers and adds.num_rows:
        try:
            meta_bytes += _fold_file_distinct(fs, path, adds, columns, stats,
                                              {c.lower() for c in partition_cols})
        except Exception:  # noqa: BLE001 - a data file it cannot read: no distinct bounds (none
            pass           # were applied); the content stage, which reads the data, reports it
    return TableInfo(name=name, path=path, format="delta", columns=columns, stats=stats,
                     data_bytes=data_bytes, meta_bytes=meta_bytes)

