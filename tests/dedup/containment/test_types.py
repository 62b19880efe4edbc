"""Type families: the same answer from Arrow types and from the Spark types Spark reads."""
from __future__ import annotations

import pyarrow as pa
from pyspark.sql import types as T

from thresher.dedup.containment.types import arrow_family, case_conflicts, spark_family


def test_widths_and_encodings_fold():
    assert {arrow_family(t) for t in (pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint32())} == {"int"}
    assert {arrow_family(t) for t in (pa.float32(), pa.float64())} == {"float"}
    strings = (pa.string(), pa.large_string(), pa.dictionary(pa.int32(), pa.string()))
    assert {arrow_family(t) for t in strings} == {"string"}
    assert {arrow_family(t) for t in (pa.decimal128(10, 2), pa.decimal128(38, 0), pa.uint64())} == {"decimal"}
    assert {arrow_family(t) for t in (pa.timestamp("us"), pa.timestamp("ms", tz="UTC"))} == {"timestamp"}
    assert arrow_family(pa.int32()) != arrow_family(pa.float64()) != arrow_family(pa.string())


def test_arrow_and_spark_agree():
    pairs = [
        (pa.int32(), T.IntegerType()), (pa.int64(), T.LongType()), (pa.float32(), T.FloatType()),
        (pa.decimal128(10, 2), T.DecimalType(10, 2)), (pa.uint64(), T.DecimalType(20, 0)),
        (pa.large_string(), T.StringType()), (pa.binary(), T.BinaryType()), (pa.bool_(), T.BooleanType()),
        (pa.date32(), T.DateType()), (pa.timestamp("us"), T.TimestampNTZType()),
        (pa.timestamp("us", tz="UTC"), T.TimestampType()),
        (pa.struct([("B", pa.int32()), ("a", pa.string())]),
         T.StructType([T.StructField("a", T.StringType()), T.StructField("b", T.LongType())])),
        (pa.list_(pa.float32()), T.ArrayType(T.DoubleType())),
        (pa.map_(pa.string(), pa.int64()), T.MapType(T.StringType(), T.IntegerType())),
    ]
    for a, s in pairs:
        assert arrow_family(a) == spark_family(s), (a, s)
    assert arrow_family(pa.struct([("a", pa.int32()), ("b", pa.string())])) == "struct<a:int,b:string>"


def test_case_conflicts():
    assert case_conflicts(["id", "ID", "x", "Name", "NAME", "name"]) == [["ID", "id"], ["NAME", "Name", "name"]]
    assert case_conflicts(["a", "b"]) == []
