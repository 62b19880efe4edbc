"""Exact verification of many pairs at once: one scan per table, a group-by on row values.

Each table is read once (shared_scan.py) and emits, for every projection it is needed on,
its rows as ``row_key`` strings (canonical.py: equal exactly when the canonical values
are equal). Grouped by (projection, row key), every row value gets the set of tables
holding it (with ``multiset``, each table's count of it). A child misses its parent on
a row when the child is in the set and the parent is not (has fewer copies); a pair is
contained when it has no miss. This is an anti-join on full canonical values, with
null-safe equality, NaN equal to NaN and -0.0 to 0.0 (canonical.py), organised so that
a parent with many children is read and shuffled once per projection rather than once
per pair; no hash takes part in the verdict.

Example::

    misses = exact_misses(frames, [("/lake/a", "/lake/b")], multiset=False, families=fams)
    misses.get(("/lake/a", "/lake/b"))     # None: contained; else (rows missing, a row's JSON)
"""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .canonical import ExpressionCache
from .frames import Frames
from .shared_scan import Pair, PassPlan, shuffled_union

_MISS = "array<struct<c: int, P: int>>"


def _emit(frames: Frames, plan: PassPlan, table: str, tid: int, exprs: ExpressionCache) -> DataFrame:
    """(t, p, v): ``table``'s rows as row keys on each projection it is needed on."""
    df, names, _ = frames.get(table)
    keyed = [F.struct(F.lit(tid).alias("t"), F.lit(pid).alias("p"),
                      exprs.row_key(df, {k: names[k] for k in plan.projections[pid]}).alias("v"))
             for pid in plan.needs[table]]
    return df.select(F.inline(F.array(*keyed)))  # one select: each costs Spark an analysis


def _groups(rows: DataFrame, multiset: bool) -> DataFrame:
    """(p, v, m): m the ids of the tables holding row v on projection p (multiset: a map
    id -> copies)."""
    if not multiset:
        return rows.groupBy("p", "v").agg(F.collect_set("t").alias("m"))
    counted = rows.groupBy("p", "v", "t").agg(F.count(F.lit(1)).alias("n"))
    return counted.groupBy("p", "v").agg(F.map_from_entries(F.collect_list(F.struct("t", "n"))).alias("m"))


def _misses(index, multiset: bool):
    """Per group, the (child, parent) pairs that miss its row: children in the group on
    their own projection whose parent is not (has fewer copies)."""
    def per_child(c):
        info = F.element_at(index, c + 1)
        if multiset:
            lacking = F.filter(info["ps"], lambda p: F.coalesce(F.try_element_at(F.col("m"), p), F.lit(0))
                               < F.try_element_at(F.col("m"), c))
        else:
            lacking = F.array_except(info["ps"], F.col("m"))
        own = info.isNotNull() & (info["p"] == F.col("p"))
        pairs = F.transform(lacking, lambda p: F.struct(c.alias("c"), p.alias("P")))
        return F.when(own, pairs).otherwise(F.array().cast(_MISS))
    members = F.map_keys(F.col("m")) if multiset else F.col("m")
    return F.flatten(F.transform(members, per_child))


def exact_misses(frames: Frames, pairs: list[Pair], *, multiset: bool,
                 families: dict[str, dict[str, str]]) -> dict[Pair, tuple[int, str]]:
    """For each pair of ``pairs`` that is not contained: (distinct child rows the parent
    lacks, or has too few copies of, the smallest of them as row-key JSON). One Spark job."""
    plan = PassPlan.build(pairs, families)
    exprs = ExpressionCache()
    rows = shuffled_union([_emit(frames, plan, t, i, exprs) for i, t in enumerate(plan.names)], ["p", "v"])
    groups = _groups(rows, multiset)
    found = groups.select("v", F.explode(_misses(plan.pair_index(), multiset)).alias("x")) \
        .groupBy("x.c", "x.P").agg(F.count(F.lit(1)).alias("n"), F.min("v").alias("v")).collect()
    return {(plan.names[r["c"]], plan.names[r["P"]]): (r["n"], r["v"]) for r in found}
