"""connected_components: Large-Star / Small-Star against a union-find reference."""
from __future__ import annotations

import glob
import os
import random

import pytest
from pyspark.sql import functions as F

from thresher.dedup.minhash import components as cc
from thresher.dedup.minhash.components import connected_components
from thresher.operators.errors import ConvergenceError, InputError, ThresherError


def union_find(edges) -> dict:
    """{node: smallest node of its component}, the plain-Python reference."""
    parent: dict = {}

    def find(x):
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for a, b in edges:
        nodes = [v for v in (a, b) if v is not None]
        for v in nodes:
            find(v)
        if len(nodes) == 2:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)  # the root is always the set's minimum
    return {v: find(v) for v in parent}


def labels(result) -> dict:
    rows = result.components.collect()
    out = {r["node"]: r["component"] for r in rows}
    assert len(out) == len(rows), "one row per node"
    return out


def random_edges(seed: int, kind: str, n: int = 2000) -> list[tuple]:
    """Many small components (random trees, paths, singletons), with duplicate, reversed
    and self-loop edges, under random labels so ids do not follow the structure."""
    rng = random.Random(seed)
    ids = list(range(n))
    rng.shuffle(ids)
    edges: list[tuple] = []
    i = 0
    while i < n:
        block = ids[i:i + rng.choice([1, 1, 2, 3, 5, 8, 13, 40, 120])]
        i += len(block)
        if len(block) == 1:
            edges.append((block[0], block[0]))  # a singleton exists only through its self-loop
        elif rng.random() < 0.5:  # a path, in random label order: the slow case for LS/SS
            edges += [(block[j], block[j + 1]) for j in range(len(block) - 1)]
        else:
            edges += [(block[j], block[rng.randrange(j)]) for j in range(1, len(block))]
            edges += [tuple(rng.sample(block, 2)) for _ in range(len(block) // 3)]
    dup = rng.sample(edges, len(edges) // 5)
    edges += [(b, a) for a, b in dup[::2]] + dup[1::2]
    edges += [(v, v) for v in rng.sample(ids, 30)]
    rng.shuffle(edges)
    if kind == "string":  # unpadded: string order is not numeric order ("n10" < "n9")
        name = {v: f"n{v}" for v in range(n)}
    else:  # signed, large and sparse
        big: set[int] = set()
        while len(big) < n:
            big.add(rng.randrange(-2**62, 2**62))
        name = dict(zip(range(n), sorted(big, key=lambda _: rng.random())))
    return [(name[a], name[b]) for a, b in edges]


def edges_df(spark, edges, kind: str):
    t = "string" if kind == "string" else "bigint"
    return spark.createDataFrame(edges, f"src {t}, dst {t}")


@pytest.mark.parametrize("kind", ["string", "long"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_graphs_match_union_find(spark, seed, kind):
    edges = random_edges(seed, kind)
    result = connected_components(edges_df(spark, edges, kind))
    expected = union_find(edges)
    assert labels(result) == expected
    assert result.converged and result.nodes == len(expected)
    assert result.num_components == len(set(expected.values()))
    assert result.num_components > 50  # many small components
    assert result.rounds[-1].changed == 0 and all(r.changed > 0 for r in result.rounds[:-1])


def test_docstring_example_and_odd_inputs(spark):
    edges = [("b", "a"), ("c", "b"), ("x", "y"), ("z", "z"), ("q", None), (None, None),
             ("é", "f"), ("f", "b")]
    result = connected_components(spark.createDataFrame(edges, "src string, dst string"))
    # a null endpoint is no node: ("q", None) keeps q, alone; (None, None) adds nothing
    assert labels(result) == {"a": "a", "b": "a", "c": "a", "f": "a", "é": "a", "x": "x",
                              "y": "x", "z": "z", "q": "q"}
    assert (result.nodes, result.num_components) == (9, 4)
    assert result.components.columns == ["node", "component"]


def test_other_column_names_and_empty_input(spark):
    df = spark.createDataFrame([(5, 3), (3, 9)], "a int, b int")
    result = connected_components(df, src="a", dst="b")
    assert labels(result) == {3: 3, 5: 3, 9: 3}
    assert dict(result.components.dtypes) == {"node": "int", "component": "int"}
    empty = connected_components(spark.createDataFrame([], "src long, dst long"))
    assert empty.components.count() == 0 and (empty.nodes, empty.iterations) == (0, 1)


def test_bad_inputs_fail_before_spark_runs(spark):
    df = spark.createDataFrame([("a", 1)], "src string, dst long")
    with pytest.raises(InputError, match="'src' is string but 'dst' is bigint"):
        connected_components(df)
    with pytest.raises(InputError, match="no column 'from'"):
        connected_components(df, src="from")
    with pytest.raises(ValueError, match="checkpoint_every"):
        connected_components(df, checkpoint_every=0)


def test_same_labels_whatever_the_partitioning(spark):
    edges = random_edges(5, "string", n=1500)
    df = edges_df(spark, edges, "string")
    reversed_df = df.select(F.col("dst").alias("src"), F.col("src").alias("dst"))
    runs = [connected_components(d) for d in
            (df.repartition(1), df.repartition(7), reversed_df.repartition(3, "src"))]
    first = sorted(runs[0].components.collect())
    assert first == sorted(map(tuple, union_find(edges).items()))
    for other in runs[1:]:
        assert sorted(other.components.collect()) == first
        assert [r.edges for r in other.rounds] == [r.edges for r in runs[0].rounds]


def chain(spark, n: int, kind: str):
    """Edges i -> i+1 over n nodes in random row order; strings zero-padded so the order holds."""
    df = spark.range(n - 1).select(F.col("id").alias("src"), (F.col("id") + 1).alias("dst"))
    if kind == "string":
        pad = len(str(n))
        df = df.select(*(F.lpad(F.col(c).cast("string"), pad, "0").alias(c) for c in ("src", "dst")))
    return df.orderBy(F.rand(11))


@pytest.mark.slow
# The long path is the depth test; the string one checks that string labels converge
# the same way, which a shorter path shows at a fifth of the cost.
@pytest.mark.parametrize("kind,n", [("long", 100_000), ("string", 20_000)])
def test_chain_converges_in_log_rounds(spark, kind, n, tmp_path):
    result = connected_components(chain(spark, n, kind), checkpoint_dir=str(tmp_path))
    smallest = "0" * len(str(n)) if kind == "string" else 0
    agg = result.components.agg(F.count("*").alias("n"), F.countDistinct("node").alias("nodes"),
                                F.min("component").alias("lo"), F.max("component").alias("hi")).first()
    assert tuple(agg) == (n, n, smallest, smallest)
    assert (result.nodes, result.num_components) == (n, 1)
    assert result.iterations <= 25  # ~log2(n) + 1 on a path with ordered ids
    print(f"\nchain {kind}: {result.iterations} rounds, {result.seconds:.1f} s")


@pytest.mark.slow
@pytest.mark.parametrize("hub", [0, 54_321])
def test_star_of_100k(spark, hub):
    n = 100_001  # the hub and 100,000 members; hub 0 is the minimum, 54,321 is not
    members = spark.range(n).where(F.col("id") != hub)
    df = members.select(F.col("id").alias("src"), F.lit(hub).cast("long").alias("dst"))
    result = connected_components(df.orderBy(F.rand(3)))
    agg = result.components.agg(F.count("*"), F.min("component"), F.max("component")).first()
    assert tuple(agg) == (n, 0, 0)
    if hub == 0:  # already a star centred on its minimum: the first round confirms it
        assert result.iterations == 1 and result.rounds[0].changed == 0


def plan_lines(df) -> int:
    """Lines of the analysed logical plan: the lineage a recomputation would replay."""
    return len(df._jdf.queryExecution().analyzed().toString().splitlines())


@pytest.mark.parametrize("with_dir", [True, False])
def test_lineage_is_cut_every_checkpoint_every_rounds(spark, tmp_path, monkeypatch, with_dir):
    edges = chain(spark, 1000, "long")
    ckpt = str(tmp_path) if with_dir else None
    sizes = []  # per round: plan lines of the round's input (the previous round's output)
    original = cc._round
    monkeypatch.setattr(cc, "_round", lambda df: sizes.append(plan_lines(df)) or original(df))
    cut = connected_components(edges, checkpoint_dir=ckpt, checkpoint_every=2)
    cut_sizes = sizes[:]
    sizes.clear()
    # without cuts (a few rounds only: the plan, and each round's planning time, keep growing)
    with pytest.raises(ConvergenceError):
        connected_components(edges, checkpoint_dir=ckpt, checkpoint_every=1000, max_iterations=5)

    assert cut.iterations >= 10 and len(cut_sizes) == cut.iterations
    growth = sizes[2] - sizes[1]
    assert growth > 10 and all(b - a == growth for a, b in zip(sizes[1:], sizes[2:])), sizes
    # round 2k+1 reads the checkpoint of round 2k; round 2k+2 carries one round on top of it
    assert set(cut_sizes[2::2]) == {cut_sizes[2]} and set(cut_sizes[3::2]) == {cut_sizes[2] + growth}
    assert cut_sizes[2] < sizes[0], (cut_sizes, sizes)  # smaller than even the input's plan
    if with_dir:
        run_dir = cut.checkpoint_path
        assert run_dir.startswith(str(tmp_path)) and os.listdir(run_dir) == ["components"]
        assert all(run_dir + "/components/" in f for f in cut.components.inputFiles())
    assert plan_lines(cut.components) <= 3
    assert cut.components.count() == 1000


def test_checkpoint_folders_while_running(spark, tmp_path, monkeypatch):
    seen = []
    original = cc._round

    def spy(df):
        folders = glob.glob(str(tmp_path / "components-*" / "*"))
        seen.append(sorted(os.path.basename(p) for p in folders))
        return original(df)

    monkeypatch.setattr(cc, "_round", spy)
    result = connected_components(chain(spark, 200, "long"), checkpoint_dir=str(tmp_path),
                                  checkpoint_every=2)
    assert result.iterations >= 6
    # only the newest round folder is kept; round 1 and 2 read no folder yet
    assert seen[:6] == [[], [], ["round-0002"], ["round-0002"], ["round-0004"], ["round-0004"]]
    assert [r.checkpointed for r in result.rounds[:4]] == [False, True, False, True]


@pytest.mark.parametrize("with_dir", [True, False])
def test_no_convergence_raises_a_typed_error(spark, tmp_path, with_dir):
    message = r"did not converge in 1 iteration \(max_iterations=1\)"
    with pytest.raises(ConvergenceError, match=message) as err:
        connected_components(chain(spark, 1000, "string"), max_iterations=1,
                             checkpoint_dir=str(tmp_path) if with_dir else None, checkpoint_every=1)
    assert err.value.iterations == 1 and isinstance(err.value, ThresherError)
    assert "raise max_iterations" in str(err.value)
    assert os.listdir(tmp_path) == []  # a failed run leaves no checkpoint behind
