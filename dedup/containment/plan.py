"""The deletion planner: which contained tables to delete, and from which parent to
rebuild each, at least cost. Advice only: nothing is deleted or moved.

Cost per month = storage of the tables kept + for each deleted table its reads a
month x the seconds to rebuild it x the price of a compute second. Rebuilding
scans the parent (its bytes / a scan rate); with ``allow_chains`` the parent may
itself be deleted and rebuilt first (times add up). Every rebuild must fit
``max_rebuild_seconds``.

Solved exactly as an integer program (``scipy.optimize.milp``): a binary y(t,p)
per contained edge (delete t, rebuild it from p), a continuous r(t) per table
(its rebuild seconds)::

    min   sum_t reads_t * price_s * r_t  -  sum_(t,p) storage_t * y(t,p)
    s.t.  sum_p y(t,p) <= 1                                      (one parent)
          no chains:  y(t,p) + sum_q y(p,q) <= 1                 (parent kept)
                      r_t >= sum_p secs(t,p) * y(t,p)
          chains:     r_t >= secs(t,p) + r_p - M (1 - y(t,p))    (also rules out cycles)
          0 <= r_t <= max_rebuild_seconds

Above ``milp_max_edges`` edges (or if the solver gives up) a greedy takes edges by
net saving, never chaining. Example::

    plan = plan_deletions({"a": PlanTable(10**9, 1.0), "b": PlanTable(2 * 10**9, 0.0)},
                          [("a", "b")], scan_rate=1e8, config=PlanConfig())
    plan.deleted        # {'a': 'b'}
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

GB = 1e9


class PlanConfig(BaseModel):
    """Prices and bounds of the deletion plan (frozen; unknown keys rejected)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_rebuild_seconds: float | None = Field(None, gt=0, description="Longest acceptable rebuild.")
    allow_chains: bool = Field(False, description="A deleted table may be rebuilt from a "
                               "deleted parent (rebuilt first).")
    storage_cost_gb_month: float = Field(0.023, ge=0, description="Price of storing 1 GB a month.")
    compute_cost_hour: float = Field(2.0, ge=0, description="Price of an hour of the rebuild "
                                     "cluster.")
    scan_bytes_per_second: float | None = Field(None, gt=0, description="Scan rate for rebuild "
                                                "times; default: the one measured in the run.")
    milp_max_edges: int = Field(5000, ge=0, description="Above this many edges, plan greedily.")
    time_limit_seconds: float = Field(60.0, gt=0, description="Time limit of the exact solver.")


@dataclass(frozen=True)
class PlanTable:
    bytes: int
    reads_per_month: float


@dataclass
class Plan:
    deleted: dict[str, str] = field(default_factory=dict)           # table -> parent
    rebuild_seconds: dict[str, float] = field(default_factory=dict)  # along its chain
    solver: str = "none"
    cost_before: float = 0.0  # a month, everything kept
    cost_after: float = 0.0


def _secs(parent: PlanTable, rate: float) -> float:
    return max(parent.bytes / rate, 1e-6)  # > 0: the chain constraints rule out cycles


def _storage(t: PlanTable, cfg: PlanConfig) -> float:
    return t.bytes / GB * cfg.storage_cost_gb_month


def _chain_seconds(t: str, deleted: dict[str, str], tables, rate: float) -> float:
    total, seen = 0.0, set()
    while t in deleted and t not in seen:
        seen.add(t)
        total += _secs(tables[deleted[t]], rate)
        t = deleted[t]
    return total


def plan_cost(tables: dict[str, PlanTable], deleted: dict[str, str], *, scan_rate: float,
              config: PlanConfig) -> float:
    """Monthly cost of keeping every table but ``deleted`` and rebuilding those on each read."""
    price_s = config.compute_cost_hour / 3600
    cost = 0.0
    for name, t in tables.items():
        if name in deleted:
            cost += t.reads_per_month * price_s * _chain_seconds(name, deleted, tables, scan_rate)
        else:
            cost += _storage(t, config)
    return cost


def _usable(tables, edges, rate, cfg) -> list[tuple[str, str]]:
    limit = cfg.max_rebuild_seconds
    return sorted({(c, p) for c, p in edges if c != p and c in tables and p in tables
                   and (limit is None or _secs(tables[p], rate) <= limit)})


