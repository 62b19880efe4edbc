"""The deletion planner: optimal on small instances (brute force), valid, bounded, greedy."""
from __future__ import annotations

import itertools
import random

import pytest

from thresher.dedup.containment.plan import PlanConfig, PlanTable, plan_cost, plan_deletions

RATE = 1e8  # bytes a second: 1 GB scans in 10 s


def _valid(deleted, tables, edges, cfg):
    for t, p in deleted.items():
        if (t, p) not in edges:
            return False
        if not cfg.allow_chains and p in deleted:
            return False
    seen_cycle = False
    for t in deleted:  # chains must end at a kept table
        path, cur = set(), t
        while cur in deleted:
            if cur in path:
                seen_cycle = True
                break
            path.add(cur)
            cur = deleted[cur]
    if seen_cycle:
        return False
    if cfg.max_rebuild_seconds is not None:
        for t in deleted:
            secs, cur = 0.0, t
            while cur in deleted:
                secs += tables[deleted[cur]].bytes / RATE
                cur = deleted[cur]
            if secs > cfg.max_rebuild_seconds + 1e-9:
                return False
    return True


def _brute(tables, edges, cfg):
    options = {t: [None] + [p for c, p in edges if c == t] for t in tables}
    best = None
    names = sorted(tables)
    for choice in itertools.product(*(options[t] for t in names)):
        deleted = {t: p for t, p in zip(names, choice) if p is not None}
        if _valid(deleted, tables, set(edges), cfg):
            cost = plan_cost(tables, deleted, scan_rate=RATE, config=cfg)
            best = cost if best is None else min(best, cost)
    return best


def _instance(seed):
    rng = random.Random(seed)
    names = [f"t{i}" for i in range(rng.randint(3, 6))]
    tables = {n: PlanTable(bytes=rng.choice([1, 5, 20, 80]) * 10**9,
                           reads_per_month=rng.choice([0.0, 1.0, 30.0, 500.0])) for n in names}
    edges = sorted({(a, b) for a in names for b in names if a != b and rng.random() < 0.4})
    return tables, edges


@pytest.mark.parametrize("chains", [False, True])
@pytest.mark.parametrize("limit", [None, 300.0])
def test_milp_is_optimal_on_small_instances(chains, limit):
    cfg = PlanConfig(allow_chains=chains, max_rebuild_seconds=limit)
    for seed in range(25):
        tables, edges = _instance(seed)
        plan = plan_deletions(tables, edges, scan_rate=RATE, config=cfg)
        assert _valid(plan.deleted, tables, set(edges), cfg), (seed, plan)
        assert plan.cost_after == pytest.approx(_brute(tables, edges, cfg), rel=1e-6, abs=1e-9), seed
        assert plan.solver in ("milp", "none")


def test_known_optimum():
    # big parent read often: keep it; two small children rarely read: delete both from it
    tables = {"base": PlanTable(100 * 10**9, 1000.0), "a": PlanTable(40 * 10**9, 0.1),
              "b": PlanTable(30 * 10**9, 0.1), "hot": PlanTable(10 * 10**9, 10_000.0)}
    edges = [("a", "base"), ("b", "base"), ("b", "a"), ("hot", "base")]
    plan = plan_deletions(tables, edges, scan_rate=RATE, config=PlanConfig())
    assert plan.deleted == {"a": "base", "b": "base"}     # hot: rebuilding costs more than storing
    assert plan.rebuild_seconds == {"a": 1000.0, "b": 1000.0}
    assert plan.cost_after < plan.cost_before
    # a 500 s bound forbids scanning the 100 GB base; b can still come from a (40 GB, 400 s)
    bounded = plan_deletions(tables, edges, scan_rate=RATE, config=PlanConfig(max_rebuild_seconds=500))
    assert bounded.deleted == {"b": "a"}


def test_chains_only_when_allowed():
    tables = {"c": PlanTable(50 * 10**9, 0.0), "b": PlanTable(60 * 10**9, 0.0),
              "a": PlanTable(70 * 10**9, 0.0)}
    edges = [("c", "b"), ("b", "a")]   # c -> a unknown: only a chain reaches a
    flat = plan_deletions(tables, edges, scan_rate=RATE, config=PlanConfig())
    assert flat.deleted == {"b": "a"}
    chained = plan_deletions(tables, edges, scan_rate=RATE, config=PlanConfig(allow_chains=True))
    assert chained.deleted == {"c": "b", "b": "a"}
    assert chained.rebuild_seconds["c"] == pytest.approx(600 + 700)


def test_equal_tables_keep_one():
    tables = {"x": PlanTable(10**9, 0.0), "y": PlanTable(10**9, 0.0)}
    plan = plan_deletions(tables, [("x", "y"), ("y", "x")], scan_rate=RATE,
                          config=PlanConfig(allow_chains=True))
    assert len(plan.deleted) == 1


def test_greedy_above_the_size_limit_is_valid_and_no_worse_than_nothing():
    cfg = PlanConfig(milp_max_edges=0)
    for seed in range(25):
        tables, edges = _instance(seed)
        plan = plan_deletions(tables, edges, scan_rate=RATE, config=cfg)
        assert plan.solver in ("greedy", "none")
        assert _valid(plan.deleted, tables, set(edges), cfg)
        assert plan.cost_after <= plan.cost_before
        assert plan.cost_after >= _brute(tables, edges, cfg) - 1e-9
