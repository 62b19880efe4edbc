"""Distinct-value bounds from page headers: they hold whatever the writer did."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thresher.dedup.containment.delta_meta import inspect_delta
from thresher.dedup.containment.parquet_meta import inspect_parquet
from thresher.dedup.containment.parquet_pages import ThriftError, chunk_pages, parse_page_header, trusted_entries
from thresher.operators.io.fs import LocalFS

from .oracle import canon

FS = LocalFS()
_T0 = dt.datetime(2020, 1, 1)
_VALUES = {
    "i": (pa.int32(), st.one_of(st.none(), st.integers(-20, 20))),
    "s": (pa.string(), st.one_of(st.none(), st.text("abz\u00e9", max_size=3))),
    "b": (pa.binary(), st.one_of(st.none(), st.binary(max_size=2))),
    "f": (pa.float64(), st.one_of(st.none(), st.sampled_from([0.0, -0.0, 1.5, float("nan"), float("inf")]))),
    "d": (pa.decimal128(6, 2), st.one_of(st.none(), st.decimals(-3, 3, places=2, allow_nan=False))),
    "t": (pa.timestamp("us"), st.one_of(st.none(), st.integers(0, 5).map(
        lambda s: _T0 + dt.timedelta(microseconds=s)))),
    # nanoseconds apart in the file, one microsecond once canonical
    "n": (pa.timestamp("ns"), st.one_of(st.none(), st.integers(0, 3000))),
}


def _true_distinct(col: pa.ChunkedArray, key: str) -> int:
    if key == "n":  # containment compares nanoseconds exactly (timestamps.py): so do the bounds
        col = pc.cast(col, pa.int64())
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    return len({canon(v) for v in col.to_pylist() if v is not None})


def _dictionary(col: pa.Array, extra: list) -> pa.DictionaryArray:
    """``col`` as an Arrow dictionary that also holds ``extra`` values no row uses."""
    values = pa.array(extra + [v for v in pc.unique(col).to_pylist() if v is not None and v not in extra],
                      col.type)
    index = {v: i for i, v in enumerate(values.to_pylist())}
    return pa.DictionaryArray.from_arrays(
        pa.array([None if v is None else index[v] for v in col.to_pylist()], pa.int32()), values)


@st.composite
def stored_tables(draw):
    keys = draw(st.lists(st.sampled_from(sorted(_VALUES)), min_size=1, max_size=4, unique=True))
    n = draw(st.integers(1, 30))
    cols = {}
    for k in keys:
        typ, values = _VALUES[k]
        col = pa.array(draw(st.lists(values, min_size=n, max_size=n)), pa.int64() if k == "n" else typ)
        if k == "n":
            col = col.cast(typ)
        if k in ("s", "b") and draw(st.booleans()):
            col = _dictionary(col, ["zz", "zy"] if k == "s" else [b"\xff\xfe"])
        cols[k] = col
    writer = {"use_dictionary": draw(st.booleans()), "data_page_version": draw(st.sampled_from(["1.0", "2.0"])),
              "store_schema": draw(st.booleans()), "row_group_size": draw(st.integers(1, 12))}
    if draw(st.booleans()):
        writer.update(dictionary_pagesize_limit=8, write_batch_size=2)  # falls back to plain pages midway
    if draw(st.booleans()):
        writer["data_page_size"] = 16  # many pages a chunk
    return pa.table(cols), writer, draw(st.sampled_from(["file", "dataset", "delta"]))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored_tables())
def test_bounds_contain_the_canonical_distinct_count(tmp_path_factory, case):
    table, writer, layout = case
    path = tmp_path_factory.mktemp("pages") / "t"
    if layout == "delta":
        from deltalake import write_deltalake

        plain = pa.table({k: (c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c)
                          for k, c in zip(table.column_names, table.columns)})
        plain = plain.drop_columns([k for k in ("n",) if k in plain.column_names])  # Delta: microseconds
        if not plain.num_columns:
            return
        write_deltalake(str(path), plain)
        table = plain
        info = inspect_delta(FS, str(path), name="t")
    elif layout == "dataset":
        path.mkdir()
        half = table.num_rows // 2
        pq.write_table(table.slice(0, half), path / "part-0.parquet", **writer)
        pq.write_table(table.slice(half), path / "part-1.parquet", **writer)
        info = inspect_parquet(FS, str(path), name="t")
    else:
        pq.write_table(table, path, **writer)
        info = inspect_parquet(FS, str(path), name="t")
    for key in table.column_names:
        cs = info.stats.columns[key]
        truth = _true_distinct(table.column(key), key)
        assert cs.ndv_hi is not None, key  # always known: at worst the value count
        assert (cs.ndv_lo or 0) <= truth <= cs.ndv_hi, (key, cs, truth, writer)


def test_bounds_are_exact_for_a_plain_dictionary_write(tmp_path):
    table = pa.table({"i": pa.array([1, 2, 2, None, 3], pa.int64()), "s": ["a", "b", "a", "c", None],
                      "d": pa.array([Decimal("1.10"), Decimal("1.1"), None, None, None], pa.decimal128(5, 2))})
    pq.write_table(table, tmp_path / "t.parquet")
    cols = inspect_parquet(FS, str(tmp_path / "t.parquet"), name="t").stats.columns
    assert [(cols[k].ndv_lo, cols[k].ndv_hi) for k in "isd"] == [(3, 3), (3, 3), (1, 1)]


def test_untrusted_dictionaries_give_upper_bounds_only(tmp_path):
    col = _dictionary(pa.array(["a", "b", "a"]), ["never", "used"])
    for store_schema in (True, False):
        path = tmp_path / f"t{store_schema}.parquet"
        pq.write_table(pa.table({"s": col}), path, store_schema=store_schema)
        s = inspect_parquet(FS, str(path), name="t").stats.columns["s"]
        assert s.ndv_lo is None and s.ndv_hi == 3  # the 4-entry dictionary is not believed
    floats = tmp_path / "f.parquet"
    pq.write_table(pa.table({"f": [0.0, -0.0, float("nan")]}), floats)
    f = inspect_parquet(FS, str(floats), name="f").stats.columns["f"]
    assert f.ndv_lo is None and f.ndv_hi == 3  # 0.0 and -0.0 are two entries, one canonical value
    assert trusted_entries("parquet-mr version 1.13.1 (build x)", pa.string(), arrow_schema=False)
    assert not trusted_entries("DuckDB", pa.string(), arrow_schema=False)
    # look-alike names from other engines are not parquet-mr
    assert not trusted_entries("parquet-mr-trino version 0.1", pa.string(), arrow_schema=False)
    assert not trusted_entries("parquet-mr compatible Photon version 0.2", pa.string(), arrow_schema=False)
    assert not trusted_entries(None, pa.string(), arrow_schema=True)


def test_fallback_to_plain_pages_keeps_a_lower_bound(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"s": [f"value-{i}" for i in range(200)]}), path,
                   dictionary_pagesize_limit=64, data_page_size=64, write_batch_size=8)
    md = pq.read_metadata(path)
    with FS.ranges(str(path)) as read:
        pages = chunk_pages(read, md.row_group(0).column(0), max_pages=10_000)
    assert pages.entries is not None and pages.entries < 200 and pages.all_dictionary is False
    s = inspect_parquet(FS, str(path), name="t").stats.columns["s"]
    assert s.ndv_lo == pages.entries and s.ndv_hi == 200


def test_page_walk_stops_at_max_pages(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"i": list(range(5000))}), path, use_dictionary=False, data_page_size=64)
    md = pq.read_metadata(path)
    with FS.ranges(str(path)) as read:
        few = chunk_pages(read, md.row_group(0).column(0), max_pages=3)
        every = chunk_pages(read, md.row_group(0).column(0), max_pages=10_000)
    assert few.all_dictionary is None and every.all_dictionary is False and every.entries is None
    assert few.header_bytes < every.header_bytes


def test_headers_parse_and_damage_is_reported(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"i": [1, 2, 2]}), path)
    chunk = pq.read_metadata(path).row_group(0).column(0)
    raw = path.read_bytes()
    header = parse_page_header(raw[chunk.dictionary_page_offset:])
    assert (header.type, header.entries) == (2, 2) and header.size > 0
    damaged = bytearray(raw)
    damaged[chunk.dictionary_page_offset] = 0x0F  # an unknown Thrift type
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(damaged))
    with pytest.raises(ThriftError):
        parse_page_header(bytes(damaged[chunk.dictionary_page_offset:]))
    i = inspect_parquet(FS, str(bad), name="bad").stats.columns["i"]
    assert i.ndv_lo is None and i.ndv_hi == 3  # the footer's value count still bounds it


def test_page_headers_can_be_turned_off(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"i": [1, 2, 2]}), path)
    on = inspect_parquet(FS, str(path), name="t")
    off = inspect_parquet(FS, str(path), name="t", page_headers=False)
    assert (on.stats.columns["i"].ndv_lo, off.stats.columns["i"].ndv_lo) == (2, None)
    assert off.meta_bytes < on.meta_bytes


def test_spark_written_files_give_exact_bounds(spark, tmp_path):
    """parquet-java (Spark's writer) builds dictionaries from values: its entries are trusted."""
    df = spark.createDataFrame([(1, "a"), (2, "b"), (2, None), (None, "a")], "i int, s string")
    df.coalesce(1).write.parquet(str(tmp_path / "t"))
    info = inspect_parquet(FS, str(tmp_path / "t"), name="t")
    cols = info.stats.columns
    assert [(cols[k].ndv_lo, cols[k].ndv_hi) for k in "is"] == [(2, 2), (2, 2)]


def test_a_partition_key_is_bounded_by_its_folders_not_by_a_same_named_file_column(tmp_path):
    """Spark reads k from the folder name (one value), whatever column k the files hold."""
    folder = tmp_path / "t" / "k=1"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"k": list(range(10)), "x": list(range(10))}), folder / "part-0.parquet")
    cols = inspect_parquet(FS, str(tmp_path / "t"), name="t").stats.columns
    assert cols["k"].ndv_lo is None and (cols["x"].ndv_lo, cols["x"].ndv_hi) == (10, 10)


def test_delta_add_paths_are_decoded(tmp_path):
    from thresher.dedup.containment.delta_meta import _file_path

    assert _file_path("/lake/t", "k=a%20b/part-0.parquet") == "/lake/t/k=a b/part-0.parquet"
    assert _file_path("/lake/t", "file:///lake/t/k=a%20b/p.parquet") == "/lake/t/k=a b/p.parquet"
    assert _file_path("/lake/t", "file:/lake/t/p.parquet") == "/lake/t/p.parquet"
    assert _file_path("s3://b/t", "s3://b/t/k=a%20b/p.parquet") == "s3://b/t/k=a b/p.parquet"


def test_unreadable_delta_data_files_cost_the_bounds_not_the_table(tmp_path):
    from deltalake import write_deltalake

    write_deltalake(str(tmp_path / "d"), pa.table({"i": [1, 2, 2]}))
    for f in (tmp_path / "d").glob("*.parquet"):
        f.write_bytes(b"not parquet")
    info = inspect_delta(FS, str(tmp_path / "d"), name="d")
    i = info.stats.columns["i"]
    assert info.stats.rows == 3 and (i.min_lo, i.max_hi) == (1, 2)  # the log still serves
    assert i.ndv_lo is None and i.ndv_hi is None
