"""Connected components of the LSH candidate graph: alternating Large-Star / Small-Star.

Kiveris et al., "Connected Components in MapReduce and Beyond" (SoCC 2014), in
Spark DataFrame operations only (windows, ``inline``, ``groupBy``; no Python UDF,
nothing collected to the driver). Every node gets the **smallest id** of its
component, so the labelling depends on the graph alone, never on partitioning or
edge order (text-dedup's Spark script kept a different copy from run to run).

Example::

    edges = spark.createDataFrame([("b", "a"), ("c", "b"), ("x", "y")], ["src", "dst"])
    res = connected_components(edges)
    res.components.orderBy("node").collect()
    # (a, a) (b, a) (c, a) (x, x) (y, x);  res.num_components == 2, res.iterations == 2

State: the undirected edge set as ``(lo, hi)`` with ``lo < hi``, deduplicated.
One round (``m(u) = min(u, neighbours of u)``):

* Large-Star: every node ``u`` links each neighbour ``v > u`` to ``m(u)``. One
  window partitioned by node over both directions of every edge.
* Small-Star: every node ``u`` links itself and its neighbours ``v < u`` to
  ``m'(u)`` (the min over those). One window partitioned by ``hi``.
* Deduplicate with ``groupBy(lo, hi)``. So 3 shuffles per round, of about 2|E|, |E|
  and |E| rows (the dedup shuffle after map-side partial aggregation).

Convergence: each output edge carries ``changed``: Large-Star relinked it
(``m(u) < u``) or Small-Star made it (``v != m'(u)``). ``changed == 0`` holds iff
the round's input was already a set of stars centred on their minimum (every
node with a larger neighbour has no smaller one, every node has at most one
smaller neighbour), i.e. the fixpoint; the round then returned its input. The
count comes from the same Spark job that materialises the round, so one job per
round, plus one round to confirm the fixpoint. The paper bounds rounds by O(log² n).

Lineage: a round's output is persisted (its input unpersisted once it is built),
and every ``checkpoint_every`` rounds the plan is cut. With ``checkpoint_dir`` the
edges are written as Parquet under ``checkpoint_dir/components-<run>/round-NNNN``
and read back: no global state (``SparkContext.setCheckpointDir`` is one directory
for the whole application, and reliable-checkpoint files are never cleaned up),
works on any Hadoop filesystem, survives executor loss, and the previous round's
folder is deleted as soon as the new one is read back. Without it,
``localCheckpoint()`` (executor storage, serialised, released by Spark's context
cleaner once unreferenced; not fault tolerant).

Nodes: every id in ``src`` or ``dst``. A self-loop keeps its node (alone, if it has
no other edge); a null endpoint is no node, so ``(a, null)`` counts as a self-loop
of ``a`` and ``(null, null)`` is ignored.

Skew: all edges of one node meet in one task (one window partition). A hub of
millions of near-duplicates is fine (the window spills); billions would need a
salted or broadcast hub path, as GraphFrames' skewed join does.
"""
from __future__ import annotations

import posixpath
import time
import uuid
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, Observation, Window
from pyspark.sql import functions as F
from pyspark.sql.types import AtomicType

from thresher.dedup.minhash.stages import release_dataframe
from thresher.operators.errors import ConvergenceError, InputError
from thresher.operators.io.fs import get_fs

__all__ = ["COMPONENT", "NODE", "ComponentsResult", "RoundStats", "connected_components"]

NODE, COMPONENT = "node", "component"
_LO, _HI, _CHANGED = "_cc_lo", "_cc_hi", "_cc_changed"
_NODE, _NBR, _MIN, _MAX, _MIN2 = "_cc_node", "_cc_nbr", "_cc_min", "_cc_max", "_cc_min2"


@dataclass(frozen=True)
class RoundStats:
    """One Large-Star + Small-Star round."""

    iteration: int     # 1-based
    edges: int         # distinct edges after the round
    changed: int       # of those, edges the round made or relinked (0: converged)
    seconds: float     # wall time of the round's Spark job (driver clock)
    checkpointed: bool  # lineage cut after this round


@dataclass(frozen=True)
class ComponentsResult:
    """``components``: ``(node, component)``, one row per node, materialised.

    ``component`` is the smallest node id of the node's connected component.
    ``converged`` is always True here (non-convergence raises ``ConvergenceError``);
    ``iterations`` counts every round, the confirming one included.
    ``checkpoint_path``: the run's folder under ``checkpoint_dir`` (``components``
    reads from it: keep it while you use the DataFrame), else None.
    """

    components: DataFrame
    iterations: int
    converged: bool
    nodes: int
    num_components: int
    rounds: tuple[RoundStats, ...]
    seconds: float
    checkpoint_path: str | None = None


