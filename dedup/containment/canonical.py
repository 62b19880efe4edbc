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


def _projection(df: DataFrame, names: dict[str, str],
                memo: dict | None = None) -> list[tuple[SparkColumn, T.DataType]]:
    """(canonical value, stored type) of each of ``names`` (key -> stored name), in key order;
    ``memo`` keeps each column's canonical value by stored name and type, to build it once."""
    types = {f.name: f.dataType for f in df.schema.fields}
    out = []
    for k in sorted(names):
        name, dtype = names[k], types[names[k]]
        if memo is None:
            out.append((canonical(col_ref(name), dtype), dtype))
            continue
        key = (name, dtype.json())
        if key not in memo:
            memo[key] = canonical(col_ref(name), dtype)
        out.append((memo[key], dtype))
    return out


def canonical_columns(df: DataFrame, names: dict[str, str]) -> list[SparkColumn]:
    """Canonical values of ``names`` (key -> stored name), in key order, aliased ``c0``,
    ``c1``...: two tables' canonical frames on the same keys line up by position."""
    return [c.alias(f"c{i}") for i, (c, _) in enumerate(_projection(df, names))]


def _hash(columns: list[SparkColumn], salt: int) -> SparkColumn:
    parts: list[SparkColumn] = [F.lit(f"thresher-containment-{salt}")]
    for c in columns:
        parts += [c, F.isnull(c)]
    return F.xxhash64(*parts)


def row_hash(width: int, *, salt: int) -> SparkColumn:
    """xxhash64 of the canonical columns ``c0..c{width-1}`` and of which are null
    (Spark's hash skips nulls); ``salt`` gives an independent hash, which picks the sample."""
    return _hash([F.col(f"c{i}") for i in range(width)], salt)


def projection_hash(df: DataFrame, names: dict[str, str], *, salt: int, memo: dict | None = None) -> SparkColumn:
    """``row_hash`` of ``df``'s canonical columns ``names`` computed in one expression, so that
    one scan can hash several projections of a table (``memo``: see ``_projection``)."""
    return _hash([c for c, _ in _projection(df, names, memo)], salt)


def row_key(df: DataFrame, names: dict[str, str], memo: dict | None = None) -> SparkColumn:
    """One string per row, equal for two rows exactly when their canonical values on ``names``
    are equal: JSON of ``{"c0": ..., "c1": ...}``. Each position holds one canonical type, and
    JSON writes each type injectively (longs and doubles exactly, binary as base64, null as
    null), with two exceptions handled here: dates go as days since the epoch (a date
    pattern need not be injective over every year), and a string that is not valid UTF-8,
    which JSON would decode with replacement characters, goes as null at its position plus
    its raw bytes in base64 under ``"x"`` (an empty list when every string is valid).
    This is the exact check's comparison key: a group-by on it is an equality test of
    canonical values, never of hashes."""
    fields, invalid = [], []
    for i, (c, t) in enumerate(_projection(df, names, memo)):
        if isinstance(t, T.DateType):
            c = F.unix_date(c)
        elif isinstance(t, (T.StringType, T.CharType, T.VarcharType)):
            bad = F.coalesce(~F.is_valid_utf8(c), F.lit(False))
            invalid.append(F.when(bad, F.struct(F.lit(i).alias("i"), F.base64(c.cast("binary")).alias("b"))))
            c = F.when(~bad, c)
        fields.append(c.alias(f"c{i}"))
    if invalid:
        fields.append(F.filter(F.array(*invalid), lambda x: x.isNotNull()).alias("x"))
    return F.to_json(F.struct(*fields), {"ignoreNullFields": "false"})


class ExpressionCache:
    """``row_key`` and ``projection_hash`` built once per signature (each projected key's
    stored name and type) and shared by every table of a pass with that signature.

    A Column names its inputs without binding them to a DataFrame, so one serves every
    table whose stored names and types are the same; building one costs a few hundred
    py4j calls (~20 ms), and over the 1,000-table benchmark lake half of the tables'
    projections repeat another's. Keep one per pass: Columns belong to their session.
    Example::

        cache = ExpressionCache()
        cache.row_key(df, {"id": "ID"})      # built
        cache.row_key(df2, {"id": "ID"})     # the same Column, when df2's ID has df's type
    """

    def __init__(self) -> None:
        self._built: dict[tuple, SparkColumn] = {}
        self._columns: dict[tuple, SparkColumn] = {}  # canonical value by stored name and type

    @staticmethod
    def _signature(df: DataFrame, names: dict[str, str]) -> tuple:
        types = {f.name: f.dataType for f in df.schema.fields}
        return tuple((k, names[k], types[names[k]].json()) for k in sorted(names))

    def _get(self, key: tuple, build) -> SparkColumn:
        if key not in self._built:
            self._built[key] = build()
        return self._built[key]

    def row_key(self, df: DataFrame, names: dict[str, str]) -> SparkColumn:
        return self._get(("row_key", self._signature(df, names)), lambda: row_key(df, names, self._columns))

    def projection_hash(self, df: DataFrame, names: dict[str, str], *, salt: int) -> SparkColumn:
        return self._get(("hash", salt, self._signature(df, names)),
                         lambda: projection_hash(df, names, salt=salt, memo=self._columns))
