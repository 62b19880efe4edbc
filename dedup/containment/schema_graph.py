"""Stage 1: the schema graph. A -> B is a candidate when every column of A is a column
of B (same lower-cased name, same type family).

No pair of schemas is compared one by one: an inverted index maps each column to
the set of tables holding it, kept as a bitmask (a Python int, one bit a table),
so A's parents are the AND of its columns' masks, a few machine words per column
and table. Pairs whose names match but whose types do not are returned apart,
with the first column that differs, as evidence. Example::

    graph = schema_candidates({"a": [Column("id", "int")],
                               "b": [Column("ID", "int"), Column("x", "string")]})
    graph.candidates     # [('a', 'b')]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .types import Column


@dataclass
class SchemaGraph:
    candidates: list[tuple[str, str]] = field(default_factory=list)  # (child, parent)
    mismatched: list[tuple[str, str, dict]] = field(default_factory=list)  # + evidence


def _members(mask: int, n: int) -> np.ndarray:
    """Indices of the set bits of ``mask`` (bit i = table i)."""
    raw = np.frombuffer(mask.to_bytes((n + 7) // 8, "little"), dtype=np.uint8)
    return np.flatnonzero(np.unpackbits(raw, bitorder="little")[:n])


def schema_candidates(tables: dict[str, list[Column]]) -> SchemaGraph:
    """Candidate edges (child, parent) over ``tables`` (name -> columns), sorted."""
    names = sorted(tables)
    n = len(names)
    by_name: dict[str, int] = {}
    by_type: dict[tuple[str, str], int] = {}
    for i, table in enumerate(names):
        bit = 1 << i
        for c in tables[table]:
            by_name[c.key] = by_name.get(c.key, 0) | bit
            by_type[(c.key, c.family)] = by_type.get((c.key, c.family), 0) | bit
    graph = SchemaGraph()
    for i, child in enumerate(names):
        cols = sorted(tables[child], key=lambda c: by_name[c.key].bit_count())  # rarest first
        if not cols:
            continue
        named = ~(1 << i)
        for c in cols:
            named &= by_name[c.key]
            if not named:
                break
        if not named:
            continue
        typed = named
        for c in cols:
            typed &= by_type[(c.key, c.family)]
        graph.candidates += [(child, names[j]) for j in _members(typed, n)]
        mismatched = named & ~typed
        if mismatched:
            for j in _members(mismatched, n):
                graph.mismatched.append((child, names[j], _type_evidence(tables[child], tables[names[j]])))
    return graph


def _type_evidence(child: list[Column], parent: list[Column]) -> dict:
    families = {c.key: c.family for c in parent}
    for c in sorted(child, key=lambda c: c.key):
        if families.get(c.key) != c.family:
            return {"rule": "type_mismatch", "column": c.key, "child": c.family,
                    "parent": families.get(c.key)}
    raise AssertionError("a mismatched pair must differ in some column type")  # unreachable
