"""Schema and statistics of a Parquet file or dataset from its footers only (no data pages).

Row counts, and per top-level column null counts and min/max, folded over every
row group of every file; Hive partition folders (``key=value``) add columns whose
statistics come from the folder names. Footer min/max are taken as exact (Arrow
and parquet-java write them untruncated by default); timestamps of every unit become
floored microseconds, and nanosecond columns are recorded in ``TableInfo.nanos``
(timestamps.py: pandas' default, which Spark reads as longs). With ``page_headers``, the
headers of each column chunk's pages also bound its distinct values
(parquet_pages.py): a few dozen bytes a page, counted in ``meta_bytes``. Example::

    info = inspect_parquet(fs, "/lake/orders", name="/lake/orders")
    info.stats.rows, info.stats.columns["amount"].min_lo
"""
from __future__ import annotations

import datetime as _dt
import posixpath
import re
from urllib.parse import unquote

import pyarrow as pa

from thresher.operators.errors import TableReadError
from thresher.operators.io.fs import FileInfo
from thresher.operators.io.parquet import data_files, read_footer

from .parquet_pages import chunk_pages, trusted_entries
from .stats import BoundsAccumulator, DistinctAccumulator, TableStats, to_value
from .tables import TableInfo
from .timestamps import file_timestamps, leaf_unit, leaves, micros_bound
from .types import ORDERED, Column, arrow_family

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _partition_family(values: list[str | None]) -> str:
    """Spark's partition type inference, simplified: int, float, date, else string."""
    present = [v for v in values if v is not None]
    if present and all(_INT.match(v) and -2**63 <= int(v) < 2**63 for v in present):
        return "int"
    if present and all(_INT.match(v) or _FLOAT.match(v) for v in present):
        return "float"
    if present and all(_DATE.match(v) for v in present):
        return "date"
    return "string"


def _partition_value(family: str, raw: str):
    if family == "date":
        return to_value("date", _dt.date.fromisoformat(raw))
    return to_value(family, int(raw) if family == "int" else float(raw) if family == "float" else raw)


def _partitions(rel: str) -> dict[str, str | None]:
    out = {}
    for part in posixpath.dirname(rel).split("/"):
        if part:
            key, sep, raw = part.partition("=")
            if not sep:
                raise ValueError(f"folder {part!r} is not a key=value partition")
            value = unquote(raw)
            out[key] = None if value == HIVE_NULL else value
    return out