def canonical_edges(edges: DataFrame, src: str, dst: str) -> DataFrame:
    """The input as canonical ``(lo, hi)``, ``lo <= hi`` (duplicates are fine: rounds dedup)."""
    for name in (src, dst):
        if name not in edges.columns:
            raise InputError(f"connected_components: no column {name!r} in edges "
                             f"(columns: {', '.join(edges.columns)})")
    types = {f.name: f.dataType for f in edges.schema.fields}
    if types[src] != types[dst]:
        raise InputError(f"connected_components: {src!r} is {types[src].simpleString()} but "
                         f"{dst!r} is {types[dst].simpleString()}; cast both to one type")
    if not isinstance(types[src], AtomicType):
        raise InputError(f"connected_components: node ids must be an orderable scalar type "
                         f"(string, long, ...), got {types[src].simpleString()}")
    s, d = F.col(src), F.col(dst)
    # least/greatest skip nulls: (a, null) becomes the self-loop (a, a), (null, null) stays null.
    return (edges.select(F.least(s, d).alias(_LO), F.greatest(s, d).alias(_HI))
            .where(F.col(_LO).isNotNull()))


def _round(edges: DataFrame) -> DataFrame:
    """One Large-Star then Small-Star round over ``(lo, hi)``: ``(lo, hi, changed)``, distinct."""
    lo, hi, node, nbr = F.col(_LO), F.col(_HI), F.col(_NODE), F.col(_NBR)
    both = edges.select(F.inline(F.array(F.struct(lo.alias(_NODE), hi.alias(_NBR)),
                                         F.struct(hi.alias(_NODE), lo.alias(_NBR)))))
    by_node = Window.partitionBy(_NODE)
    both = both.select(node, nbr, F.min(nbr).over(by_node).alias(_MIN),
                       F.max(nbr).over(by_node).alias(_MAX))
    mn, mx = F.col(_MIN), F.col(_MAX)
    # Large-Star emits (m(u), v) for v > u. A node whose only edges are self-loops has no
    # such v: it re-emits its self-loop, else it would vanish from the graph.
    isolated = (mn == node) & (mx == node)
    large = both.where((nbr > node) | isolated).select(
        F.least(node, mn).alias(_LO), nbr.alias(_HI), (mn < node).alias(_CHANGED))

    m2 = F.col(_MIN2)
    small = large.select(lo, hi, F.col(_CHANGED), F.min(lo).over(Window.partitionBy(_HI)).alias(_MIN2))
    # Small-Star at u = hi: (m'(u), v) for each smaller neighbour v != m'(u), and (m'(u), u),
    # which inherits Large-Star's flag so that flag reaches the convergence count.
    emitted = small.select(F.inline(F.array_compact(F.array(
        F.when(lo != m2, F.struct(m2.alias(_LO), lo.alias(_HI), F.lit(True).alias(_CHANGED))),
        F.struct(m2.alias(_LO), hi.alias(_HI), F.col(_CHANGED).alias(_CHANGED))))))
    return emitted.groupBy(_LO, _HI).agg(F.max(_CHANGED).alias(_CHANGED))


def _labels(edges: DataFrame) -> DataFrame:
    """``(node, component)`` of a converged edge set (stars ``(centre, leaf)``, centre minimal)."""
    lo, hi = F.col(_LO), F.col(_HI)
    pairs = edges.select(F.inline(F.array(F.struct(hi.alias(NODE), lo.alias(COMPONENT)),
                                          F.struct(lo.alias(NODE), lo.alias(COMPONENT)))))
    return pairs.groupBy(NODE).agg(F.min(COMPONENT).alias(COMPONENT))


