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
default), which is also the zone CSV timestamps are parsed in.

Parquet nanosecond timestamps (pandas' default) reach Spark as longs of nanoseconds
since the epoch, tagged by frames.py with the field metadata ``NANOS_META``. Their
canonical value is the floored microsecond, like any timestamp's, and the rest
(1..999 ns, ``sub_micros``) is kept beside it: in ``row_key`` as ``"n": [{"i", "r"}]``
(present whenever the projection has a timestamp, so that a microsecond table writes
``"n":[]`` and meets a nanosecond one exactly on whole microseconds, never on a value
1 ns off), and in the hashes as one more part, null (so skipped, leaving the hash of a
microsecond table's equal row) when it is 0. Example::

    canon = df.select(*canonical_columns(df, {"amount": "Amount", "id": "ID"}))  # c0, c1
    canon.select(row_hash(2, salt=0).alias("h"))
"""
from __future__ import annotations

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from thresher.operators.errors import ContainmentError

_EPOCH_NTZ = "TIMESTAMP_NTZ'1970-01-01 00:00:00'"
NANOS_META = "thresher.nanos"  # field metadata: this long holds nanoseconds since the epoch
_NANOS_JSON = "array<struct<i: int, r: bigint>>"


def col_ref(name: str) -> SparkColumn:
    """A top-level column by its exact name (dots and backticks included)."""
    return F.col("`" + name.replace("`", "``") + "`")


def is_nanos(f: T.StructField) -> bool:
    """Whether a field is a nanosecond timestamp read as a long (tagged by frames.py)."""
    return isinstance(f.dataType, T.LongType) and NANOS_META in (f.metadata or {})


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def floor_micros(name: str) -> SparkColumn:
    """Nanoseconds (long column ``name``) as floored microseconds, in integers only:
    ``div`` truncates, so negative values with a rest go one lower (no overflow at the
    long's ends, unlike ``ns - pmod(ns, 1000)``)."""
    q = _quoted(name)
    return F.expr(f"CASE WHEN {q} % 1000 < 0 THEN {q} DIV 1000 - 1 ELSE {q} DIV 1000 END")


def sub_micros(name: str) -> SparkColumn:
    """The nanoseconds past ``floor_micros`` (1..999), null when 0 or when the value is."""
    return F.expr(f"NULLIF(pmod({_quoted(name)}, 1000), 0)")


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


class _Part:
    """One projected column: its canonical value, stored type, whether its family is
    timestamp, and its sub-microsecond rest (nanosecond columns only)."""

    __slots__ = ("value", "dtype", "timestamp", "rest")

    def __init__(self, value: SparkColumn, dtype: T.DataType, timestamp: bool, rest: SparkColumn | None):
        self.value, self.dtype, self.timestamp, self.rest = value, dtype, timestamp, rest


def _part(f: T.StructField) -> _Part:
    if is_nanos(f):
        return _Part(floor_micros(f.name), f.dataType, True, sub_micros(f.name))
    ts = isinstance(f.dataType, (T.TimestampType, T.TimestampNTZType))
    return _Part(canonical(col_ref(f.name), f.dataType), f.dataType, ts, None)


def _field_key(f: T.StructField) -> tuple:
    return f.name, f.dataType.json(), is_nanos(f)


def _projection(df: DataFrame, names: dict[str, str], memo: dict | None = None) -> list[_Part]:
    """Each of ``names`` (key -> stored name) as a ``_Part``, in key order; ``memo`` keeps
    each column's part by stored name and type, to build it once."""
    fields = {f.name: f for f in df.schema.fields}
    out = []
    for k in sorted(names):
        f = fields[names[k]]
        if memo is None:
            out.append(_part(f))
            continue
        key = _field_key(f)
        if key not in memo:
            memo[key] = _part(f)
        out.append(memo[key])
    return out


def canonical_columns(df: DataFrame, names: dict[str, str]) -> list[SparkColumn]:
    """Canonical values of ``names`` (key -> stored name), in key order, aliased ``c0``,
    ``c1``...: two tables' canonical frames on the same keys line up by position."""
    parts = _projection(df, names)
    nanos = [names[k] for k, p in zip(sorted(names), parts) if p.rest is not None]
    if nanos:  # c0.. alone would lose the nanoseconds; only the content stage reads such columns
        raise ContainmentError(f"canonical_columns: {', '.join(nanos)} hold nanosecond timestamps; "
                               "use row_key or projection_hash, which keep the sub-microsecond part")
    return [p.value.alias(f"c{i}") for i, p in enumerate(parts)]


def _hash(columns: list[SparkColumn], salt: int, rests: list[SparkColumn] = ()) -> SparkColumn:
    parts: list[SparkColumn] = [F.lit(f"thresher-containment-{salt}")]
    for c in columns:
        parts += [c, F.isnull(c)]
    # A rest is null (skipped by xxhash64) on whole microseconds: such rows hash as a
    # microsecond table's equal row does.
    return F.xxhash64(*parts, *rests)


def row_hash(width: int, *, salt: int) -> SparkColumn:
    """xxhash64 of the canonical columns ``c0..c{width-1}`` and of which are null
    (Spark's hash skips nulls); ``salt`` gives an independent hash, which picks the sample."""
    return _hash([F.col(f"c{i}") for i in range(width)], salt)


def projection_hash(df: DataFrame, names: dict[str, str], *, salt: int, memo: dict | None = None) -> SparkColumn:
    """``row_hash`` of ``df``'s canonical columns ``names`` computed in one expression, so that
    one scan can hash several projections of a table (``memo``: see ``_projection``)."""
    parts = _projection(df, names, memo)
    return _hash([p.value for p in parts], salt, [p.rest for p in parts if p.rest is not None])


def row_key(df: DataFrame, names: dict[str, str], memo: dict | None = None) -> SparkColumn:
    """One string per row, equal for two rows exactly when their canonical values on ``names``
    are equal: JSON of ``{"c0": ..., "c1": ...}``. Each position holds one canonical type, and
    JSON writes each type injectively (longs and doubles exactly, binary as base64, null as
    null), with two exceptions handled here: dates go as days since the epoch (a date
    pattern need not be injective over every year), and a string that is not valid UTF-8,
    which JSON would decode with replacement characters, goes as null at its position plus
    its raw bytes in base64 under ``"x"`` (an empty list when every string is valid).
    Timestamps add ``"n"``: the sub-microsecond rests of nanosecond columns, by position
    (see the module docstring).
    This is the exact check's comparison key: a group-by on it is an equality test of
    canonical values, never of hashes."""
    fields, invalid, rests = [], [], []
    parts = _projection(df, names, memo)
    for i, p in enumerate(parts):
        c, t = p.value, p.dtype
        if p.rest is not None:
            rests.append(F.when(p.rest.isNotNull(), F.struct(F.lit(i).alias("i"), p.rest.alias("r"))))
        if isinstance(t, T.DateType):
            c = F.unix_date(c)
        elif isinstance(t, (T.StringType, T.CharType, T.VarcharType)):
            bad = F.coalesce(~F.is_valid_utf8(c), F.lit(False))
            invalid.append(F.when(bad, F.struct(F.lit(i).alias("i"), F.base64(c.cast("binary")).alias("b"))))
            c = F.when(~bad, c)
        fields.append(c.alias(f"c{i}"))
    if invalid:
        fields.append(F.filter(F.array(*invalid), lambda x: x.isNotNull()).alias("x"))
    if any(p.timestamp for p in parts):
        n = F.filter(F.array(*rests), lambda x: x.isNotNull()) if rests else F.array().cast(_NANOS_JSON)
        fields.append(n.alias("n"))
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
        fields = {f.name: f for f in df.schema.fields}
        return tuple((k, *_field_key(fields[names[k]])) for k in sorted(names))

    def _get(self, key: tuple, build) -> SparkColumn:
        if key not in self._built:
            self._built[key] = build()
        return self._built[key]

    def row_key(self, df: DataFrame, names: dict[str, str]) -> SparkColumn:
        return self._get(("row_key", self._signature(df, names)), lambda: row_key(df, names, self._columns))

    def projection_hash(self, df: DataFrame, names: dict[str, str], *, salt: int) -> SparkColumn:
        return self._get(("hash", salt, self._signature(df, names)),
                         lambda: projection_hash(df, names, salt=salt, memo=self._columns))
