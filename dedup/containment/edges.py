"""One row of ``edges.parquet``: a candidate pair, the stage that decided it, and why.

``verdict`` is ``contained``, ``not_contained``, ``probable`` (survived the sample
test, not verified: ``verify="sample"``) or ``error`` (a table could not be read
in the content stage). ``contained`` is True or False for decided pairs and null
for probable and error ones. ``decided_at``: ``schema`` | ``stats`` | ``content`` |
``verified``. ``rule`` names the deciding rule and ``evidence`` (JSON) holds its
values or the sample row that was missing. Example::

    Edge.decided("/lake/a", "/lake/b", ["id"], "stats", {"rule": "min", "column": "id", ...})
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pyarrow as pa

DECIDED_AT = ("schema", "stats", "content", "verified")
VERDICTS = ("contained", "not_contained", "probable", "error")

EDGE_SCHEMA = pa.schema([
    pa.field("child", pa.string(), nullable=False),
    pa.field("parent", pa.string(), nullable=False),
    pa.field("columns", pa.list_(pa.string()), nullable=False),
    pa.field("contained", pa.bool_()),
    pa.field("verdict", pa.string(), nullable=False),
    pa.field("decided_at", pa.string(), nullable=False),
    pa.field("rule", pa.string()),
    pa.field("evidence", pa.string()),
])


@dataclass
class Edge:
    child: str
    parent: str
    columns: list[str]
    verdict: str
    decided_at: str
    rule: str | None = None
    evidence: dict = field(default_factory=dict)

    @classmethod
    def decided(cls, child: str, parent: str, columns: list[str], decided_at: str,
                evidence: dict, *, verdict: str = "not_contained") -> Edge:
        """An edge settled at ``decided_at`` by ``evidence`` (which names its rule)."""
        if decided_at not in DECIDED_AT or verdict not in VERDICTS:
            raise ValueError(f"decided_at must be one of {DECIDED_AT} and verdict one of "
                             f"{VERDICTS}, got {decided_at!r} and {verdict!r}")
        return cls(child, parent, list(columns), verdict, decided_at, evidence.get("rule"), evidence)

    @property
    def contained(self) -> bool | None:
        return {"contained": True, "not_contained": False}.get(self.verdict)


def edges_table(edges: list[Edge]) -> pa.Table:
    """``edges`` as an Arrow table with EDGE_SCHEMA, sorted by (child, parent)."""
    edges = sorted(edges, key=lambda e: (e.child, e.parent))
    return pa.Table.from_pydict({
        "child": [e.child for e in edges],
        "parent": [e.parent for e in edges],
        "columns": [e.columns for e in edges],
        "contained": [e.contained for e in edges],
        "verdict": [e.verdict for e in edges],
        "decided_at": [e.decided_at for e in edges],
        "rule": [e.rule for e in edges],
        "evidence": [json.dumps(e.evidence, sort_keys=True, default=str) if e.evidence else None
                     for e in edges],
    }, schema=EDGE_SCHEMA)
