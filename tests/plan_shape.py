"""Walk a DataFrame's physical plan: single-task bottlenecks and Python scorers.

A finding is a node that sends row data to one task: a ``Window`` with no partition
keys, or a shuffle to ``SinglePartition`` whose input is not a partial aggregate (a
global aggregate ships one row per task; that is bounded, row data is not). Cached
inputs are walked once each, so a scorer under a cache shared by several branches
counts once.
"""
from __future__ import annotations

from pyspark.sql import DataFrame

PYTHON_NODES = ("BatchEvalPython", "ArrowEvalPython", "MapInArrow", "MapInPandas",
                "PythonMapInArrow", "FlatMapGroupsInPandas", "FlatMapGroupsInArrow")
_AGGREGATES = ("HashAggregate", "ObjectHashAggregate", "SortAggregate")


def _children(node):
    kids = node.children()
    out = [kids.apply(i) for i in range(kids.size())]
    name = node.nodeName()
    if name == "AdaptiveSparkPlan":
        out.append(node.initialPlan())
    if name == "InMemoryTableScan":
        out.append(node.relation().cachedPlan())
    subs = node.subqueries()
    out += [subs.apply(i) for i in range(subs.size())]
    return out


def _is_partial_aggregate(node) -> bool:
    while node.nodeName() in ("AQEShuffleRead", "InputAdapter", "WholeStageCodegen"):
        node = node.children().apply(0)
    return node.nodeName() in _AGGREGATES and "partial_" in node.toString()


def inspect(df: DataFrame) -> tuple[list[str], dict[str, int]]:
    """(bottlenecks found, Python evaluation nodes by name) of ``df``'s physical plan."""
    root = df._jdf.queryExecution().executedPlan()
    problems: list[str] = []
    python: dict[str, int] = {}
    seen_caches: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        name = node.nodeName()
        if name == "InMemoryTableScan":
            key = node.relation().cacheBuilder().hashCode()
            if key in seen_caches:
                continue
            seen_caches.add(key)
        if name == "Window" and node.partitionSpec().isEmpty():
            problems.append(f"Window without partitioning: {node.simpleStringWithNodeId()}")
        if name == "Exchange" and node.outputPartitioning().toString() == "SinglePartition":
            if not _is_partial_aggregate(node.child()):
                problems.append(f"Exchange SinglePartition of rows: {node.child().nodeName()}")
        if any(name.startswith(p) for p in PYTHON_NODES):
            python[name] = python.get(name, 0) + 1
        stack.extend(_children(node))
    return problems, python
