"""Connected components on the driver: the same labels as the Spark rounds and the
union-find reference, and ``minhash_dedup`` choosing the path by its edge bound."""
from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

from thresher.dedup.minhash.components import connected_components
import thresher.dedup.minhash.driver_components as driver_module
from thresher.dedup.minhash.driver_components import (driver_components, fits_driver, label_arrays,
                                                      parse_bytes)
from thresher.operators.errors import InputError
from tests.dedup.minhash.test_components import chain, edges_df, random_edges, union_find
from tests.dedup.minhash.test_operator import apply, make, reasons


def _graphs(ids):
    """Edge lists over ``ids``: random edges plus a chain and a star, in any order."""
    edge = st.tuples(ids, ids)
    chain_of = st.lists(ids, min_size=2, max_size=30, unique=True).map(
        lambda v: list(zip(v, v[1:])))
    star_of = st.tuples(ids, st.lists(ids, max_size=30)).map(lambda s: [(s[0], m) for m in s[1]])
    parts = st.lists(st.one_of(st.lists(edge, max_size=40), chain_of, star_of), max_size=5)
    return parts.map(lambda ps: [e for p in ps for e in p]).flatmap(st.permutations)


LONGS = st.integers(-2**63, 2**63 - 1) | st.integers(0, 40)  # dense small ids collide more
STRINGS = st.text(alphabet="abcé日\x00 ", max_size=4)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_graphs(LONGS), _graphs(STRINGS)), st.data())
def test_labels_equal_union_find(edges, data):
    """Pure Arrow + numba (no Spark): hundreds of graphs, incl. self-loops and null ends."""
    if edges and data.draw(st.booleans()):  # some null endpoints: (a, None) keeps a
        k = data.draw(st.integers(0, len(edges) - 1))
        edges = edges[:k] + [(edges[k][0], None), (None, None)] + edges[k:]
    kind = pa.string() if any(isinstance(v, str) for e in edges for v in e) else pa.int64()
    src = pa.array([a for a, _ in edges], kind)
    dst = pa.array([b for _, b in edges], kind)
    nodes, comps = label_arrays(src, dst)
    got = dict(zip(nodes.to_pylist(), comps.to_pylist()))
    expected = union_find(edges)
    if kind == pa.string():  # Spark and Arrow order strings by UTF-8 bytes
        expected = {v: min((u for u in expected if expected[u] == expected[v]),
                           key=lambda s: s.encode()) for v in expected}
    assert got == expected
    assert nodes.to_pylist() == sorted(got, key=(lambda s: s.encode()) if kind == pa.string() else None)


def _both(df):
    spark_rows = sorted(connected_components(df).components.collect())
    driver = driver_components(df)
    assert driver.components.schema == connected_components(df).components.schema
    assert driver.nodes == len(spark_rows)
    return sorted(driver.components.collect()), spark_rows


@pytest.mark.parametrize("kind,seed", [("string", 0), ("long", 1)])
def test_driver_and_spark_agree_on_random_graphs(spark, kind, seed):
    edges = random_edges(seed, kind, n=600)
    driver, spark_rows = _both(edges_df(spark, edges, kind))
    assert driver == spark_rows == sorted(union_find(edges).items())


@pytest.mark.parametrize("kind", ["string", "long"])
def test_driver_and_spark_agree_on_chains_stars_and_odd_edges(spark, kind):
    driver, spark_rows = _both(chain(spark, 300, kind))
    assert driver == spark_rows and {c for _, c in driver} == {"000" if kind == "string" else 0}
    star = spark.range(1, 200).select(F.lit(77).cast("long").alias("src"), F.col("id").alias("dst"))
    assert _both(star)[0] == _both(star)[1]  # the hub is not the minimum
    odd = [("b", "a"), ("z", "z"), ("q", None), (None, None), ("é", "f"), ("f", "b"), ("f", "b")]
    odd_df = spark.createDataFrame(odd, "src string, dst string")
    driver, spark_rows = _both(odd_df)
    assert driver == spark_rows and ("q", "q") in driver and len(driver) == 6


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(_graphs(st.integers(-5, 60)))
def test_driver_and_spark_agree_on_drawn_graphs(spark, edges):
    df = spark.createDataFrame(edges, "src bigint, dst bigint")
    driver, spark_rows = _both(df)
    assert driver == spark_rows


