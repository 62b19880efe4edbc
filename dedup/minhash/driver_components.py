"""Connected components on the driver: union-find over a collected edge set.

For candidate graphs small enough to collect (``minhash_dedup``'s
``driver_components_max_edges``, default 5,000,000 edges): one Spark job collects
the edges as Arrow, a numba union-find labels them, and the labels go back as a
DataFrame, instead of the ~log2(n) rounds of Spark jobs of Large-Star/Small-Star
(``components.py``). Same answer, exactly: every node is labelled with the
**smallest id** of its component (Spark's order: numbers numerically, strings by
their UTF-8 bytes, which is Arrow's order too), a null endpoint is no node
(``(a, null)`` keeps ``a``), and the labelling depends on the graph alone.

Driver memory: the edges arrive as two Arrow columns, about ``2 * edges * (id
bytes + 8)``: 80 MB for 5M edges of long ids, ~400 MB of 34-character content ids
(``spark.driver.maxResultSize``, 1 GB by default, must hold them). Ids must be
integers or strings (``driver_supported``); other types take the Spark path.

Example::

    edges = spark.createDataFrame([("b", "a"), ("c", "b"), ("x", "y")], ["src", "dst"])
    driver_components(edges).components.orderBy("node").collect()
    # (a, a) (b, a) (c, a) (x, x) (y, x)
"""
from __future__ import annotations

import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit
from pyspark.sql import DataFrame
from pyspark.sql.types import DataType, IntegralType, StringType, StructField, StructType

from thresher.dedup.minhash.components import COMPONENT, NODE, ComponentsResult, canonical_edges
from thresher.operators.errors import InputError

DEFAULT_MAX_EDGES = 5_000_000


def driver_supported(id_type: DataType) -> bool:
    """Whether ids of ``id_type`` sort on the driver as Spark sorts them."""
    return isinstance(id_type, (IntegralType, StringType))


@njit(cache=True, nogil=True)
def _union_find(a, b, n):
    """``root[v]``: the least node index of ``v``'s component (indices sorted like ids)."""
    parent = np.arange(n)
    for k in range(a.shape[0]):
        x, y = a[k], b[k]
        while parent[x] != x:  # path halving
            parent[x] = parent[parent[x]]
            x = parent[x]
        while parent[y] != y:
            parent[y] = parent[parent[y]]
            y = parent[y]
        if x < y:  # the larger root goes under the smaller: a root is its set's minimum
            parent[y] = x
        elif y < x:
            parent[x] = y
    for v in range(n):  # parent[v] <= v, so parent[parent[v]] is already a root
        parent[v] = parent[parent[v]]
    return parent


def label_arrays(src: pa.Array | pa.ChunkedArray,
                 dst: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """``(nodes, components)`` of the edges ``src[i] - dst[i]``: every node once, in
    ascending order, with the smallest node of its component."""
    src = src.combine_chunks() if isinstance(src, pa.ChunkedArray) else src
    dst = dst.combine_chunks() if isinstance(dst, pa.ChunkedArray) else dst
    if src.type != dst.type:
        raise InputError(f"driver components: src is {src.type} but dst is {dst.type}")
    lo, hi = pc.coalesce(src, dst), pc.coalesce(dst, src)  # (a, null) is a's self-loop
    present = pc.is_valid(lo)
    lo, hi = lo.filter(present), hi.filter(present)
    both = pa.concat_arrays([lo, hi])
    nodes = pc.unique(both)
    nodes = nodes.take(pc.array_sort_indices(nodes))
    codes = pc.index_in(both, value_set=nodes).to_numpy().astype(np.int64)
    root = _union_find(codes[:len(lo)], codes[len(lo):], len(nodes))
    return nodes, nodes.take(pa.array(root))


def driver_components(edges: DataFrame, *, src: str = "src", dst: str = "dst") -> ComponentsResult:
    """``connected_components(edges)``'s answer, computed on the driver (one Spark job
    to collect; ``iterations`` 0). Ids must be integers or strings."""
    start = time.perf_counter()
    canonical = canonical_edges(edges, src, dst)  # the Spark path's checks and null rules
    id_type = canonical.schema.fields[0].dataType
    if not driver_supported(id_type):
        raise InputError(f"driver components: node ids must be integers or strings, got "
                         f"{id_type.simpleString()}; use connected_components")
    table = canonical.toArrow()
    nodes, labels = label_arrays(table.column(0), table.column(1))
    schema = StructType([StructField(NODE, id_type, True), StructField(COMPONENT, id_type, True)])
    out = pa.table({NODE: nodes, COMPONENT: labels})
    components = edges.sparkSession.createDataFrame(out, schema=schema)
    roots = int(pc.sum(pc.equal(nodes, labels)).as_py() or 0)
    return ComponentsResult(components=components, iterations=0, converged=True,
                            nodes=len(nodes), num_components=roots, rounds=(),
                            seconds=round(time.perf_counter() - start, 3))