def _milp(tables, edges, rate, cfg) -> dict[str, str] | None:
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import lil_array

    children = sorted({c for c, _ in edges})
    ri = {t: len(edges) + i for i, t in enumerate(children)}  # r_t's column
    n = len(edges) + len(children)
    secs = [_secs(tables[p], rate) for _, p in edges]
    price_s = cfg.compute_cost_hour / 3600
    c = np.zeros(n)
    for i, (t, _) in enumerate(edges):
        c[i] = -_storage(tables[t], cfg)
    for t in children:
        c[ri[t]] = tables[t].reads_per_month * price_s
    rows, lo, hi = [], [], []

    def add(coefs: dict[int, float], lower: float, upper: float) -> None:
        rows.append(coefs)
        lo.append(lower)
        hi.append(upper)

    out_of = {t: [i for i, (c_, _) in enumerate(edges) if c_ == t] for t in children}
    for t in children:
        add({i: 1.0 for i in out_of[t]}, -np.inf, 1.0)
    big = 2 * sum(secs) + 1.0
    for i, (t, p) in enumerate(edges):
        if cfg.allow_chains:
            coefs = {ri[t]: 1.0, i: -big}
            if p in ri:
                coefs[ri[p]] = -1.0
            add(coefs, secs[i] - big, np.inf)
        elif p in out_of:
            coefs = {j: 1.0 for j in out_of[p]}
            coefs[i] = coefs.get(i, 0.0) + 1.0
            add(coefs, -np.inf, 1.0)
    if not cfg.allow_chains:
        for t in children:
            coefs = {ri[t]: 1.0}
            for i in out_of[t]:
                coefs[i] = -secs[i]
            add(coefs, 0.0, np.inf)
    a = lil_array((len(rows), n))
    for r, coefs in enumerate(rows):
        for j, v in coefs.items():
            a[r, j] = v
    r_max = cfg.max_rebuild_seconds if cfg.max_rebuild_seconds is not None else big
    upper = np.array([1.0] * len(edges) + [r_max] * len(children))
    integrality = np.array([1] * len(edges) + [0] * len(children))
    res = milp(c, integrality=integrality, bounds=Bounds(np.zeros(n), upper),
               constraints=[LinearConstraint(a.tocsr(), lo, hi)],
               options={"time_limit": cfg.time_limit_seconds})
    if res.x is None or res.status not in (0, 1):
        return None
    return {edges[i][0]: edges[i][1] for i in range(len(edges)) if res.x[i] > 0.5}


def _greedy(tables, edges, rate, cfg) -> dict[str, str]:
    """Edges by net saving, best first; a table is deleted only from a kept parent and
    only if no deleted table needs it (never chains)."""
    price_s = cfg.compute_cost_hour / 3600

    def saving(e):
        t, p = e
        return _storage(tables[t], cfg) - tables[t].reads_per_month * price_s * _secs(tables[p], rate)

    deleted: dict[str, str] = {}
    parents: set[str] = set()
    for t, p in sorted(edges, key=lambda e: (-saving(e), e)):
        if saving((t, p)) <= 0:
            break
        if t in deleted or t in parents or p in deleted:
            continue
        deleted[t] = p
        parents.add(p)
    return deleted


def plan_deletions(tables: dict[str, PlanTable], edges: list[tuple[str, str]], *,
                   scan_rate: float, config: PlanConfig) -> Plan:
    """The cheapest valid deletions (see the module docstring); ``edges`` are verified
    (child, parent) containments, ``scan_rate`` bytes a second."""
    if scan_rate <= 0:
        raise ValueError(f"scan_rate must be positive bytes per second, got {scan_rate}")
    usable = _usable(tables, edges, scan_rate, config)
    deleted, solver = None, "milp"
    if usable and len(usable) <= config.milp_max_edges:
        deleted = _milp(tables, usable, scan_rate, config)
    if deleted is None:
        deleted, solver = _greedy(tables, usable, scan_rate, config), "greedy"
    if not usable:
        solver = "none"
    before = plan_cost(tables, {}, scan_rate=scan_rate, config=config)
    after = plan_cost(tables, deleted, scan_rate=scan_rate, config=config)
    if after > before:  # the solver's tolerance cannot make advice worse than doing nothing
        deleted, after = {}, before
    return Plan(deleted=deleted, solver=solver, cost_before=before, cost_after=after,
                rebuild_seconds={t: _chain_seconds(t, deleted, tables, scan_rate) for t in deleted})
