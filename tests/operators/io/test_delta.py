"""Delta outputs without the Delta jars: Spark writes the files, delta-rs commits once."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable
from tests.operators.io.iohelpers import rows, snapshot, visible

from thresher.operators.errors import DeltaError, OutputExistsError
from thresher.operators.io import output_exists, read_output, write_output
from thresher.operators.session import has_native_delta


def frame(spark, ids, tag="v"):
    return spark.createDataFrame([(i, f"{tag}{i:02d}", i % 2) for i in ids], "id long, text string, k int")


def info(run):
    return {"thresher.recipe": "quality", "thresher.recipe_hash": "abc123", "thresher.run_id": run}


def table_rows(path):
    return sorted(tuple(r.values()) for r in DeltaTable(path).to_pyarrow_table().to_pylist())


def data_files(path):
    return sorted(str(p.relative_to(path)) for p in Path(path).rglob("*.parquet") if "_delta_log" not in p.parts)


def add_actions(path):
    return pa.table(DeltaTable(path).get_add_actions(flatten=True)).to_pylist()


def test_no_native_delta_here(spark):
    assert not has_native_delta(spark)  # these tests exercise the delta-rs commit path


def test_create_append_overwrite(spark, tmp_path):
    path = str(tmp_path / "t")
    assert not output_exists(format="delta", path=path)
    write_output(frame(spark, range(4)), format="delta", path=path, mode="error", commit_info=info("r0"))
    assert output_exists(format="delta", path=path)
    assert DeltaTable(path).version() == 0
    assert table_rows(path) == [(i, f"v{i:02d}", i % 2) for i in range(4)]

    write_output(frame(spark, [4, 5]), format="delta", path=path, mode="append", commit_info=info("r1"))
    assert DeltaTable(path).version() == 1
    assert table_rows(path) == [(i, f"v{i:02d}", i % 2) for i in range(6)]
    files_before = data_files(path)

    write_output(frame(spark, [7], "w"), format="delta", path=path, mode="overwrite", commit_info=info("r2"))
    dt = DeltaTable(path)
    assert dt.version() == 2 and table_rows(path) == [(7, "w07", 1)]
    assert set(files_before) < set(data_files(path))  # removed logically, never deleted
    assert rows(read_output(spark, format="delta", path=path)) == [(7, "w07", 1)]

    history = {h["version"]: h for h in dt.history()}
    for version, run in enumerate(["r0", "r1", "r2"]):
        assert history[version]["thresher.run_id"] == run
        assert history[version]["thresher.recipe"] == "quality"
        assert json.loads(history[version]["userMetadata"]) == info(run)
    assert [history[v]["operation"] for v in range(3)] == ["CREATE TABLE", "WRITE", "WRITE"]
    assert visible(tmp_path) == ["t"] and not list(tmp_path.glob(".t.*"))

    with pytest.raises(OutputExistsError):
        write_output(frame(spark, [8]), format="delta", path=path, mode="error")
    assert DeltaTable(path).version() == 2


@pytest.mark.parametrize("name", ["t", "my table"])
def test_history_records_the_table_folder_not_staging(spark, tmp_path, name):
    """A new table is built in a hidden staging folder and swapped in: its CREATE TABLE
    commit must still name the table's own folder as the location."""
    from urllib.parse import unquote

    path = str(tmp_path / name)
    write_output(frame(spark, range(3)), format="delta", path=path, mode="error", commit_info=info("r0"))
    write_output(frame(spark, [3]), format="delta", path=path, mode="append", commit_info=info("r1"))
    history = {h["version"]: h for h in DeltaTable(path).history()}
    location = history[0]["operationParameters"]["location"]
    assert "staging" not in location, location
    assert unquote(location.rstrip("/")) == Path(path).as_uri().replace("%20", " "), location
    assert history[0]["thresher.run_id"] == "r0" and history[1]["thresher.run_id"] == "r1"
    assert table_rows(path) == [(i, f"v{i:02d}", i % 2) for i in range(4)]


def test_add_stats(spark, tmp_path):
    path = str(tmp_path / "t")
    write_output(frame(spark, range(10)).coalesce(1), format="delta", path=path, mode="overwrite")
    write_output(frame(spark, range(20, 23)).coalesce(1), format="delta", path=path, mode="append")
    adds = sorted(add_actions(path), key=lambda a: a["num_records"])
    assert [a["num_records"] for a in adds] == [3, 10]
    small, big = adds
    assert (small["min.id"], small["max.id"], small["min.text"], small["max.text"]) == (20, 22, "v20", "v22")
    assert (big["min.id"], big["max.id"], big["min.k"], big["max.k"]) == (0, 9, 0, 1)
    assert big["null_count.text"] == 0
    for add in adds:
        assert add["size_bytes"] == (Path(path) / add["path"]).stat().st_size


