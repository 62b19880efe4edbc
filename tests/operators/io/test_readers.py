"""read_input for every format, built from files written by other tools (pyarrow, plain
text, delta-rs), so the reader is checked against independent writers."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.operators.io.iohelpers import rows
from deltalake import DeltaTable, write_deltalake

from thresher.operators.errors import InputError, OutputError
from thresher.operators.io import read_input
from thresher.operators.io.fs import failpoint, get_fs

RECORDS = [{"id": 1, "text": "alpha beta"}, {"id": 2, "text": "gamma"}, {"id": 3, "text": "delta, epsilon"}]
EXPECTED = sorted((r["id"], r["text"]) for r in RECORDS)


def test_parquet(spark, tmp_path):
    (tmp_path / "p").mkdir()
    pq.write_table(pa.Table.from_pylist(RECORDS[:2]), tmp_path / "p" / "a.parquet")
    pq.write_table(pa.Table.from_pylist(RECORDS[2:]), tmp_path / "p" / "b.parquet")
    df = read_input(spark, format="parquet", path=str(tmp_path / "p"))
    assert rows(df, "id", "text") == EXPECTED


def test_jsonl_with_glob_and_file_uri(spark, tmp_path):
    for i, rec in enumerate(RECORDS):
        (tmp_path / f"part{i}.jsonl").write_text(json.dumps(rec) + "\n")
    (tmp_path / "ignored.txt").write_text("not json\n")
    df = read_input(spark, format="jsonl", path=str(tmp_path / "part*.jsonl"))
    assert rows(df, "id", "text") == EXPECTED
    df = read_input(spark, format="jsonl", path=f"file://{tmp_path}/part0.jsonl")
    assert rows(df, "id", "text") == EXPECTED[:1]


def test_csv_header_default_and_override(spark, tmp_path):
    lines = ["id,text"] + [f'{r["id"]},"{r["text"]}"' for r in RECORDS]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    df = read_input(spark, format="csv", path=str(tmp_path / "d.csv"), options={"inferSchema": True})
    assert df.columns == ["id", "text"]
    assert rows(df) == EXPECTED
    raw = read_input(spark, format="csv", path=str(tmp_path / "d.csv"), options={"header": False})
    assert raw.columns == ["_c0", "_c1"] and raw.count() == 4


def test_text_line_and_file(spark, tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "one.txt").write_text("first line\nsecond line\n")
    (tmp_path / "t" / "two.txt").write_text("only line\n")
    lines = read_input(spark, format="text", path=str(tmp_path / "t"))
    assert lines.columns == ["text"]
    assert rows(lines) == [("first line",), ("only line",), ("second line",)]
    files = read_input(spark, format="text", path=str(tmp_path / "t"), text_unit="file")
    assert files.columns == ["text", "path"]
    got = sorted((r.path.rsplit("/", 1)[-1], r.text) for r in files.collect())
    assert got == [("one.txt", "first line\nsecond line\n"), ("two.txt", "only line\n")]


def test_delta_reads_current_snapshot_only(spark, tmp_path):
    path = str(tmp_path / "dt")
    write_deltalake(path, pa.Table.from_pylist(RECORDS), partition_by=["id"])
    write_deltalake(path, pa.Table.from_pylist([{"id": 9, "text": "replaced"}]), mode="overwrite")
    assert len(DeltaTable(path).file_uris()) == 1  # the removed files are still on disk
    df = read_input(spark, format="delta", path=path)
    assert df.columns == ["id", "text"]
    assert rows(df) == [(9, "replaced")]
    old = read_input(spark, format="delta", path=path, options={"versionAsOf": 0})
    assert rows(old) == EXPECTED


def test_delta_partitioned_and_empty(spark, tmp_path):
    path = str(tmp_path / "dt")
    data = pa.table({"k": ["a b", "x:y", None], "v": [1, 2, 3]})
    write_deltalake(path, data, partition_by=["k"])
    df = read_input(spark, format="delta", path=path)
    assert df.columns == ["k", "v"]
    assert rows(df) == [("a b", 1), ("x:y", 2), (None, 3)]
    empty = str(tmp_path / "empty")
    write_deltalake(empty, data.schema.empty_table())
    df = read_input(spark, format="delta", path=empty)
    assert df.columns == ["k", "v"] and df.count() == 0
    assert dict(df.dtypes) == {"k": "string", "v": "bigint"}


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv", "text", "delta"])
def test_missing_path(spark, tmp_path, fmt):
    missing = str(tmp_path / "nope")
    with pytest.raises(InputError, match=f"{missing}.*{fmt}"):
        read_input(spark, format=fmt, path=missing)


def test_no_files_matched(spark, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "_SUCCESS").write_text("")
    with pytest.raises(InputError, match="no data files"):
        read_input(spark, format="text", path=str(tmp_path / "empty"))
    with pytest.raises(InputError, match="no files match"):
        read_input(spark, format="jsonl", path=str(tmp_path / "*.jsonl"))
    with pytest.raises(InputError, match="not a Delta table"):
        read_input(spark, format="delta", path=str(tmp_path / "empty"))
    with pytest.raises(InputError, match="unknown format"):
        read_input(spark, format="orc", path=str(tmp_path))


def test_get_fs_paths(tmp_path):
    fs, p = get_fs(f"file://{tmp_path}/x")
    assert fs.local and p == f"{tmp_path}/x"
    assert get_fs(f"file:{tmp_path}/x")[1] == f"{tmp_path}/x"
    assert get_fs("relative/dir")[1].endswith("/relative/dir")


def test_failpoint(monkeypatch):
    monkeypatch.setenv("THRESHER_FAILPOINTS", "a=sleep:0, before_commit=raise")
    failpoint("a")
    failpoint("unrelated")
    with pytest.raises(OutputError, match="before_commit"):
        failpoint("before_commit")
