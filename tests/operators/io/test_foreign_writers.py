"""Parquet and Delta that other tools write are read exactly; what thresher writes,
other tools read back equal. One table of awkward types, written by each writer."""
from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from thresher.operators.io import read_input, write_output

UTC = dt.timezone.utc
NS = 1_600_000_000_123_456_789          # 2020-09-13 12:26:40.123456789
NEG_NS = -1                             # 1969-12-31 23:59:59.999999999: floors, not rounds
EPOCH = dt.datetime(1970, 1, 1)
AT = EPOCH + dt.timedelta(microseconds=NS // 1000)
BEFORE = EPOCH + dt.timedelta(microseconds=NEG_NS // 1000)


def source_table(writer: str) -> pa.Table:
    cols = {
        "id": pa.array([1, 2, 3], pa.int64()),
        "text": pa.array(["a", "ünï ☃", None], pa.large_string()),
        "ts_ns": pa.array([NEG_NS, NS, None], pa.timestamp("ns")),
        "ts_ns_tz": pa.array([NEG_NS, NS, None], pa.timestamp("ns", "Europe/Paris")),
        "ts_ms": pa.array([0, NS // 10**6, None], pa.timestamp("ms")),
        "ts_us_tz": pa.array([0, NS // 1000, None], pa.timestamp("us", "UTC")),
        "day": pa.array([dt.date(1900, 1, 1), dt.date(2024, 2, 29), None]),
        "u8": pa.array([0, 255, None], pa.uint8()),
        "u32": pa.array([0, 2**32 - 1, None], pa.uint32()),
        "u64": pa.array([0, 2**64 - 1, None], pa.uint64()),
        "dec": pa.array([decimal.Decimal("1.10"), decimal.Decimal("-99999.99"), None],
                        pa.decimal128(7, 2)),
        "blob": pa.array([b"\x00\xff", b"", None], pa.large_binary()),
        "cat": pa.array(["x", "y", "x"]).dictionary_encode(),
        "lst": pa.array([[1, 2], [], None], pa.list_(pa.int32())),
        "st": pa.array([{"a": 1, "b": "z"}, None, {"a": None, "b": "q"}]),
        "mp": pa.array([[("k", 1)], [], None], pa.map_(pa.string(), pa.int64())),
        "nothing": pa.array([None, None, None], pa.null()),
    }
    if writer == "polars":  # polars has no map type
        del cols["mp"]
    if writer == "delta-rs":  # the Delta protocol has neither unsigned ints nor nanos
        for name in ("u8", "u32", "u64", "ts_ns", "ts_ns_tz", "nothing", "mp"):
            del cols[name]
    return pa.table(cols)


# What Spark must give for each column (timestamps as naive UTC wall clock, to the
# microsecond, floored), whichever writer wrote it.
EXPECTED = {
    "id": [1, 2, 3], "text": ["a", "ünï ☃", None],
    "ts_ns": [BEFORE, AT, None], "ts_ns_tz": [BEFORE, AT, None],
    "ts_ms": [EPOCH, EPOCH + dt.timedelta(milliseconds=NS // 10**6), None],
    "ts_us_tz": [EPOCH, AT, None],
    "day": [dt.date(1900, 1, 1), dt.date(2024, 2, 29), None],
    "u8": [0, 255, None], "u32": [0, 2**32 - 1, None], "u64": [0, 2**64 - 1, None],
    "dec": [decimal.Decimal("1.10"), decimal.Decimal("-99999.99"), None],
    "blob": [b"\x00\xff", b"", None], "cat": ["x", "y", "x"],
    "lst": [[1, 2], [], None], "st": [{"a": 1, "b": "z"}, None, {"a": None, "b": "q"}],
    "mp": [{"k": 1}, {}, None], "nothing": [None, None, None],
}


def _plain(value):
    """Spark's and pyarrow's Python values in one comparable form."""
    if hasattr(value, "asDict"):
        return {k: _plain(v) for k, v in value.asDict().items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], tuple):
        return {k: _plain(v) for k, v in value}   # pyarrow's map as a list of pairs
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value() and value.as_tuple().exponent == 0:
        return int(value)
    return value


def write_with(writer: str, table: pa.Table, root: Path, spark) -> tuple[str, str]:
    """Write ``table`` as ``writer`` would; (format, path) to read it from."""
    path = root / writer
    if writer == "pandas":
        path.mkdir()
        df = table.drop(["mp"]).to_pandas()  # pandas' map round trip is lossy on its own side
        df.to_parquet(path / "part-0.parquet")  # pandas' defaults: pyarrow, ns timestamps
    elif writer == "pyarrow":
        path.mkdir()
        pq.write_table(table, path / "data.parquet", row_group_size=2)
    elif writer == "pyarrow-int96":
        path.mkdir()
        pq.write_table(table, path / "data.parquet", use_deprecated_int96_timestamps=True)
    elif writer == "polars":
        import polars as pl
        path.mkdir()
        pl.from_arrow(table).write_parquet(path / "data.parquet")
    elif writer == "duckdb":
        import duckdb
        path.mkdir()
        con = duckdb.connect()
        con.register("t", table)
        con.execute(f"COPY (SELECT * FROM t ORDER BY id) TO '{path / 'data.parquet'}' (FORMAT parquet)")
        con.close()
    elif writer == "hive":
        pads.write_dataset(table.drop(["mp"]), path, format="parquet", partitioning=["cat"],
                           partitioning_flavor="hive")
    elif writer == "spark":
        src = root / "spark-src"
        src.mkdir()
        pq.write_table(table, src / "data.parquet")
        read_input(spark, format="parquet", path=str(src)).write.parquet(str(path))
    elif writer == "delta-rs":
        from deltalake import write_deltalake
        write_deltalake(str(path), table.drop(["cat"]).append_column("cat", pa.array(["x", "y", "x"])))
        return "delta", str(path)
    else:
        raise KeyError(writer)
    return "parquet", str(path)


WRITERS = ["pandas", "pyarrow", "pyarrow-int96", "polars", "duckdb", "hive", "spark", "delta-rs"]


@pytest.fixture(scope="module")
def written(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("foreign")
    return {w: write_with(w, source_table(w), root, spark) for w in WRITERS}


def _collect(df) -> dict[str, list]:
    rows = sorted(df.collect(), key=lambda r: r["id"])
    return {c: [_plain(r[c]) for r in rows] for c in df.columns}


@pytest.mark.parametrize("writer", WRITERS)
def test_reader_takes_every_type_exactly(spark, written, writer):
    fmt, path = written[writer]
    got = _collect(read_input(spark, format=fmt, path=path))
    expected = {c: v for c, v in EXPECTED.items() if c in got}
    if writer == "pandas":  # pandas turns a uint64 column with nulls into float64 itself
        expected["u64"] = [0.0, float(2**64 - 1), None]
    missing = set(source_table(writer).column_names) - set(got) - {"mp"}
    assert not missing, f"{writer}: columns lost on read: {missing}"
    mismatched = {c: (got[c], expected[c]) for c in expected if got[c] != expected[c]}
    assert not mismatched, f"{writer}: {mismatched}"


def test_nanos_columns_read_as_timestamps_not_longs(spark, written):
    types = dict(read_input(spark, **dict(zip(("format", "path"), written["pandas"]))).dtypes)
    assert types["ts_ns"] == "timestamp_ntz" and types["ts_ns_tz"] == "timestamp"


@pytest.mark.parametrize("fmt", ["parquet", "delta"])
def test_what_thresher_writes_other_tools_read_back_equal(spark, written, tmp_path, fmt):
    import polars as pl
    from deltalake import DeltaTable

    df = read_input(spark, format="parquet", path=written["pyarrow"][1]).drop("nothing")
    spark_view = _collect(df)
    out = tmp_path / f"out-{fmt}"
    write_output(df, format=fmt, path=str(out), mode="error",
                 commit_info={"thresher.run_id": "matrix"})
    readers = {"delta-rs": lambda: DeltaTable(str(out)).to_pyarrow_table()} if fmt == "delta" else {
        "pyarrow": lambda: pq.read_table(out),
        "polars": lambda: pl.read_parquet(str(out / "*.parquet")).to_arrow(),
    }
    for name, read in readers.items():
        table = read().sort_by("id")
        got = {c: [_plain(v) for v in table.column(c).to_pylist()] for c in table.column_names}
        if name == "polars" and got["mp"] and isinstance(got["mp"][0], list):  # a list of structs
            got["mp"] = [None if v is None else {e["key"]: e["value"] for e in v} for v in got["mp"]]
        got["mp"] = [{} if v == [] else v for v in got["mp"]]  # an empty map: no pairs to tell
        for column, values in spark_view.items():
            assert got[column] == values, f"{name} reads {column} of a thresher {fmt} output differently"
