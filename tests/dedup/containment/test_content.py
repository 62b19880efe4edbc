"""Stage 3: the sample test, exact verification (each table read once for all its pairs),
multisets, nested columns, errors. ``SAMPLE``: options that send every pair through the
sample test first (by default pairs of small tables go straight to verification)."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from thresher.dedup.containment.config import ContainmentConfig
from thresher.dedup.containment.content import _Stage, run_content
from thresher.dedup.containment.parquet_meta import inspect_parquet
from thresher.dedup.containment.spark_jobs import JobGroup
from thresher.dedup.containment.types import Column
from thresher.operators.io.fs import LocalFS


def _tables(tmp_path, **tables: pa.Table):
    out = {}
    for name, t in tables.items():
        path = tmp_path / f"{name}.parquet"
        pq.write_table(t, path)
        info = inspect_parquet(LocalFS(), str(path), name=name)
        out[name] = info
    return out


SAMPLE = {"sample_above_bytes": 0}
BOTH = pytest.mark.parametrize("route", [{}, SAMPLE], ids=["direct", "sampled"])


def _run(spark, tables, pairs, **cfg):
    out = run_content(spark, tables, pairs, config=ContainmentConfig(**cfg))
    return {(e.child, e.parent): e for e in out.edges}, out


def test_contained_and_sample_miss(spark, tmp_path):
    parent = pa.table({"id": list(range(100)), "s": [f"v{i}" for i in range(100)]})
    tables = _tables(tmp_path, parent=parent,
                     sub=pa.table({"S": [f"v{i}" for i in range(0, 100, 3)], "ID": list(range(0, 100, 3))}),
                     other=pa.table({"id": [1, 2, 3], "s": ["v1", "v2", "nope"]}))
    edges, out = _run(spark, tables, [("sub", "parent"), ("other", "parent")], **SAMPLE)
    sub, other = edges[("sub", "parent")], edges[("other", "parent")]
    assert (sub.verdict, sub.decided_at, sub.contained) == ("contained", "verified", True)
    assert (other.verdict, other.decided_at, other.rule) == ("not_contained", "content", "sample_miss")
    assert other.evidence["row"] == {"id": 3, "s": "nope"} and other.evidence["missing"] == 1
    assert other.evidence["sampled"] == 3
    assert (out.sampled_pairs, out.direct_pairs, out.after_sample) == (2, 0, 1)
    assert out.sample_bytes > 0 and out.verify_bytes > 0


def test_small_pairs_skip_the_sample_test(spark, tmp_path):
    parent = pa.table({"id": list(range(100)), "s": [f"v{i}" for i in range(100)]})
    tables = _tables(tmp_path, parent=parent, sub=parent.slice(10, 20),
                     other=pa.table({"id": [1, 2, 3, 4], "s": ["v1", "v2", "nope", "nah"]}))
    edges, out = _run(spark, tables, [("sub", "parent"), ("other", "parent")])
    other = edges[("other", "parent")]
    assert (other.verdict, other.decided_at, other.rule) == ("not_contained", "verified", "exact_miss")
    assert other.evidence["row"] == {"id": 3, "s": "nope"} and other.evidence["missing"] == 2
    assert edges[("sub", "parent")].verdict == "contained"
    assert (out.sampled_pairs, out.direct_pairs, out.after_sample, out.sample_bytes) == (0, 2, 2, 0)
    size = {k: tables[k].data_bytes + tables["parent"].data_bytes for k in ("sub", "other")}
    assert size["sub"] > size["other"]
    _, out = _run(spark, tables, [("sub", "parent"), ("other", "parent")], sample_above_bytes=size["sub"])
    assert (out.sampled_pairs, out.direct_pairs) == (1, 1)   # only the larger pair takes the test


def test_exact_verification_catches_what_the_sample_missed(spark, tmp_path):
    rows = list(range(300))
    changed = rows[:150] + [10_000] + rows[151:]
    tables = _tables(tmp_path, parent=pa.table({"x": rows}), child=pa.table({"x": changed}))
    edges, out = _run(spark, tables, [("child", "parent")], sample_rows=1, **SAMPLE)
    assert out.sampled_pairs == 1 and out.after_sample == 1
    e = edges[("child", "parent")]
    assert (e.verdict, e.decided_at, e.rule, e.evidence["row"]) == (
        "not_contained", "verified", "exact_miss", {"x": 10_000})
    assert e.evidence["missing"] == 1
    edges, _ = _run(spark, tables, [("child", "parent")], sample_rows=1, verify="sample")
    assert edges[("child", "parent")].verdict == "probable"   # why exact is the default
    assert edges[("child", "parent")].contained is None


@BOTH
def test_multiset_counts_duplicates(spark, tmp_path, route):
    tables = _tables(tmp_path, parent=pa.table({"x": [1, 2, 2, None, None]}),
                     twice=pa.table({"x": [2, 2, None]}), thrice=pa.table({"x": [2, 2, 2]}),
                     nulls=pa.table({"x": [None, None, None]}))
    pairs = [("twice", "parent"), ("thrice", "parent"), ("nulls", "parent"), ("thrice", "twice")]
    as_set, _ = _run(spark, tables, pairs, **route)
    assert {k: e.verdict for k, e in as_set.items()} == {p: "contained" for p in pairs}
    as_bag, _ = _run(spark, tables, pairs, multiset=True, **route)
    assert {k: e.verdict for k, e in as_bag.items()} == {
        ("twice", "parent"): "contained", ("thrice", "parent"): "not_contained",
        ("nulls", "parent"): "not_contained", ("thrice", "twice"): "not_contained"}
    assert as_bag[("thrice", "parent")].rule == "multiset_excess"
    assert as_bag[("thrice", "parent")].evidence["row"] == {"x": 2}
    assert as_bag[("nulls", "parent")].evidence["row"] == {"x": None}


@BOTH
def test_nested_columns_and_float_widths(spark, tmp_path, route):
    st_type = pa.struct([("a", pa.int32()), ("b", pa.string())])
    parent = pa.table({"st": pa.array([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}, None], st_type),
                       "m": pa.array([[("k", 1)], [("k", 2), ("j", 3)], []],
                                     pa.map_(pa.string(), pa.int64())),
                       "f": pa.array([0.5, float("nan"), -0.0], pa.float64())})
    child_type = pa.struct([("B", pa.string()), ("a", pa.int64())])
    child = pa.table({"F": pa.array([float("nan"), 0.0], pa.float32()),
                      "st": pa.array([{"B": "y", "a": 2}, None], child_type),
                      "m": pa.array([[("j", 3), ("k", 2)], []], pa.map_(pa.string(), pa.int32()))})
    decoy = child.set_column(1, "st", pa.array([{"B": "y", "a": 3}, None], child_type))
    tables = _tables(tmp_path, parent=parent, child=child, decoy=decoy)
    edges, _ = _run(spark, tables, [("child", "parent"), ("decoy", "parent")], **route)
    assert edges[("child", "parent")].verdict == "contained"
    assert edges[("decoy", "parent")].verdict == "not_contained"


def test_unreadable_table_and_spark_type_mismatch(spark, tmp_path):
    tables = _tables(tmp_path, parent=pa.table({"x": ["1", "2"]}), child=pa.table({"x": [1]}),
                     gone=pa.table({"x": ["1"]}))
    (tmp_path / "gone.parquet").unlink()
    tables["child"].columns = [Column("x", "string")]  # metadata and Spark disagree
    edges, out = _run(spark, tables, [("child", "parent"), ("gone", "parent")])
    mism = edges[("child", "parent")]
    assert (mism.verdict, mism.rule) == ("not_contained", "spark_type_mismatch")
    gone = edges[("gone", "parent")]
    assert (gone.verdict, gone.contained, gone.rule, gone.evidence["table"]) == (
        "error", None, "read_error", "gone")
    assert [s["table"] for s in out.skipped] == ["gone"]


@pytest.mark.parametrize("batch_size", [1, 3, 100])
@BOTH
def test_batches_give_the_same_answers(spark, tmp_path, batch_size, route):
    parent = pa.table({"x": list(range(50)), "y": [i % 7 for i in range(50)]})
    kids = {f"k{i}": parent.slice(i * 10, 10).select(["y", "x"] if i % 2 else ["x"]) for i in range(5)}
    kids["bad"] = pa.table({"x": [999]})
    kids["k0y"] = kids["k1"].set_column(1, "x", pa.array([-1] * 10))   # another child's values
    tables = _tables(tmp_path, parent=parent, **kids)
    pairs = [(k, "parent") for k in kids] + [("k0", "k1"), ("k2", "k4"), ("k1", "k3"), ("bad", "k0")]
    edges, _ = _run(spark, tables, pairs, batch_size=batch_size, **route)
    assert {k: e.verdict for k, e in edges.items()} == {
        **{(k, "parent"): "contained" for k in kids if k not in ("bad", "k0y")},
        ("bad", "parent"): "not_contained", ("k0y", "parent"): "not_contained",
        ("k0", "k1"): "not_contained", ("k2", "k4"): "not_contained", ("k1", "k3"): "not_contained",
        ("bad", "k0"): "not_contained"}


@pytest.fixture
def counted_reads(spark):
    """Parquet vectored reads off, so that Spark's input metrics count the data a scan reads
    (with them on, only footers), as the benchmark sets; restored afterwards."""
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    key = "parquet.hadoop.vectored.io.enabled"
    before = conf.get(key)
    conf.set(key, "false")
    yield
    if before is None:
        conf.unset(key)
    else:
        conf.set(key, before)


@BOTH
def test_each_table_is_read_once_for_all_its_pairs(spark, tmp_path, counted_reads, route):
    """A parent with six children and a child with two parents: a pass reads each table
    once, where pair-by-pair checks would read the parent six times."""
    n = 20_000
    parent = pa.table({"id": list(range(n)), "s": [f"value-{i * 7919 % n}" for i in range(n)],
                       "f": [i / 3 for i in range(n)]})
    kids = {f"k{i}": parent.slice(i * 3000, 2000).select(["id", "s"] if i % 2 else ["id", "f"])
            for i in range(6)}
    twin = parent.select(["id", "s"])
    tables = _tables(tmp_path, parent=parent, twin=twin, **kids)
    pairs = [(k, "parent") for k in kids] + [("k1", "twin"), ("k3", "twin")]
    edges, out = _run(spark, tables, pairs, **route)
    assert all(e.verdict == "contained" for e in edges.values())
    files = sum(t.data_bytes for t in tables.values())
    parent_bytes = tables["parent"].data_bytes
    per_pass = [b for b in (out.sample_bytes, out.verify_bytes) if b]
    assert len(per_pass) == (2 if route else 1)
    assert all(parent_bytes / 2 < b <= files * 1.05 for b in per_pass), (per_pass, files, parent_bytes)


def test_a_table_that_fails_mid_scan_is_isolated(spark, tmp_path):
    """A data file that breaks only when read (after the DataFrame was made) fails the
    shared job: its table's pairs become errors, the others are still decided."""
    parent = pa.table({"x": list(range(40))})
    tables = _tables(tmp_path, parent=parent, a=parent.slice(0, 10), b=parent.slice(5, 10))
    broken = tmp_path / "broken"
    broken.mkdir()
    pq.write_table(parent.slice(0, 20), broken / "part-0.parquet")
    pq.write_table(parent.slice(20, 20), broken / "part-1.parquet")
    tables["broken"] = inspect_parquet(LocalFS(), str(broken), name="broken")
    pairs = [("a", "parent"), ("b", "parent"), ("a", "broken")]
    stage = _Stage(spark, tables, pairs, ContainmentConfig())
    assert stage.readable(pairs) == pairs   # the DataFrames are made, the files listed
    (broken / "part-1.parquet").write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")
    with JobGroup(spark, "test-isolation") as group:
        stage.verify(pairs, group)
    edges = {(e.child, e.parent): e for e in stage.out.edges}
    assert edges[("a", "parent")].verdict == edges[("b", "parent")].verdict == "contained"
    err = edges[("a", "broken")]
    assert (err.verdict, err.decided_at, err.evidence["table"]) == ("error", "verified", "broken")
    assert set(stage.bad) == {"broken"}


def test_frames_opened_ahead_equal_frames_opened_one_by_one(spark, tmp_path):
    from thresher.dedup.containment.frames import Frames

    t = pa.table({"x": [1, 2], "s": ["a", "b"]})
    tables = _tables(tmp_path, a=t, b=t.select(["s"]))
    gone = tmp_path / "gone.parquet"
    pq.write_table(t, gone)
    tables["gone"] = inspect_parquet(LocalFS(), str(gone), name="gone")
    gone.unlink()  # listed at inspection, missing when Spark opens it
    ahead, one_by_one = Frames(spark, tables), Frames(spark, tables)
    ahead.open(["a", "b", "gone"], threads=3)
    assert set(ahead._cache) == {"a", "b", "gone"}  # all made by open()
    for name in ("a", "b", "gone"):
        assert ahead.error(name) == one_by_one.error(name)
        if name != "gone":
            assert ahead.get(name)[1:] == one_by_one.get(name)[1:]
    assert ahead.error("gone") is not None
