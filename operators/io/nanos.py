"""Parquet nanosecond timestamps, which pandas and pyarrow write by default.

Spark 4 has no nanosecond type and refuses ``INT64 (TIMESTAMP(NANOS))`` outright
(``PARQUET_TYPE_ILLEGAL``). With ``spark.sql.legacy.parquet.nanosAsLong`` it reads
them as longs (nanoseconds since the epoch); this module finds which top-level
columns those are (from one file's footer: no data read) and turns them back into
Spark timestamps, exactly to the microsecond: floor division in integers, never
through a double. ``timestamp`` for UTC-adjusted columns (pandas' tz-aware ones),
``timestamp_ntz`` for the rest, as Spark reads micros columns of each kind.

Example::

    cols = nanos_columns(fs, "/lake/events")      # {"ts": False, "seen_at": True}
    df = micros_from_nanos(spark.read.parquet(...), cols)
"""
from __future__ import annotations

import posixpath

import pyarrow as pa

from .fs import is_hidden, walk_files

NANOS_AS_LONG = "spark.sql.legacy.parquet.nanosAsLong"


def _first_data_file(fs, path: str) -> str | None:
    if not fs.is_dir(path):
        return path
    for f in walk_files(fs, path):  # sorted per folder; stops at the first
        if not is_hidden(posixpath.basename(f.path)) and f.size > 0:
            return f.path
    return None


def _first_schema(fs, path: str) -> pa.Schema | None:
    from .parquet import read_footer

    first = _first_data_file(fs, path)
    if first is None:
        return None
    try:
        return read_footer(fs, first).schema.to_arrow_schema()
    except Exception:  # noqa: BLE001 - a damaged file is Spark's to report, with its name
        return None


def nanos_columns(fs, path: str) -> dict[str, bool]:
    """Top-level nanosecond timestamp columns of a Parquet file or folder: name ->
    whether it is UTC-adjusted. Empty when the first data file has none (or is not
    readable as Parquet: Spark's own read then reports that file)."""
    schema = _first_schema(fs, path)
    return {f.name: f.type.tz is not None for f in schema or ()
            if pa.types.is_timestamp(f.type) and f.type.unit == "ns"}


def nested_nanos(fs, path: str) -> list[str]:
    """Columns that hold nanosecond timestamps inside a struct, list or map: Spark
    reads those as longs too, and thresher leaves them so (named in the error or
    summary rather than converted silently)."""
    def has_nanos(t: pa.DataType) -> bool:
        if pa.types.is_timestamp(t):
            return t.unit == "ns"
        return any(has_nanos(t.field(i).type) for i in range(t.num_fields))

    return [f.name for f in _first_schema(fs, path) or ()
            if not pa.types.is_timestamp(f.type) and has_nanos(f.type)]


def micros_from_nanos(df, columns: dict[str, bool]):
    """``df`` with each named long column (nanoseconds) as a microsecond timestamp."""
    from pyspark.sql import functions as F

    types = dict(df.dtypes)
    converted = {}
    for name, utc in columns.items():
        if types.get(name) != "bigint":
            continue  # INT96 also shows as ns in Arrow, but Spark reads it as a timestamp
        col = f"`{name.replace('`', '``')}`"
        # floor, also before 1970; never ns - pmod(ns, 1000), which overflows near the minimum
        micros = f"({col} div 1000 - CASE WHEN {col} < 0 AND {col} % 1000 != 0 THEN 1 ELSE 0 END)"
        expr = (f"timestamp_micros({micros})" if utc else
                f"timestampadd(MICROSECOND, {micros}, timestamp_ntz'1970-01-01 00:00:00')")
        converted[name] = F.expr(expr)
    return df.withColumns(converted) if converted else df
