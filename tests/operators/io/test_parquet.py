"""Parquet outputs: modes, partitioning, atomic swap, crash recovery, footer stats."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.operators.io.iohelpers import rows, snapshot, visible

from thresher.operators.errors import OutputError, OutputExistsError
from thresher.operators.io import output_exists, read_output, write_output
from thresher.operators.io.fs import LocalFS
from thresher.operators.io.parquet import delta_stats, footer_from_tail, spark_write_parquet


def frame(spark, ids, tag="v"):
    return spark.createDataFrame([(i, f"{tag}{i}", i % 2) for i in ids], "id long, text string, k int")


def hidden(parent) -> list[str]:
    return sorted(p.name for p in Path(parent).iterdir() if p.name.startswith("."))


def test_overwrite_append_error(spark, tmp_path):
    out = str(tmp_path / "out")
    assert not output_exists(format="parquet", path=out)
    write_output(frame(spark, range(3)), format="parquet", path=out, mode="error")
    assert output_exists(format="parquet", path=out)
    assert rows(read_output(spark, format="parquet", path=out), "id") == [(0,), (1,), (2,)]

    write_output(frame(spark, range(3, 5)), format="parquet", path=out, mode="append")
    assert rows(read_output(spark, format="parquet", path=out), "id") == [(i,) for i in range(5)]

    write_output(frame(spark, [7], "w"), format="parquet", path=out, mode="overwrite")
    assert rows(read_output(spark, format="parquet", path=out)) == [(7, "w7", 1)]

    before = snapshot(out)
    with pytest.raises(OutputExistsError):
        write_output(frame(spark, [8]), format="parquet", path=out, mode="error")
    assert snapshot(out) == before
    assert visible(tmp_path) == ["out"] and hidden(tmp_path) == []  # no staging or old left over


def test_partition_by(spark, tmp_path):
    out = tmp_path / "out"
    write_output(frame(spark, range(6)), format="parquet", path=str(out), mode="overwrite", partition_by=["k"])
    assert visible(out) == ["k=0", "k=1"]
    write_output(frame(spark, [10, 11]), format="parquet", path=str(out), mode="append", partition_by=["k"])
    back = read_output(spark, format="parquet", path=str(out))
    assert rows(back, "id", "k") == sorted([(i, i % 2) for i in [*range(6), 10, 11]])


def test_append_schema_mismatch(spark, tmp_path):
    out = str(tmp_path / "out")
    write_output(frame(spark, [1]), format="parquet", path=out, mode="overwrite")
    before = snapshot(out)
    other = spark.createDataFrame([(1, 2.0)], "id long, score double")
    with pytest.raises(OutputError, match="schema differs"):
        write_output(other, format="parquet", path=out, mode="append")
    assert snapshot(out) == before and hidden(tmp_path) == []


def test_failed_write_keeps_previous(spark, tmp_path, monkeypatch):
    out = str(tmp_path / "out")
    write_output(frame(spark, [1, 2]), format="parquet", path=out, mode="overwrite")
    before = snapshot(out)
    monkeypatch.setenv("THRESHER_FAILPOINTS", "before_commit=raise")
    for mode in ("overwrite", "append"):
        with pytest.raises(OutputError, match="failpoint before_commit"):
            write_output(frame(spark, [5]), format="parquet", path=out, mode=mode)
        assert snapshot(out) == before and hidden(tmp_path) == []


def test_interrupted_swap_is_restored(spark, tmp_path):
    out = tmp_path / "out"
    write_output(frame(spark, [1, 2]), format="parquet", path=str(out), mode="overwrite")
    before = snapshot(out)
    # A crash between the two renames: old moved aside, staging never renamed in.
    os.rename(out, tmp_path / ".out.old-run1")
    spark_write_parquet(frame(spark, [9]), LocalFS(), str(tmp_path / ".out.staging-run1"), [])
    assert output_exists(format="parquet", path=str(out))  # read-only check sees the old copy
    assert not out.exists()
    assert rows(read_output(spark, format="parquet", path=str(out)), "id") == [(1,), (2,)]
    assert snapshot(out) == before
    assert hidden(tmp_path) == [".out.staging-run1"]  # readers never delete a writer's staging
    write_output(frame(spark, [3]), format="parquet", path=str(out), mode="append")
    assert hidden(tmp_path) == []  # the next write removes stale staging
    assert rows(read_output(spark, format="parquet", path=str(out)), "id") == [(1,), (2,), (3,)]


def test_swap_crash_after_rename_and_committed_append(spark, tmp_path):
    out = tmp_path / "out"
    write_output(frame(spark, [1]), format="parquet", path=str(out), mode="overwrite")
    # A crash after the swap, before the old copy was deleted: the new output is current.
    spark_write_parquet(frame(spark, [0]), LocalFS(), str(tmp_path / ".out.old-run1"), [])
    # A crash in the middle of a committed append: one file moved, the rest pending.
    pending = tmp_path / ".out.appending-run2"
    spark_write_parquet(frame(spark, [2, 3, 4], "a").repartition(3), LocalFS(), str(pending), [])
    first = sorted(pending.glob("part-*"))[0]
    os.rename(first, out / first.name)
    assert rows(read_output(spark, format="parquet", path=str(out)), "id") == [(1,), (2,), (3,), (4,)]
    assert not pending.exists()
    write_output(frame(spark, [5]), format="parquet", path=str(out), mode="append")
    assert hidden(tmp_path) == []
    assert rows(read_output(spark, format="parquet", path=str(out)), "id") == [(i,) for i in range(1, 6)]


@pytest.mark.slow
def test_kill_during_commit_keeps_previous(spark, tmp_path, killed_writer):
    out = tmp_path / "out"
    write_output(frame(spark, range(5)), format="parquet", path=str(out), mode="overwrite")
    before = snapshot(out)

    def staged():
        return any(tmp_path.glob(".out.staging-*/part-*.parquet"))

    killed_writer("parquet", out, "overwrite", staged)
    assert snapshot(out) == before
    assert visible(tmp_path) == ["out"]
    assert rows(read_output(spark, format="parquet", path=str(out)), "id") == [(i,) for i in range(5)]
    assert len(hidden(tmp_path)) == 1  # the dead run's staging, until the next write
    write_output(frame(spark, [9]), format="parquet", path=str(out), mode="overwrite")
    assert hidden(tmp_path) == []


# ------------------------------------------------------------------ footer stats
def test_delta_stats_from_footer(tmp_path):
    long_a, long_z = "a" * 40, "z" * 31 + "zzzz-and-more"
    table = pa.table({
        "i": pa.array([5, None, -3], pa.int32()),
        "s": [long_a, "m", long_z],
        "f": [1.5, float("nan"), 0.5],
        "ts": pa.array([dt.datetime(2021, 1, 1, 12, tzinfo=dt.timezone.utc)] * 3, pa.timestamp("us", "UTC")),
        "d": [dt.date(2020, 2, 1), dt.date(2020, 1, 1), None],
        "n": pa.array([None, None, None], pa.int64()),
        "st": [{"x": 1}, {"x": 7}, None],
        "l": [[1], [2, 3], []],
        "b": [b"\x00", b"\x01", None],
    })
    path = tmp_path / "f.parquet"
    pq.write_table(table, path, row_group_size=2)
    stats = delta_stats(pq.read_metadata(path))
    assert stats["numRecords"] == 3
    assert stats["minValues"]["i"] == -3 and stats["maxValues"]["i"] == 5
    assert stats["nullCount"] == {"i": 1, "s": 0, "f": 0, "ts": 0, "d": 1, "n": 3, "st": {"x": 1}, "b": 1}
    assert stats["minValues"]["s"] == "a" * 32 and len(stats["maxValues"]["s"]) == 32
    assert stats["maxValues"]["s"] > long_z  # truncated, but still an upper bound
    assert stats["minValues"]["ts"] == "2021-01-01T12:00:00.000000Z"
    assert stats["minValues"]["d"] == "2020-01-01" and stats["maxValues"]["d"] == "2020-02-01"
    assert stats["minValues"]["st"] == {"x": 1} and stats["maxValues"]["st"] == {"x": 7}
    for absent in ("n", "l", "b"):  # all null, inside a list, binary: no bounds
        assert absent not in stats["minValues"] and absent not in stats["maxValues"]


def test_footer_from_tail_matches_full_read(tmp_path):
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"a": list(range(1000)), "b": [str(i) * 50 for i in range(1000)]}), path,
                   row_group_size=100)
    data = path.read_bytes()
    md = footer_from_tail(lambda n: data[-n:], str(path))  # the Hadoop path reads only the tail
    assert md.num_rows == 1000 and md.num_row_groups == 10
    assert delta_stats(md) == delta_stats(pq.read_metadata(path))
