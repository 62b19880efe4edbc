"""Canonical column values and row hashes in Spark, so that equal rows compare equal
whatever width, encoding or column order each table stores them in.

Per family (types.py): ints -> bigint; floats -> double with every NaN one NaN and
-0.0 as 0.0; decimals -> their plain string without trailing zeros ("1.50" and
"1.5000" -> "1.5"); timestamps (with or without time zone) -> microseconds since
the epoch of the wall clock in UTC; strings, binary, booleans, dates as they are;
structs, arrays and maps -> JSON of the canonical value, struct fields lower-cased
and sorted by name, map entries sorted by key. Null stays null (and the row hash
marks it, so that ``(null, 1)`` and ``(1, null)`` hash apart).

Timestamps without time zone (pandas, Arrow) count as UTC wall clock, those with one
as instants: they meet when Spark's session time zone is UTC (thresher's local
default), which is also the zone CSV timestamps are parsed in. Example::

    canon = df.select(*canonical_columns(df, {"amount": "Amount", "id": "ID"}))  # c0, c1
    canon.select(row_hash(2, salt=0).alias("h"))
"""
from __future__ import annotations

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

_EPOCH_NTZ = "TIMESTAMP_NTZ'1970-01-01 00:00:00'"


def col_ref(name: str) -> SparkColumn:
    """A top-level column by its exact name (dots and backticks included)."""
    return F.col("`" + name.replace("`", "``") + "`")


def _float(c: SparkColumn) -> SparkColumn:
    d = c.cast("double")
    return F.when(F.isnan(d), F.lit(float("nan"))).when(d == 0, F.lit(0.0)).otherwise(d)


def _decimal(c: SparkColumn) -> SparkColumn:
    s = c.cast("string")
    s = F.regexp_replace(s, r"(\.[0-9]*?)0+$", "$1")
    return F.regexp_replace(s, r"\.$", "")


def _micros(c: SparkColumn, t: T.DataType) -> SparkColumn:
    if isinstance(t, T.TimestampNTZType):  # wall clock: no session time zone involved
        return F.timestamp_diff("MICROSECOND", F.expr(_EPOCH_NTZ), c)
    return F.unix_micros(c)


def _primitive(c: SparkColumn, t: T.DataType) -> SparkColumn | None:
    if isinstance(t, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
        return c.cast("bigint")
    if isinstance(t, (T.FloatType, T.DoubleType)):
        return _float(c)
    if isinstance(t, T.DecimalType):
        return _decimal(c)
    if isinstance(t, (T.TimestampType, T.TimestampNTZType)):
        return _micros(c, t)
    if isinstance(t, (T.StringType, T.CharType, T.VarcharType)):
        return c.cast("string")
    return None


def _nested(c: SparkColumn, t: T.DataType) -> SparkColumn:
    """Canonical value inside a JSON-serialised nested column."""
    p = _primitive(c, t)
    if p is not None:
        return p
    if isinstance(t, T.BinaryType):
        return F.base64(c)
    if isinstance(t, T.StructType):
        fields = sorted(t.fields, key=lambda f: f.name.lower())
        return F.when(c.isNull(), F.lit(None)).otherwise(
            F.struct(*[_nested(c.getField(f.name), f.dataType).alias(f.name.lower()) for f in fields]))
    if isinstance(t, T.ArrayType):
        return F.transform(c, lambda x: _nested(x, t.elementType))
    if isinstance(t, T.MapType):
        entries = F.transform(F.map_entries(c), lambda e: F.struct(
            _nested(e["key"], t.keyType).alias("k"), _nested(e["value"], t.valueType).alias("v")))
        return F.array_sort(entries)
    return c.cast("string")


def canonical(c: SparkColumn, t: T.DataType) -> SparkColumn:
    """The canonical value of one top-level column (see the module docstring)."""
    p = _primitive(c, t)
    if p is not None:
        return p
    if isinstance(t, (T.BinaryType, T.BooleanType, T.DateType)):
        return c
    if isinstance(t, (T.StructType, T.ArrayType, T.MapType)):
        return F.when(c.isNull(), F.lit(None).cast("string")).otherwise(
            F.to_json(F.struct(_nested(c, t).alias("v")), {"ignoreNullFields": "false"}))
    return c.cast("string")


def canonical_columns(df: DataFrame, names: dict[str, str]) -> list[SparkColumn]:
    """Canonical values of ``names`` (key -> stored name), in key order, aliased ``c0``,
    ``c1``...: two tables' canonical frames on the same keys line up by position."""
    types = {f.name: f.dataType for f in df.schema.fields}
    return [canonical(col_ref(names[k]), types[names[k]]).alias(f"c{i}")
            for i, k in enumerate(sorted(names))]


def row_hash(width: int, *, salt: int) -> SparkColumn:
    """xxhash64 of the canonical columns ``c0..c{width-1}`` and of which are null
    (Spark's hash skips nulls); ``salt`` gives an independent hash, which picks the sample."""
    parts: list[SparkColumn] = [F.lit(f"thresher-containment-{salt}")]
    for i in range(width):
        parts += [F.col(f"c{i}"), F.isnull(F.col(f"c{i}"))]
    return F.xxhash64(*parts)