def test_unsupported_ids_are_refused(spark):
    df = spark.createDataFrame([(1.5, 2.5)], "src double, dst double")
    with pytest.raises(InputError, match="integers or strings"):
        driver_components(df)


def test_operator_takes_the_driver_path_under_its_bound(spark, tmp_path):
    df = make(spark)
    small, op_small = apply(df, verify=True)
    spark_path, op_spark = apply(df, verify=True, driver_components_max_edges=0)
    assert op_small.report()["components_on_driver"] == 1.0
    assert op_spark.report()["components_on_driver"] == 0.0
    assert reasons(small) == reasons(spark_path)
    assert {k: v for k, v in op_small.report().items() if not k.startswith(("seconds", "components_"))} \
        == {k: v for k, v in op_spark.report().items() if not k.startswith(("seconds", "components_"))}
    _, op_tight = apply(df, driver_components_max_edges=1)  # 3 candidate edges > 1
    assert op_tight.report()["components_on_driver"] == 0.0
    # a checkpoint of either path serves the other: the stage key does not hold the path
    ckpt = str(tmp_path)
    first, op1 = apply(df, checkpoint_dir=ckpt)
    again, op2 = apply(df, checkpoint_dir=ckpt, driver_components_max_edges=0)
    assert op1.report()["components_on_driver"] == 1.0 and op2.report()["reused_components"] == 1.0
    assert "components_on_driver" not in op2.report() and reasons(again) == reasons(first)
    for op in (op_small, op_spark, op_tight, op1, op2):
        op.release()


def test_spark_size_settings_parse_as_spark_reads_them():
    assert [parse_bytes(t) for t in ("1g", "512m", "2048k", "1073741824", "4GB", " 3 t ")] \
        == [1 << 30, 512 << 20, 2 << 20, 1 << 30, 4 << 30, 3 << 40]
    assert parse_bytes("0") == 0 and parse_bytes("lots") is None and parse_bytes("1.5g") is None


def test_edges_over_the_result_size_take_the_spark_path(spark, monkeypatch):
    """The edge bound alone is not enough: 5M edges of long content ids can outgrow
    spark.driver.maxResultSize. The edges' bytes are measured and a set over 80% of
    it goes to Spark's rounds (same labels) instead of a collect that fails."""
    strings = spark.createDataFrame([("doc-b", "doc-a"), ("doc-c", "doc-b"), (None, "doc-x")],
                                    "src string, dst string")
    fits, count, size = fits_driver(strings, 10)
    assert (fits, count, size) == (True, 3, 16 * 3 + 5 * 5)  # 8 per value, plus UTF-8 bytes
    longs = spark.createDataFrame([(2, 1), (3, 2)], "src bigint, dst bigint")
    assert fits_driver(longs, 10) == (True, 2, 32) and fits_driver(longs, 1)[0] is False
    monkeypatch.setattr(driver_module, "max_result_bytes", lambda s: 40)  # 80% of it: 32
    assert fits_driver(longs, 10)[0] is True and fits_driver(strings, 10)[0] is False
    monkeypatch.setattr(driver_module, "max_result_bytes", lambda s: None)  # unlimited (0)
    assert fits_driver(strings, 10)[0] is True

    df = make(spark)
    free, op_free = apply(df, verify=True)
    monkeypatch.setattr(driver_module, "max_result_bytes", lambda s: 8)
    tight, op_tight = apply(df, verify=True)
    assert op_free.report()["components_on_driver"] == 1.0
    assert op_tight.report()["components_on_driver"] == 0.0
    assert op_tight.report()["components_edge_bytes"] == op_free.report()["components_edge_bytes"] > 8
    assert reasons(tight) == reasons(free)
    for op in (op_free, op_tight):
        op.release()
