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
(``spark.driver.maxResultSize``, 1 GB by default, must hold them: ``fits_driver``
measures the edges' bytes and sends a set over 80% of it to the Spark path, instead
of a collect that fails). Ids must be integers or strings (``driver_supported``);
other types take the Spark path.

Example::

    edges = spark.createDataFrame([("b", "a"), ("c", "b"), ("x", "y")], ["src", "dst"])
    driver_components(edges).components.orderBy("node").collect()
    # (a, a) (b, a) (c, a) (x, x) (y, x)
"""
from __future__ import annotations

import re
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DataType, IntegralType, StringType, StructField, StructType

from thresher.dedup.minhash.components import COMPONENT, NODE, ComponentsResult, canonical_edges
from thresher.operators.errors import InputError

DEFAULT_MAX_EDGES = 5_000_000
RESULT_SIZE_SHARE = 0.8  # of spark.driver.maxResultSize: room for Arrow's framing
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_SIZE = re.compile(r"^\s*(\d+)\s*([kmgtp]?)b?\s*$", re.IGNORECASE)


def parse_bytes(text: str) -> int | None:
    """Bytes of a Spark size setting ("1g", "512m", "2048k", "1073741824"; Spark's
    byte units are powers of 2); None if it is not one."""
    match = _SIZE.match(str(text))
    return int(match.group(1)) * _UNITS[match.group(2).lower()] if match else None


def max_result_bytes(spark) -> int | None:
    """``spark.driver.maxResultSize`` in bytes (1 GB unless set); None for unlimited
    (0) or unreadable (a Connect server may not say)."""
    try:
        value = spark.conf.get("spark.driver.maxResultSize", "1g")
    except Exception:  # noqa: BLE001 - a Connect server may refuse to show a static conf
        return parse_bytes("1g")
    size = parse_bytes(value)
    return size or None


def fits_driver(edges: DataFrame, max_edges: int, *, src: str = "src",
                dst: str = "dst") -> tuple[bool, int, int]:
    """``(fits, edges, bytes)``: whether ``edges`` may be labelled on the driver: at most
    ``max_edges`` of them, and their collected bytes (8 per number or string offset,
    plus a string's UTF-8 bytes) within ``RESULT_SIZE_SHARE`` of maxResultSize. One
    Spark job (edges should be materialised: it reads them once)."""
    id_type = edges.schema[src].dataType
    if isinstance(id_type, StringType):
        length = [F.coalesce(F.octet_length(c), F.lit(0)) for c in (src, dst)]
        payload = F.coalesce(F.sum(length[0] + length[1]), F.lit(0))
    else:
        payload = F.lit(0)
    row = edges.agg(F.count(F.lit(1)).alias("n"), payload.alias("b")).first()
    count = int(row["n"])
    size = 16 * count + int(row["b"])
    budget = max_result_bytes(edges.sparkSession)
    fits = count <= max_edges and (budget is None or size <= RESULT_SIZE_SHARE * budget)
    return fits, count, size


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
