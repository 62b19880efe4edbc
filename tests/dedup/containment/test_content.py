"""Stage 3: the sampled semi-join, exact verification, multisets, nested columns, errors."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dedup.containment.config import ContainmentConfig
from dedup.containment.content import run_content
from dedup.containment.parquet_meta import inspect_parquet
from dedup.containment.types import Column
from operators.io.fs import LocalFS


def _tables(tmp_path, **tables: pa.Table):
    out = {}
    for name, t in tables.items():
        path = tmp_path / f"{name}.parquet"
        pq.write_table(t, path)
        info = inspect_parquet(LocalFS(), str(path), name=name)
        out[name] = info
    return out


def _run(spark, tables, pairs, **cfg):
    out = run_content(spark, tables, pairs, config=ContainmentConfig(**cfg))
    return {(e.child, e.parent): e for e in out.edges}, out


def test_contained_and_sample_miss(spark, tmp_path):
    parent = pa.table({"id": list(range(100)), "s": [f"v{i}" for i in range(100)]})
    tables = _tables(tmp_path, parent=parent,
                     sub=pa.table({"S": [f"v{i}" for i in range(0, 100, 3)], "ID": list(range(0, 100, 3))}),
                     other=pa.table({"id": [1, 2, 3], "s": ["v1", "v2", "nope"]}))
    edges, out = _run(spark, tables, [("sub", "parent"), ("other", "parent")])
    sub, other = edges[("sub", "parent")], edges[("other", "parent")]
    assert (sub.verdict, sub.decided_at, sub.contained) == ("contained", "verified", True)
    assert (other.verdict, other.decided_at, other.rule) == ("not_contained", "content", "sample_miss")
    assert '"nope"' in other.evidence["row"] and other.evidence["missing"] == 1
    assert out.after_sample == 1 and out.sample_bytes > 0 and out.verify_bytes > 0


def test_exact_verification_catches_what_the_sample_missed(spark, tmp_path):
    rows = list(range(300))
    changed = rows[:150] + [10_000] + rows[151:]
    tables = _tables(tmp_path, parent=pa.table({"x": rows}), child=pa.table({"x": changed}))
    edges, out = _run(spark, tables, [("child", "parent")], sample_rows=1)
    e = edges[("child", "parent")]
    assert (e.verdict, e.decided_at, e.rule, e.evidence["row"]) == (
        "not_contained", "verified", "exact_miss", {"x": 10_000})
    edges, _ = _run(spark, tables, [("child", "parent")], sample_rows=1, verify="sample")
    assert edges[("child", "parent")].verdict == "probable"   # why exact is the default
    assert edges[("child", "parent")].contained is None


def test_multiset_counts_duplicates(spark, tmp_path):
    tables = _tables(tmp_path, parent=pa.table({"x": [1, 2, 2, None]}),
                     twice=pa.table({"x": [2, 2, None]}), thrice=pa.table({"x": [2, 2, 2]}))
    pairs = [("twice", "parent"), ("thrice", "parent")]
    as_set, _ = _run(spark, tables, pairs)
    assert {k: e.verdict for k, e in as_set.items()} == {p: "contained" for p in pairs}
    as_bag, _ = _run(spark, tables, pairs, multiset=True)
    assert as_bag[("twice", "parent")].verdict == "contained"
    assert (as_bag[("thrice", "parent")].verdict, as_bag[("thrice", "parent")].rule) == (
        "not_contained", "multiset_excess")


def test_nested_columns_and_float_widths(spark, tmp_path):
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
    edges, _ = _run(spark, tables, [("child", "parent"), ("decoy", "parent")])
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


@pytest.mark.parametrize("batch_size", [1, 3])
def test_batches_give_the_same_answers(spark, tmp_path, batch_size):
    parent = pa.table({"x": list(range(50)), "y": [i % 7 for i in range(50)]})
    kids = {f"k{i}": parent.slice(i * 10, 10).select(["y", "x"] if i % 2 else ["x"]) for i in range(5)}
    kids["bad"] = pa.table({"x": [999]})
    tables = _tables(tmp_path, parent=parent, **kids)
    edges, _ = _run(spark, tables, [(k, "parent") for k in kids], batch_size=batch_size)
    assert {k[0]: e.verdict for k, e in edges.items()} == {
        **{k: "contained" for k in kids if k != "bad"}, "bad": "not_contained"}