def test_partition_by_and_types(spark, tmp_path):
    path = str(tmp_path / "t")
    df = spark.sql("""SELECT id, CAST(id AS STRING) AS text,
                             CASE WHEN id % 3 = 0 THEN 'a b' WHEN id % 3 = 1 THEN 'x:y' END AS part,
                             TIMESTAMP '2024-01-01 00:00:00' + make_interval(0, 0, 0, id) AS ts,
                             DATE '2024-01-01' AS day
                      FROM range(6)""")
    write_output(df, format="delta", path=path, mode="overwrite", partition_by=["part"], commit_info=info("p"))
    dt = DeltaTable(path)
    assert dt.metadata().partition_columns == ["part"]
    assert sorted(visible(path)) == ["part=__HIVE_DEFAULT_PARTITION__", "part=a b", "part=x%3Ay"]
    parts = sorted((a["partition.part"] or "") for a in add_actions(path))
    assert set(parts) == {"", "a b", "x:y"}
    back = read_output(spark, format="delta", path=path)
    assert back.columns == ["id", "text", "part", "ts", "day"]
    assert rows(back) == rows(df)
    assert DeltaTable(path).to_pyarrow_table().num_rows == 6
    adds = add_actions(path)
    assert str(min(a["min.ts"] for a in adds))[:10] == "2024-01-01"
    assert str(max(a["max.ts"] for a in adds))[:10] == "2024-01-06"
    assert all(str(a["min.day"]) == "2024-01-01" for a in adds)
    write_output(df.where("id < 2"), format="delta", path=path, mode="append", partition_by=["part"])
    assert DeltaTable(path).version() == 1
    with pytest.raises(DeltaError, match="partitioned by"):
        write_output(df, format="delta", path=path, mode="append", partition_by=[])


def test_schema_rules(spark, tmp_path):
    path = str(tmp_path / "t")
    write_output(frame(spark, [1]), format="delta", path=path, mode="overwrite")
    other = spark.createDataFrame([(1, 0.5)], "id long, score double")
    with pytest.raises(DeltaError, match="schema differs"):
        write_output(other, format="delta", path=path, mode="append")
    assert DeltaTable(path).version() == 0 and not list(tmp_path.glob(".t.*"))
    write_output(other, format="delta", path=path, mode="overwrite")  # overwrite replaces the schema
    assert DeltaTable(path).version() == 1
    assert DeltaTable(path).schema().to_arrow().names == ["id", "score"]
    assert rows(read_output(spark, format="delta", path=path)) == [(1, 0.5)]


def test_non_delta_folder(spark, tmp_path):
    path = tmp_path / "t"
    write_output(frame(spark, [1]), format="parquet", path=str(path), mode="overwrite")
    with pytest.raises(DeltaError, match="not a Delta table"):
        write_output(frame(spark, [2]), format="delta", path=str(path), mode="append")
    write_output(frame(spark, [3]), format="delta", path=str(path), mode="overwrite")  # swapped in whole
    assert DeltaTable(str(path)).version() == 0 and table_rows(str(path)) == [(3, "v03", 1)]
    assert not (path / "_SUCCESS").exists()


def test_empty_output(spark, tmp_path):
    path = str(tmp_path / "t")
    write_output(frame(spark, []), format="delta", path=path, mode="overwrite")
    back = read_output(spark, format="delta", path=path)
    assert back.columns == ["id", "text", "k"] and back.count() == 0


def test_failed_commit_keeps_previous(spark, tmp_path, monkeypatch):
    path = str(tmp_path / "t")
    write_output(frame(spark, [1, 2]), format="delta", path=path, mode="overwrite")
    monkeypatch.setenv("THRESHER_FAILPOINTS", "before_commit=raise")
    with pytest.raises(DeltaError, match="failpoint"):
        write_output(frame(spark, [5]), format="delta", path=path, mode="overwrite")
    assert DeltaTable(path).version() == 0
    assert rows(read_output(spark, format="delta", path=path), "id") == [(1,), (2,)]
    assert not list(tmp_path.glob(".t.*"))
    new = str(tmp_path / "new")
    with pytest.raises(DeltaError, match="failpoint"):
        write_output(frame(spark, [5]), format="delta", path=new, mode="overwrite")
    assert visible(tmp_path) == ["t"]  # a new table is not even created


@pytest.mark.slow
def test_kill_before_commit_keeps_previous_version(spark, tmp_path, killed_writer):
    path = tmp_path / "t"
    write_output(frame(spark, range(5)), format="delta", path=str(path), mode="overwrite", commit_info=info("r0"))
    log_before = snapshot(path / "_delta_log")
    files_before = data_files(path)

    def files_moved_in():
        return len(data_files(path)) > len(files_before)  # written, renamed in, not committed

    killed_writer("delta", path, "append", files_moved_in)
    assert snapshot(path / "_delta_log") == log_before
    assert DeltaTable(str(path)).version() == 0
    assert table_rows(str(path)) == [(i, f"v{i:02d}", i % 2) for i in range(5)]
    assert rows(read_output(spark, format="delta", path=str(path)), "id") == [(i,) for i in range(5)]
    write_output(frame(spark, [9]), format="delta", path=str(path), mode="append")
    assert DeltaTable(str(path)).version() == 1 and not list(tmp_path.glob(".t.*"))
    assert rows(read_output(spark, format="delta", path=str(path)), "id") == [(i,) for i in [0, 1, 2, 3, 4, 9]]
