"""What the content stage's passes share: each table scanned once for all of its pairs.

A pass (the sample test, the exact check) decides a list of (child, parent) pairs. It
numbers their tables and projections (a projection: a child's columns with their Spark
families; every parent of that child is read on it), and scans each table once, emitting
one row per table row and projection it is needed on: a child on its own columns, a
parent on each of its children's. Grouping those rows by (projection, row value) gives,
for every row value, the set of tables that hold it; a pair is decided from those sets
by an array indexed by table id (``pair_index``) that Spark holds as a constant, without
joining or copying rows per pair. So a table costs one read whatever its number of
pairs, where a pair-by-pair check reads both tables for every pair.

Scans of many tables run as one Spark job (a union, ``shuffled_union``): ``batches``
splits a pass into jobs of at most ``max_tables`` tables, packing whole connected
components of the pair graph, and a table in two jobs (only in a component bigger
than a job) is read twice. A job that fails (a data file Spark
cannot read to the end) is retried without the tables that fail alone (``run_isolated``).
Example::

    plan = PassPlan.build(pairs, families)   # families: child -> {key: Spark family}
    plan.needs["/lake/orders"]               # projection ids its one scan emits
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

Pair = tuple[str, str]
_TABLES_PER_STAGE = 32  # scans a shuffle stage holds (see shuffled_union)


@dataclass
class PassPlan:
    """Tables and projections of one pass, numbered (see the module docstring)."""

    names: list[str]                       # table id -> name
    projections: list[tuple[str, ...]]     # projection id -> the child's keys, sorted
    own: dict[str, int]                    # child -> the projection id of its own columns
    needs: dict[str, list[int]]            # table -> projection ids, ascending
    parents: dict[str, list[str]] = field(default_factory=dict)  # child -> its parents here

    @property
    def ids(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}

    @classmethod
    def build(cls, pairs: list[Pair], families: dict[str, dict[str, str]]) -> PassPlan:
        """``families``: each child's Spark family per key (its keys are its columns)."""
        names = sorted({t for pair in pairs for t in pair})
        proj_ids: dict[tuple, int] = {}
        own: dict[str, int] = {}
        needs: dict[str, set[int]] = {t: set() for t in names}
        parents: dict[str, list[str]] = {}
        for child, parent in sorted(pairs):
            keys = tuple(sorted(families[child]))
            # The families are part of the identity: rows of two tables meet in a group only
            # when their values were canonicalised from the same kinds of column.
            ident = tuple((k, families[child][k]) for k in keys)
            pid = proj_ids.setdefault(ident, len(proj_ids))
            own[child] = pid
            needs[child].add(pid)
            needs[parent].add(pid)
            parents.setdefault(child, []).append(parent)
        projections = [tuple(k for k, _ in ident) for ident in sorted(proj_ids, key=proj_ids.get)]
        return cls(names, projections, own, {t: sorted(p) for t, p in needs.items()}, parents)

    def pair_index(self, extra: dict[str, dict] | None = None, extra_type: str = "") -> Column:
        """A constant array indexed by table id + 1: for a child, ``struct(p, ps)`` (its
        projection id and its parents' ids) plus the fields in ``extra[child]``
        (``extra_type``: their Spark DDL, e.g. ``"cut bigint"``); null for other tables.
        Spark folds the parse into a literal once; an array, not a map, because a map
        lookup in Spark scans its keys."""
        ids = self.ids
        entries = [None] * len(self.names)
        for child, pid in self.own.items():
            entries[ids[child]] = {"p": pid, "ps": [ids[p] for p in self.parents[child]],
                                   **((extra or {}).get(child, {}))}
        ddl = "array<struct<p: int, ps: array<int>" + (f", {extra_type}" if extra_type else "") + ">>"
        return F.from_json(F.lit(json.dumps(entries)), ddl)


def union_all(frames: list[DataFrame]) -> DataFrame:
    """One union of ``frames`` (same columns), built as a balanced tree: a chain of
    ``union`` calls re-analyses an ever longer plan."""
    while len(frames) > 1:
        frames = [frames[i].union(frames[i + 1]) if i + 1 < len(frames) else frames[i]
                  for i in range(0, len(frames), 2)]
    return frames[0]


