"""Parquet nanosecond timestamps, which pandas and pyarrow write by default.

Spark 4 has no nanosecond type and refuses ``INT64 (TIMESTAMP(NANOS))`` outright
(``PARQUET_TYPE_ILLEGAL``). With ``spark.sql.legacy.parquet.nanosAsLong`` it reads
them as longs (nanoseconds since the epoch); this module finds which top-level
columns those are (from the footer of the input's first file, which
operators/io/filecheck.py has read already: no data read) and turns them back into
Spark timestamps, exactly to the microsecond: floor division in integers, never
through a double. ``timestamp`` for UTC-adjusted columns (pandas' tz-aware ones),
``timestamp_ntz`` for the rest, as Spark reads micros columns of each kind.

Example::

    cols = nanos_columns(check.first_schema)       # {"ts": False, "seen_at": True}
    df = micros_from_nanos(spark.read.parquet(...), cols)
"""
from __future__ import annotations

import pyarrow as pa

NANOS_AS_LONG = "spark.sql.legacy.parquet.nanosAsLong"


def nanos_columns(schema: pa.Schema | None) -> dict[str, bool]:
    """Top-level nanosecond timestamp columns of an Arrow schema (a Parquet footer's):
    name -> whether it is UTC-adjusted."""
    return {f.name: f.type.tz is not None for f in schema or ()
            if pa.types.is_timestamp(f.type) and f.type.unit == "ns"}


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
