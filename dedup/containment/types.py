"""Column type families: which types count as compatible when one table contains another.

A family is a short string; two columns are compatible when their families are
equal. Widths and encodings are folded (int8..int64 -> ``int``, float32/64 ->
``float``, string/large_string -> ``string``, any decimal -> ``decimal``, any
timestamp unit, with or without time zone -> ``timestamp``), nested types keep
their shape with struct fields lower-cased and sorted by name.

The same family comes out of a pyarrow type (Parquet footers, delta-rs) and of
the Spark type the content stage reads, e.g.::

    arrow_family(pa.int32()) == spark_family(LongType()) == "int"
    arrow_family(pa.uint64()) == "decimal"     # Spark reads UINT64 as decimal(20,0)
"""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.types as pat

# Families whose min/max statistics can be compared (as Python values, see stats.py).
ORDERED = frozenset({"int", "float", "decimal", "string", "binary", "bool", "date", "timestamp"})


@dataclass(frozen=True)
class Column:
    """One top-level column: its name as stored and its family."""

    name: str
    family: str

    @property
    def key(self) -> str:
        """Columns match by lower-cased name (Spark's default, case-insensitive)."""
        return self.name.lower()


def _struct(fields: list[tuple[str, str]]) -> str:
    inner = ",".join(f"{name.lower()}:{fam}" for name, fam in sorted(fields, key=lambda f: f[0].lower()))
    return f"struct<{inner}>"


def arrow_family(t: pa.DataType) -> str:
    """The family of a pyarrow type (see the module docstring)."""
    if pat.is_dictionary(t):
        return arrow_family(t.value_type)
    if pat.is_uint64(t):
        return "decimal"
    if pat.is_integer(t):
        return "int"
    if pat.is_floating(t):
        return "float"
    if pat.is_decimal(t):
        return "decimal"
    if pat.is_string(t) or pat.is_large_string(t) or pat.is_string_view(t):
        return "string"
    if (pat.is_binary(t) or pat.is_large_binary(t) or pat.is_fixed_size_binary(t)
            or pat.is_binary_view(t)):
        return "binary"
    if pat.is_boolean(t):
        return "bool"
    if pat.is_date(t):
        return "date"
    if pat.is_timestamp(t):
        return "timestamp"
    if pat.is_struct(t):
        return _struct([(t.field(i).name, arrow_family(t.field(i).type)) for i in range(t.num_fields)])
    if pat.is_list(t) or pat.is_large_list(t) or pat.is_fixed_size_list(t) or pat.is_list_view(t):
        return f"array<{arrow_family(t.value_type)}>"
    if pat.is_map(t):
        return f"map<{arrow_family(t.key_type)},{arrow_family(t.item_type)}>"
    return f"other:{t}"


def spark_family(t) -> str:
    """The family of a Spark SQL ``DataType`` (see the module docstring)."""
    from pyspark.sql import types as T

    if isinstance(t, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
        return "int"
    if isinstance(t, (T.FloatType, T.DoubleType)):
        return "float"
    if isinstance(t, T.DecimalType):
        return "decimal"
    if isinstance(t, (T.StringType, T.CharType, T.VarcharType)):
        return "string"
    if isinstance(t, T.BinaryType):
        return "binary"
    if isinstance(t, T.BooleanType):
        return "bool"
    if isinstance(t, T.DateType):
        return "date"
    if isinstance(t, (T.TimestampType, T.TimestampNTZType)):
        return "timestamp"
    if isinstance(t, T.StructType):
        return _struct([(f.name, spark_family(f.dataType)) for f in t.fields])
    if isinstance(t, T.ArrayType):
        return f"array<{spark_family(t.elementType)}>"
    if isinstance(t, T.MapType):
        return f"map<{spark_family(t.keyType)},{spark_family(t.valueType)}>"
    return f"other:{t.simpleString()}"


def case_conflicts(names: list[str]) -> list[list[str]]:
    """Groups of column names equal but for case, e.g. ``[["ID", "id"]]``."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.lower(), []).append(name)
    return [sorted(g) for g in groups.values() if len(g) > 1]
