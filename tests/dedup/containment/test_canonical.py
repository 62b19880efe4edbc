"""Canonical values, row hashes and row keys: equal rows are equal whatever the storage types."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pyspark.sql import types as T

from thresher.dedup.containment.canonical import canonical_columns, projection_hash, row_hash, row_key


def _canon(df, names):
    """Each row's canonical values, row hash and row key; the hash computed in one
    expression on the table (projection_hash) must be the row hash."""
    canon = df.select(*canonical_columns(df, names), projection_hash(df, names, salt=0).alias("ph"),
                      row_key(df, names).alias("k"))
    rows = canon.select("*", row_hash(len(names), salt=0).alias("h")).collect()
    assert all(r["ph"] == r["h"] for r in rows)
    return [tuple(v for k, v in r.asDict().items() if k != "ph") for r in rows]


def test_widths_scales_and_time_zones_fold(spark):
    ts = dt.datetime(2024, 3, 1, 12, 30, 0, 123456)
    narrow = spark.createDataFrame(
        [(1, 1.5, "x", Decimal("1.50"), ts, dt.date(2024, 1, 1), b"\x01", True)],
        T.StructType([T.StructField("ID", T.IntegerType()), T.StructField("f", T.FloatType()),
                      T.StructField("s", T.StringType()), T.StructField("dec", T.DecimalType(10, 2)),
                      T.StructField("ts", T.TimestampNTZType()), T.StructField("d", T.DateType()),
                      T.StructField("b", T.BinaryType()), T.StructField("flag", T.BooleanType())]))
    wide = spark.createDataFrame(
        [(True, b"\x01", dt.date(2024, 1, 1), ts.replace(tzinfo=dt.timezone.utc), Decimal("1.5000"),
          "x", 1.5, 1)],
        T.StructType([T.StructField("flag", T.BooleanType()), T.StructField("b", T.BinaryType()),
                      T.StructField("d", T.DateType()), T.StructField("ts", T.TimestampType()),
                      T.StructField("DEC", T.DecimalType(20, 4)), T.StructField("s", T.StringType()),
                      T.StructField("f", T.DoubleType()), T.StructField("id", T.LongType())]))
    keys = ["b", "d", "dec", "f", "flag", "id", "s", "ts"]
    a = _canon(narrow, {k: {"id": "ID"}.get(k, k) for k in keys})
    b = _canon(wide, {k: {"dec": "DEC"}.get(k, k) for k in keys})
    assert a == b
    assert a[0][keys.index("dec")] == "1.5" and a[0][keys.index("ts")] == 1709296200123456


def test_nan_negative_zero_and_decimal_zeros(spark):
    schema = T.StructType([T.StructField("f", T.DoubleType()), T.StructField("g", T.DoubleType()),
                           T.StructField("d", T.DecimalType(10, 3))])
    a = _canon(spark.createDataFrame([(float("nan"), -0.0, Decimal("100.000"))], schema),
               {"f": "f", "g": "g", "d": "d"})
    b = _canon(spark.createDataFrame([(float("nan"), 0.0, Decimal("100"))], schema),
               {"f": "f", "g": "g", "d": "d"})
    assert a[0][3] == b[0][3]                       # keys in order d, f, g; then the hash
    assert (a[0][0], b[0][0], a[0][2]) == ("100", "100", 0.0)


def test_nested_values_serialise_canonically(spark):
    s1 = T.StructType([T.StructField("st", T.StructType([T.StructField("A", T.IntegerType()),
                                                         T.StructField("b", T.StringType())])),
                       T.StructField("m", T.MapType(T.StringType(), T.FloatType())),
                       T.StructField("l", T.ArrayType(T.IntegerType()))])
    s2 = T.StructType([T.StructField("st", T.StructType([T.StructField("b", T.StringType()),
                                                         T.StructField("a", T.LongType())])),
                       T.StructField("m", T.MapType(T.StringType(), T.DoubleType())),
                       T.StructField("l", T.ArrayType(T.LongType()))])
    one = spark.createDataFrame([((1, "x"), {"k": 1.0, "j": 2.0}, [1, 2])], s1)
    two = spark.createDataFrame([(("x", 1), {"j": 2.0, "k": 1.0}, [1, 2])], s2)
    three = spark.createDataFrame([(("x", 1), {"j": 2.0, "k": 1.0}, [2, 1])], s2)  # list order matters
    names = {"st": "st", "m": "m", "l": "l"}
    assert _canon(one, names) == _canon(two, names)
    assert _canon(two, names)[0][0] != _canon(three, names)[0][0]


def test_null_positions_hash_apart(spark):
    schema = T.StructType([T.StructField("a", T.LongType()), T.StructField("b", T.LongType())])
    df = spark.createDataFrame([(None, 1), (1, None), (None, None)], schema)
    canon = _canon(df, {"a": "a", "b": "b"})
    hashes = [r[-1] for r in canon]
    assert len(set(hashes)) == 3 and len({r[-2] for r in canon}) == 3   # row keys too
    salted = df.select(*canonical_columns(df, {"a": "a", "b": "b"})).select(row_hash(2, salt=1)).collect()
    assert {r[0] for r in salted}.isdisjoint(hashes)


def test_row_key_keeps_strings_json_would_merge(spark):
    """Strings that are not UTF-8 all become U+FFFD in JSON: the row key keeps their bytes,
    so two of them, and the valid string U+FFFD, stay three values."""
    df = spark.sql("SELECT cast(X'FF' AS string) AS s, 1 AS n UNION ALL "
                   "SELECT cast(X'FE' AS string), 1 UNION ALL SELECT '\\uFFFD', 1 UNION ALL "
                   "SELECT cast(X'FF' AS string), 1 UNION ALL SELECT NULL, 1")
    keys = [r[0] for r in df.select(row_key(df, {"n": "n", "s": "s"})).collect()]
    assert len(set(keys)) == 4 and keys[0] == keys[3]
    assert '"x":[]' in keys[2] and '"c1":null' in keys[4]


def test_row_key_dates_as_days(spark):
    schema = T.StructType([T.StructField("d", T.DateType())])
    df = spark.createDataFrame([(dt.date(1970, 1, 2),), (dt.date(1, 1, 1),), (dt.date(9999, 12, 31),)], schema)
    keys = [r[0] for r in df.select(row_key(df, {"d": "d"})).collect()]
    assert keys[0] == '{"c0":1}' and len(set(keys)) == 3


def test_expression_cache_shares_columns_across_tables_of_one_signature(spark):
    from thresher.dedup.containment.canonical import ExpressionCache

    a = spark.createDataFrame([(1, "x"), (2, None)], "ID bigint, s string")
    b = spark.createDataFrame([(2, None), (3, "y")], "ID bigint, s string")
    wide = spark.createDataFrame([(2, "z")], "ID int, s string")  # same names, another type
    cache = ExpressionCache()
    names = {"id": "ID", "s": "s"}
    assert cache.row_key(a, names) is cache.row_key(b, names)
    assert cache.row_key(wide, names) is not cache.row_key(a, names)
    assert cache.projection_hash(a, names, salt=1) is cache.projection_hash(b, names, salt=1)
    assert cache.projection_hash(a, names, salt=2) is not cache.projection_hash(a, names, salt=1)
    for df in (a, b, wide):  # a shared Column gives each table its own values, as built for it
        got = df.select(cache.row_key(df, names), cache.projection_hash(df, names, salt=1)).collect()
        want = df.select(row_key(df, names), projection_hash(df, names, salt=1)).collect()
        assert got == want
