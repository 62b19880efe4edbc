"""Parquet timestamps as foreign writers store them, seen from the footer (no data read).

Spark 4 reads ``INT64 TIMESTAMP(MILLIS|MICROS)`` as its microsecond timestamps, but
refuses ``INT64 TIMESTAMP(NANOS)``, which pandas and pyarrow write by default; with
``spark.sql.legacy.parquet.nanosAsLong`` it reads such a column as a long holding
nanoseconds since the epoch. Containment compares those longs exactly (canonical.py
keeps the sub-microsecond part), so this module finds them per file, and turns footer
min/max of every unit into the one domain of stage 2: microseconds since the epoch,
floored (a monotone map, so every min/max rule stays sound; a nanosecond bound of
-1 ns is -1 us, not 0).

Two layouts cannot be compared exactly and make the table unreadable for containment
(``TableReadError``, listed in skipped.json with the column):

* nanosecond timestamps inside a struct, list or map: Spark reads them as longs that
  canonical values of a microsecond timestamp cannot meet;
* ``INT96`` written by anything but Spark (pyarrow, Impala, Hive): it holds nanoseconds
  and Spark reads it cut to the microsecond, so values 1 ns apart would compare equal.
  Spark's own INT96 (its default for ``timestamp``) is whole microseconds and stays.

Example::

    nanos = file_timestamps(md, md.schema.to_arrow_schema(), name="/lake/events")
    nanos                                   # {"ts": False, "seen_at": True}: key -> UTC-adjusted
    micros_bound(md.schema.column(2), md.row_group(0).column(2).statistics, "min")
"""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.types as pat

from thresher.operators.errors import TableReadError

NANOS_AS_LONG = "spark.sql.legacy.parquet.nanosAsLong"
_SPARK_KEY = b"org.apache.spark.version"  # Spark (and Databricks) put it in every footer they write
_UNITS = {"milliseconds": "ms", "microseconds": "us", "nanoseconds": "ns"}
_TO_MICROS = {"ms": lambda v: v * 1000, "us": lambda v: v, "ns": lambda v: v // 1000}  # // floors


def _logical(col) -> dict:
    try:
        return json.loads(col.logical_type.to_json())
    except (AttributeError, ValueError):
        return {}


def leaf_unit(col) -> str | None:
    """A Parquet leaf column's timestamp storage: ``"ms"``, ``"us"``, ``"ns"`` (INT64),
    ``"int96"``, or None when it is not a timestamp."""
    if col.physical_type == "INT96":
        return "int96"
    if col.physical_type != "INT64":
        return None
    logical = _logical(col)
    if logical.get("Type") == "Timestamp":
        return _UNITS.get(logical.get("timeUnit"))
    return {"TIMESTAMP_MILLIS": "ms", "TIMESTAMP_MICROS": "us"}.get(col.converted_type)


def is_utc(col) -> bool:
    return bool(_logical(col).get("isAdjustedToUTC"))


def leaves(t: pa.DataType) -> int:
    """Parquet leaf columns under an Arrow type (depth first, as the footer lists them)."""
    if pat.is_struct(t):
        return sum(leaves(t.field(i).type) for i in range(t.num_fields))
    if pat.is_map(t):
        return leaves(t.key_type) + leaves(t.item_type)
    if pat.is_list(t) or pat.is_large_list(t) or pat.is_fixed_size_list(t):
        return leaves(t.value_type)
    return 1


def file_timestamps(md, arrow: pa.Schema, *, name: str, path: str = "") -> dict[str, bool]:
    """The top-level nanosecond timestamp columns of one file: lower-cased name ->
    whether UTC-adjusted. Raises TableReadError for the layouts named in the module
    docstring."""
    where = f" in {path}" if path else ""
    spark_wrote = bool(md.metadata and _SPARK_KEY in md.metadata)
    nanos: dict[str, bool] = {}
    leaf = 0
    for fld in arrow:
        width, nested = leaves(fld.type), pat.is_nested(fld.type)
        for i in range(leaf, leaf + width):
            col = md.schema.column(i)
            unit = leaf_unit(col)
            if unit == "ns" and nested:
                raise TableReadError(
                    f"column {fld.name!r}{where} holds nanosecond timestamps inside a nested type "
                    f"({col.path}): Spark reads them as longs, which containment cannot compare "
                    "exactly with timestamps", table=name)
            if unit == "ns":
                nanos[fld.name.lower()] = is_utc(col)
            if unit == "int96" and not spark_wrote:
                raise TableReadError(
                    f"column {fld.name!r}{where} is INT96 written by {md.created_by or 'an unknown writer'}: "
                    "it may hold nanoseconds, which Spark cuts to microseconds on read, so values "
                    "1 ns apart would compare equal", table=name)
        leaf += width
    return nanos


def micros_bound(col, st, which: str) -> int | None:
    """A chunk's min (``which="min"``) or max of a timestamp leaf as floored microseconds
    since the epoch (wall clock read as UTC when not UTC-adjusted), from the raw stored
    integer (exact, no datetime round trip); None when not known exactly (INT96, whose
    order Parquet leaves undefined, or no statistics)."""
    unit = leaf_unit(col)
    if unit not in _TO_MICROS or st is None or not st.has_min_max:
        return None
    raw = st.min_raw if which == "min" else st.max_raw
    return _TO_MICROS[unit](int(raw)) if isinstance(raw, int) else None
