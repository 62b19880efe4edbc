"""What the content stage's passes share: numbering, batching, failure isolation, and a
union of scans that is grouped without shuffling it twice."""
from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from thresher.dedup.containment.shared_scan import PassPlan, batches, run_isolated, shuffled_union


def test_pass_plan_numbers_tables_and_projections():
    fams = {"a": {"x": "int"}, "b": {"x": "int", "y": "string"}, "c": {"x": "int", "y": "string", "z": "date"},
            "d": {"x": "float"}}
    plan = PassPlan.build([("a", "b"), ("a", "c"), ("b", "c"), ("d", "c")], fams)
    assert plan.names == ["a", "b", "c", "d"]
    # a's and d's columns share a name but not a family: two projections
    assert sorted(plan.projections) == [("x",), ("x",), ("x", "y")]
    assert plan.own["a"] != plan.own["d"]
    assert plan.needs["a"] == [plan.own["a"]] and plan.needs["b"] == sorted({plan.own["a"], plan.own["b"]})
    assert plan.needs["c"] == sorted({plan.own["a"], plan.own["b"], plan.own["d"]})   # a parent only
    assert "c" not in plan.own and plan.parents == {"a": ["b", "c"], "b": ["c"], "d": ["c"]}


def test_pair_index_is_a_constant_array_by_table_id(spark):
    plan = PassPlan.build([("a", "b"), ("c", "b")], {"a": {"x": "int"}, "c": {"x": "int"}, "b": {"x": "int"}})
    index = plan.pair_index({"a": {"cut": 5}, "c": {"cut": 7}}, "cut: bigint")
    row = spark.range(1).select(index.alias("i")).first()["i"]
    assert [None if r is None else (r["p"], r["ps"], r["cut"]) for r in row] == [(0, [1], 5), None, (0, [1], 7)]
    plan_text = spark.range(1).select(index.alias("i"))._jdf.queryExecution().optimizedPlan().toString()
    assert "from_json" not in plan_text   # folded into a literal once, not parsed per row


@pytest.mark.parametrize("limit", [2, 3, 5, 100])
def test_batches_hold_every_pair_once_within_the_limit(limit):
    pairs = [(f"c{i}", f"p{i % 3}") for i in range(12)] + [("c0", "p1"), ("p1", "p2")]
    out = batches(pairs, limit)
    assert sorted(p for b in out for p in b) == sorted(pairs)
    assert all(len({t for p in b for t in p}) <= max(limit, 2) for b in out)
    if limit >= 100:
        assert len(out) == 1


def _reads(out) -> int:
    """Table scans over all jobs (a table in two jobs is read twice)."""
    return sum(len({t for p in b for t in p}) for b in out)


def test_batches_pack_whole_components_so_no_table_is_read_twice():
    # 30 families of a parent and 4 children, plus one child with two parents in a family:
    # 150 tables, 5 per component; jobs of at most 12 tables hold 2 components each
    pairs = [(f"f{f}c{c}", f"f{f}p") for f in range(30) for c in range(4)] + [("f0c0", "f0c1")]
    out = batches(pairs, 12)
    assert sorted(p for b in out for p in b) == sorted(pairs)
    assert all(len({t for p in b for t in p}) <= 12 for b in out)
    assert _reads(out) == 150 and len(out) == 15
    # packed by parent name alone, jobs would cut across families and re-read their tables
    by_parent = _split_by_parent(pairs, 12)
    assert _reads(by_parent) > 150


def _split_by_parent(pairs, limit):
    from thresher.dedup.containment.shared_scan import _split
    return _split(pairs, limit)


def test_a_component_bigger_than_a_job_is_split():
    star = [(f"c{i}", "p") for i in range(10)]
    out = batches(star + [("x", "y")], 4)
    assert sorted(p for b in out for p in b) == sorted(star + [("x", "y")])
    assert all(len({t for p in b for t in p}) <= 4 for b in out)
    assert sum(("x", "y") in b for b in out) == 1


def test_run_isolated_drops_the_tables_that_fail_alone():
    bad_tables = {"x", "y"}
    calls = []

    def job(pairs):
        calls.append(list(pairs))
        if bad_tables & {t for p in pairs for t in p}:
            raise RuntimeError("cannot read")
        return {p: "ok" for p in pairs}

    pairs = [("a", "b"), ("a", "x"), ("y", "b"), ("c", "b")]
    results, bad = run_isolated(pairs, job, lambda t: "corrupt" if t in bad_tables else None)
    assert results == {("a", "b"): "ok", ("c", "b"): "ok"} and bad == {"x": "corrupt", "y": "corrupt"}
    assert len(calls) == 2
    with pytest.raises(RuntimeError):   # a failure no table explains alone propagates
        run_isolated([("a", "b")], lambda p: (_ for _ in ()).throw(RuntimeError("oom")), lambda t: None)


def test_shuffled_union_groups_without_a_second_exchange(spark):
    frames = [spark.range(20).select(F.lit(i).alias("t"), (F.col("id") % 5).alias("p"),
                                     F.col("id").cast("string").alias("v")) for i in range(70)]
    grouped = shuffled_union(frames, ["p", "v"]).groupBy("p", "v").agg(F.collect_set("t").alias("m"))
    plan = grouped._jdf.queryExecution().executedPlan().toString()
    assert plan.count("Exchange hashpartitioning") == 3     # one per 32 scans, none above the union
    rows = grouped.collect()
    assert len(rows) == 20 and all(sorted(r["m"]) == list(range(70)) for r in rows)
    counted = shuffled_union(frames, ["p", "v"]).groupBy("p", "v", "t").count().groupBy("p", "v").count()
    assert counted._jdf.queryExecution().executedPlan().toString().count("Exchange hashpartitioning") == 3