class _Store:
    """Materialises DataFrames: persisted, or cut (Parquet under ``run_dir``, else local)."""

    def __init__(self, spark, checkpoint_dir: str | None):
        self.spark, self.fs, self.run_dir = spark, None, None
        if checkpoint_dir is not None:
            self.fs, root = get_fs(checkpoint_dir, spark)
            self.run_dir = posixpath.join(root, f"components-{uuid.uuid4().hex[:12]}")
        self.cached: list[DataFrame] = []
        self.folders: list[str] = []
        self.local: list[DataFrame] = []  # local checkpoints, freed like folders

    def persist(self, df: DataFrame, metrics: list[Column]) -> tuple[DataFrame, dict]:
        df = df.persist()
        self.cached.append(df)
        # An aggregate over the cached plan builds every cached partition in the same job.
        return df, df.agg(*metrics).first().asDict()

    def cut(self, df: DataFrame, metrics: list[Column], name: str) -> tuple[DataFrame, dict]:
        obs = Observation()  # metrics computed by the very job that writes the data
        observed = df.observe(obs, *metrics)
        if self.run_dir is None:
            out = observed.localCheckpoint(eager=True, storageLevel=StorageLevel.MEMORY_AND_DISK)
            self.local.append(out)
        else:
            path = posixpath.join(self.run_dir, name)
            observed.write.parquet(self.fs.spark_path(path))
            out = self.spark.read.parquet(self.fs.spark_path(path))
            self.folders.append(path)
        return out, obs.get

    def release(self, keep: DataFrame) -> None:
        """Drop every cache and checkpoint folder that ``keep`` no longer needs.

        ``keep`` is the newest materialised DataFrame: a cache whose lineage (for
        recomputation after a lost block) reads the newest folder, or that folder.
        """
        for df in self.cached:
            if df is not keep:
                df.unpersist()
        self.cached = [df for df in self.cached if df is keep]
        for path in self.folders[:-1]:
            self.fs.delete(path)
        self.folders = self.folders[-1:]
        for df in self.local[:-1]:  # unpersist() alone leaves a local checkpoint's blocks
            release_dataframe(df)
        self.local = self.local[-1:]

    def discard(self) -> None:
        """After a failure: drop every cache and this run's whole folder."""
        for df in self.cached:
            df.unpersist()
        for df in self.local:
            release_dataframe(df)
        self.cached, self.folders, self.local = [], [], []
        if self.run_dir is not None and self.fs.exists(self.run_dir):
            self.fs.delete(self.run_dir)


def connected_components(edges: DataFrame, *, src: str = "src", dst: str = "dst",
                         checkpoint_dir: str | None = None, checkpoint_every: int = 2,
                         max_iterations: int = 100) -> ComponentsResult:
    """Label every node of ``edges`` with the smallest node id of its connected component.

    ``edges[src]`` and ``edges[dst]`` hold node ids of one orderable type (string or
    integer ids); self-loops and duplicate or reversed edges are fine. Runs one Spark
    job per round; cuts lineage every ``checkpoint_every`` rounds (Parquet under
    ``checkpoint_dir`` if given, else ``localCheckpoint``). Raises ``ConvergenceError``
    if the graph is not settled after ``max_iterations`` rounds.

    Example::

        res = connected_components(candidate_pairs, src="id_a", dst="id_b")
        res.components            # DataFrame[node, component]
    """
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
    if max_iterations < 1:
        raise ValueError(f"max_iterations must be >= 1, got {max_iterations}")
    current = canonical_edges(edges, src, dst)
    store = _Store(edges.sparkSession, checkpoint_dir)
    edge_metrics = [F.count(F.lit(1)).alias("edges"),
                    F.coalesce(F.sum(F.col(_CHANGED).cast("long")), F.lit(0)).alias("changed")]
    rounds: list[RoundStats] = []
    start = time.perf_counter()
    try:
        for it in range(1, max_iterations + 1):
            t0 = time.perf_counter()
            cut = it % checkpoint_every == 0
            nxt = _round(current)
            if cut:
                nxt, m = store.cut(nxt, edge_metrics, f"round-{it:04d}")
            else:
                nxt, m = store.persist(nxt, edge_metrics)
            store.release(keep=nxt)  # the new edges are built: earlier rounds are not needed
            current = nxt
            rounds.append(RoundStats(it, int(m["edges"]), int(m["changed"]),
                                     round(time.perf_counter() - t0, 3), cut))
            if m["changed"] == 0:
                break
        else:
            last = rounds[-1]
            raise ConvergenceError(
                f"connected_components did not converge in {len(rounds)} iteration"
                f"{'s' if len(rounds) != 1 else ''} (max_iterations={max_iterations}): the last "
                f"round still changed {last.changed:,} of {last.edges:,} edges; raise max_iterations",
                iterations=len(rounds))
        labels, m = store.cut(_labels(current), [
            F.count(F.lit(1)).alias("nodes"),
            F.coalesce(F.sum((F.col(NODE) == F.col(COMPONENT)).cast("long")), F.lit(0)).alias("roots"),
        ], "components")
        store.release(keep=labels)
    except BaseException:
        store.discard()
        raise
    return ComponentsResult(components=labels, iterations=len(rounds), converged=True,
                            nodes=int(m["nodes"]), num_components=int(m["roots"]),
                            rounds=tuple(rounds), seconds=round(time.perf_counter() - start, 3),
                            checkpoint_path=store.run_dir)