def shuffled_union(frames: list[DataFrame], keys: list[str]) -> DataFrame:
    """The union of ``frames``, hash-partitioned on ``keys``, ready to group by them.

    Every task of a Spark stage deserialises the whole stage's plan, so one stage over a
    union of n scans costs n plans per task and n^2 in all (2 s a task at 1,000 tables).
    So each ``_TABLES_PER_STAGE`` scans shuffle on ``keys`` in a stage of their own, and
    the union of those co-partitioned shuffles (Spark keeps their partitioning) is grouped
    without another exchange."""
    parts = [union_all(frames[i:i + _TABLES_PER_STAGE]).repartition(*keys)
             for i in range(0, len(frames), _TABLES_PER_STAGE)]
    return union_all(parts)


def _components(pairs: list[Pair]) -> list[list[Pair]]:
    """The pairs of each connected component of the pair graph (tables as nodes), largest
    first, then by their first pair: tables of two components never share a pair."""
    root: dict[str, str] = {}

    def find(t: str) -> str:
        root.setdefault(t, t)
        while root[t] != t:
            root[t] = root[root[t]]
            t = root[t]
        return t

    for child, parent in pairs:
        a, b = find(child), find(parent)
        if a != b:
            root[max(a, b)] = min(a, b)
    groups: dict[str, list[Pair]] = {}
    for pair in sorted(pairs):
        groups.setdefault(find(pair[0]), []).append(pair)
    return sorted(groups.values(), key=lambda g: (-len({t for p in g for t in p}), g[0]))


def _split(pairs: list[Pair], max_tables: int) -> list[list[Pair]]:
    """One component too big for a job: a parent's pairs together where they fit
    (children are the tables read twice when a parent's group is split)."""
    by_parent: dict[str, list[Pair]] = {}
    for child, parent in sorted(pairs):
        by_parent.setdefault(parent, []).append((child, parent))
    out: list[list[Pair]] = []
    current: list[Pair] = []
    tables: set[str] = set()
    for group in by_parent.values():
        for pair in group:
            new = set(pair) - tables
            if current and len(tables) + len(new) > max_tables:
                out.append(current)
                current, tables = [], set()
                new = set(pair)
            current.append(pair)
            tables |= new
    if current:
        out.append(current)
    return out


def batches(pairs: list[Pair], max_tables: int) -> list[list[Pair]]:
    """``pairs`` in jobs of at most ``max_tables`` tables each. Whole connected components
    are packed into jobs (first fit, largest first), so no table is read by two jobs
    unless its component alone holds more than ``max_tables`` tables; such a component
    is split keeping each parent with its children where they fit."""
    jobs: list[tuple[list[Pair], int]] = []  # (pairs, tables)
    out: list[list[Pair]] = []
    for comp in _components(pairs):
        size = len({t for p in comp for t in p})
        if size > max_tables:
            out += _split(comp, max_tables)
            continue
        for i, (held, n) in enumerate(jobs):
            if n + size <= max_tables:
                jobs[i] = (held + comp, n + size)
                break
        else:
            jobs.append((list(comp), size))
    return out + [held for held, _ in jobs]


def run_isolated(pairs: list[Pair], job: Callable[[list[Pair]], dict],
                 probe: Callable[[str], str | None]) -> tuple[dict, dict[str, str]]:
    """``job(pairs)``; when it fails, each of its tables is read alone (``probe``: why it
    cannot be read, or None) and the job runs again without the pairs of the bad ones.
    Returns the job's results and {bad table: reason}. A failure that no table explains
    alone is not a table's fault: it propagates."""
    try:
        return job(pairs), {}
    except Exception:
        bad = {t: reason for t in sorted({t for pair in pairs for t in pair}) if (reason := probe(t))}
        if not bad:
            raise
    rest = [(c, p) for c, p in pairs if c not in bad and p not in bad]
    if not rest:
        return {}, bad
    results, more = run_isolated(rest, job, probe)
    return results, bad | more
