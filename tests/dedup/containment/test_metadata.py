"""Schema and statistics from Parquet footers, Delta logs and (cached) CSV aggregates."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from thresher.dedup.containment.csv_meta import csv_options, inspect_csv
from thresher.dedup.containment.delta_meta import inspect_delta
from thresher.dedup.containment.parquet_meta import inspect_parquet
from thresher.dedup.containment.types import Column
from thresher.operators.errors import TableReadError
from thresher.operators.io.fs import LocalFS

FS = LocalFS()


def test_parquet_footers_fold_row_groups_and_files(tmp_path):
    ds = tmp_path / "ds"
    ds.mkdir()
    t1 = pa.table({"x": pa.array([5, None, 7], pa.int32()), "s": ["b", "c", None],
                   "f": [1.5, float("nan"), -2.0], "nested": [{"a": 1}, None, {"a": 2}]})
    t2 = pa.table({"x": pa.array([3, 9], pa.int32()), "s": ["a", "z"], "f": [0.0, 0.5],
                   "nested": [None, {"a": 3}]})
    pq.write_table(t1, ds / "part-0.parquet", row_group_size=2)
    pq.write_table(t2, ds / "part-1.parquet")
    info = inspect_parquet(FS, str(ds), name="ds")
    assert info.stats.rows == 5
    assert info.columns == [Column("x", "int"), Column("s", "string"), Column("f", "float"),
                            Column("nested", "struct<a:int>")]
    x, s, f = (info.stats.columns[k] for k in ("x", "s", "f"))
    assert (x.nulls, x.min_lo, x.min_hi, x.max_lo, x.max_hi) == (1, 3, 3, 9, 9)
    assert (s.nulls, s.min_lo, s.max_hi) == (1, "a", "z")
    assert (f.nulls, f.min_lo, f.max_hi) == (0, -2.0, 1.5)   # NaN is never a bound
    assert "nested" not in info.stats.columns                  # no stats for nested columns
    # two files: the richest file's dictionary is a lower bound, their sum an upper one
    assert (x.ndv_lo, x.ndv_hi, s.ndv_lo, s.ndv_hi) == (2, 4, 2, 4)
    footers = inspect_parquet(FS, str(ds), name="ds", page_headers=False)
    assert 0 < footers.meta_bytes < info.meta_bytes and footers.meta_bytes < info.data_bytes


def test_hive_partitions_become_columns_with_exact_stats(tmp_path):
    for k, rows in (("1", 2), ("3", 1), ("__HIVE_DEFAULT_PARTITION__", 2)):
        folder = tmp_path / "t" / f"k={k}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"v": list(range(rows))}), folder / "part-0.parquet")
    info = inspect_parquet(FS, str(tmp_path / "t"), name="t")
    assert info.columns[-1] == Column("k", "int")
    k = info.stats.columns["k"]
    assert (k.nulls, k.min_lo, k.max_hi) == (2, 1, 3)


def test_parquet_errors(tmp_path):
    (tmp_path / "bad.parquet").write_bytes(b"garbage")
    with pytest.raises(TableReadError, match="Parquet footer"):
        inspect_parquet(FS, str(tmp_path / "bad.parquet"), name="bad")
    ds = tmp_path / "ds"
    ds.mkdir()
    pq.write_table(pa.table({"x": [1]}), ds / "part-0.parquet")
    pq.write_table(pa.table({"x": ["one"]}), ds / "part-1.parquet")
    with pytest.raises(TableReadError, match="disagree on the schema"):
        inspect_parquet(FS, str(ds), name="ds")


def test_delta_log_stats_are_intervals(tmp_path):
    from deltalake import write_deltalake

    long = "x" * 40
    t = pa.table({"i": pa.array([1, 2, None], pa.int64()), "s": ["a", long, "b"],
                  "f": pa.array([0.1, 0.2, 0.3], pa.float32()),
                  "ts": pa.array([dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2), None], pa.timestamp("us")),
                  "p": [1, 1, 2]})
    write_deltalake(str(tmp_path / "d"), t, partition_by=["p"])
    info = inspect_delta(FS, str(tmp_path / "d"), name="d")
    st = info.stats
    assert st.rows == 3
    assert (st.columns["i"].nulls, st.columns["i"].min_lo, st.columns["i"].max_hi) == (1, 1, 2)
    # a 32+ character string may be a truncated prefix: that bound is unknown (file 1's max),
    # short ones are exact (file 1's min "a", file 2's "b")
    s = st.columns["s"]
    assert (s.min_lo, s.min_hi, s.max_lo, s.max_hi) == ("a", "a", "b", None)
    # float32 stats are read back as float32 values, not as the shortest decimal's double
    assert st.columns["f"].min_lo == float(pa.array([0.1], pa.float32())[0].as_py())
    ts = st.columns["ts"]
    day = 19723 * 86_400_000_000
    assert ts.min_lo == day - 1000 and ts.min_hi == day + 1000
    assert (st.columns["p"].min_lo, st.columns["p"].max_hi, st.columns["p"].nulls) == (1, 2, 0)
    assert [c.key for c in info.columns] == ["i", "s", "f", "ts", "p"]


def test_csv_stats_are_computed_once_and_cached(spark, tmp_path, monkeypatch):
    from thresher.dedup.containment import csv_meta

    path = tmp_path / "a.csv"
    pd.DataFrame({"id": [3, 1, 1], "d": ["2024-01-02", "2024-01-01", "2024-01-01"],
                  "amount": [1.5, None, None]}).to_csv(path, index=False)
    opts = csv_options()
    info = inspect_csv(spark, FS, str(path), name="a", options=opts, cache_dir=str(tmp_path / "c"))
    assert [(c.name, c.family) for c in info.columns] == [("id", "int"), ("d", "date"), ("amount", "float")]
    assert (info.stats.rows, info.stats.distinct_rows) == (3, 2)
    assert (info.stats.columns["id"].min_lo, info.stats.columns["id"].max_hi) == (1, 3)
    assert info.stats.columns["amount"].nulls == 2
    assert info.meta_bytes == path.stat().st_size
    monkeypatch.setattr(csv_meta, "compute_csv_stats", lambda df: pytest.fail("recomputed"))
    again = inspect_csv(spark, FS, str(path), name="a", options=opts, cache_dir=str(tmp_path / "c"))
    assert again.stats == info.stats and again.meta_bytes == 0
    entry = json.loads(next((tmp_path / "c").iterdir()).read_text())
    assert entry["stats"]["rows"] == 3


def test_unreadable_csv(spark, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n3\n")  # a short row: malformed under FAILFAST
    with pytest.raises(TableReadError, match="Spark cannot read it as CSV"):
        inspect_csv(spark, FS, str(path), name="x", options={**csv_options(), "mode": "FAILFAST"},
                    cache_dir=None)