def _footer(fs, f: FileInfo, name: str):
    try:
        return read_footer(fs, f.path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for corrupt files
        raise TableReadError(f"cannot read the Parquet footer of {f.path}: "
                             f"{type(exc).__name__}: {exc}", table=name) from exc


def inspect_parquet(fs, path: str, *, name: str, page_headers: bool = True) -> TableInfo:
    """Schema and statistics of the Parquet file or dataset at ``path`` (footers, and
    page headers unless ``page_headers`` is off)."""
    if fs.is_dir(path):
        files = data_files(fs, path)
    else:
        files = [(fs.info(path), posixpath.basename(path))]
    if not files:
        raise TableReadError("no data files", table=name)
    schema = None
    nanos: dict[str, bool] | None = None
    accs: dict[str, BoundsAccumulator] = {}
    distinct: dict[str, DistinctAccumulator] = {}
    rows = meta_bytes = data_bytes = 0
    parts_seen: list[tuple[dict, int]] = []
    for f, rel in files:
        md = _footer(fs, f, name)
        arrow = md.schema.to_arrow_schema()
        fields = [(fld.name, arrow_family(fld.type)) for fld in arrow]
        if schema is None:
            schema = fields
        elif fields != schema:
            raise TableReadError(f"files disagree on the schema: {files[0][0].path} has {schema}, "
                                 f"{f.path} has {fields}", table=name)
        file_nanos = file_timestamps(md, arrow, name=name, path=f.path)
        if nanos is None:
            nanos = file_nanos
        elif file_nanos != nanos:  # Spark reads a column with the first file's type: long or timestamp
            raise TableReadError(f"files disagree on nanosecond timestamp columns: {files[0][0].path} "
                                 f"has {sorted(nanos)}, {f.path} has {sorted(file_nanos)}", table=name)
        rows += md.num_rows
        meta_bytes += md.serialized_size + 8
        data_bytes += f.size
        for fld, family, leaf in _flat_columns(arrow):
            _fold_column(accs.setdefault(fld.name.lower(), BoundsAccumulator()), md, leaf, family)
        if page_headers:
            meta_bytes += fold_distinct(fs, f.path, md, distinct, arrow=arrow)
        if fs.is_dir(path):
            try:
                parts_seen.append((_partitions(rel), md.num_rows))
            except ValueError as exc:
                raise TableReadError(f"{f.path}: {exc}", table=name) from exc
    columns = [Column(n, fam) for n, fam in schema]
    partition = _partition_columns(parts_seen, accs, name)
    columns += partition
    for col in partition:  # Spark reads the folder's value, not a same-named column of the files
        distinct.pop(col.key, None)
    stats = TableStats(rows=rows, columns={k: a.result() for k, a in accs.items()})
    for key, d in distinct.items():
        d.apply(stats.columns[key])
    return TableInfo(name=name, path=path, format="parquet", columns=columns, stats=stats,
                     data_bytes=data_bytes, meta_bytes=meta_bytes, nanos=nanos or {})


def _bounds(family: str, col, st):
    """A chunk's (min, max) in the family's domain (stats.py); None where unknown."""
    if family == "timestamp":  # from the stored integers, whatever the unit (timestamps.py)
        return micros_bound(col, st, "min"), micros_bound(col, st, "max")
    try:
        return to_value(family, st.min), to_value(family, st.max)
    except (TypeError, ValueError, AttributeError):
        return None, None  # a logical type we cannot place in the family's domain


def _fold_column(acc: BoundsAccumulator, md, leaf: int, family: str) -> None:
    for g in range(md.num_row_groups):
        chunk = md.row_group(g).column(leaf)
        st = chunk.statistics
        if st is None:
            acc.add(values=None, nulls=None)
            continue
        nulls = st.null_count if st.has_null_count else None
        values = None if nulls is None else chunk.num_values - nulls
        lo, hi = _bounds(family, md.schema.column(leaf), st) if st.has_min_max else (None, None)
        acc.add(values=values, nulls=nulls, lo=lo, hi=hi)


def _injective(family: str, col) -> bool:
    """Whether distinct stored values stay distinct once canonical (canonical.py): not
    floats (NaN payloads, -0.0) nor INT96 timestamps (Spark cuts them to microseconds);
    INT64 nanoseconds are, as canonical values keep the sub-microsecond part."""
    if family == "timestamp":
        return leaf_unit(col) in ("ms", "us", "ns")
    return family != "float"


def _flat_columns(arrow: pa.Schema):
    """(field, family, leaf index) of each top-level column with one ordered leaf."""
    leaf = 0
    for fld in arrow:
        width = leaves(fld.type)
        family = arrow_family(fld.type)
        if width == 1 and family in ORDERED:
            yield fld, family, leaf
        leaf += width


def fold_distinct(fs, path: str, md, distinct: dict[str, DistinctAccumulator], *,
                  families: dict[str, str] | None = None, arrow: pa.Schema | None = None) -> int:
    """Fold the per-chunk distinct bounds (page headers) of each flat column of the file
    at ``path`` into ``distinct``; returns the bytes read. ``families``: the table's,
    when a file may store a column in another family (Delta type widening): then that
    column's upper bound becomes unknown; ``arrow``: the footer's Arrow schema, when the
    caller has it already. A header that cannot be parsed leaves that
    chunk's bounds to its value count: the content stage, which reads the data,
    reports the file."""
    arrow_schema = bool(md.metadata and b"ARROW:schema" in md.metadata)
    nbytes = 0
    with fs.ranges(path) as read:
        for fld, family, leaf in _flat_columns(arrow or md.schema.to_arrow_schema()):
            acc = distinct.setdefault(fld.name.lower(), DistinctAccumulator())
            if families is not None and families.get(fld.name.lower()) != family:
                acc.add(lo=None, hi=None)
                continue
            trusted = trusted_entries(md.created_by, fld.type, arrow_schema=arrow_schema) \
                and _injective(family, md.schema.column(leaf))
            for g in range(md.num_row_groups):
                chunk = md.row_group(g).column(leaf)
                st = chunk.statistics
                values = chunk.num_values  # nulls included: an upper bound on values
                if st is not None and st.has_null_count:
                    values -= st.null_count
                try:
                    pages = chunk_pages(read, chunk)
                except Exception:  # noqa: BLE001 - damage (ThriftError, RecursionError), I/O, py4j
                    acc.add(lo=None, hi=values)
                    continue
                nbytes += pages.header_bytes
                entries = pages.entries
                hi = entries if entries is not None and pages.all_dictionary else values
                acc.add(lo=entries if trusted else None, hi=min(hi, values))
    return nbytes


def _partition_columns(parts_seen, accs, name: str) -> list[Column]:
    if not parts_seen:
        return []
    keys = list(parts_seen[0][0])
    if any(list(p) != keys for p, _ in parts_seen):
        raise TableReadError("data files sit at different partition depths or keys", table=name)
    columns = []
    for key in keys:
        family = _partition_family([p[key] for p, _ in parts_seen])
        acc = accs.setdefault(key.lower(), BoundsAccumulator())
        for p, n in parts_seen:
            raw = p[key]
            if raw is None:
                acc.add(values=0, nulls=n)
            else:
                v = _partition_value(family, raw)
                acc.add(values=n, nulls=0, lo=v, hi=v)
        columns.append(Column(key, family))
    return columns
