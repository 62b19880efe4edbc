"""Ground truth of the containment benchmark's lake by construction (``containment_lake.py``).

T -> U when both come from the same base, U is no decoy (or a renamed or changed decoy
whose damage T avoids), T's base rows are a subset of U's and T's columns (name, family) a
subset of U's. The decoy pairs are those a decoy's undamaged version would be contained
in: none of them may be reported. Example::

    _, specs = plan_lake(tables=100, seed=0)
    contained, decoy_pairs = lineage_pairs(specs)
"""
from __future__ import annotations

import numpy as np

from containment_lake import Spec


def _subset(a: Spec, b: Spec) -> bool:
    if not set(a.families.items()) <= set(b.families.items()):
        return False
    return len(a.rows) <= len(b.rows) and bool(np.isin(a.rows, b.rows, assume_unique=True).all())


def _hits_change(a: Spec, b: Spec) -> bool:
    if b.change is None:
        return False
    i, name, _ = b.change
    return name.lower() in a.families and b.rows[i] in a.rows


def lineage_pairs(specs: list[Spec]) -> tuple[set, dict]:
    """``(contained, decoy_pairs)`` by construction: ``contained`` are (child, parent) pairs
    implied by row and column lineage; ``decoy_pairs[(decoy, parent)] = kind`` are the pairs
    that the decoy's undamaged version would have been contained in."""
    by_base: dict[int, list[Spec]] = {}
    for s in specs:
        by_base.setdefault(s.base, []).append(s)
    byname = {s.name: s for s in specs}
    contained, decoys = set(), {}
    for group in by_base.values():
        clean = [s for s in group if not s.decoy]
        # a decoy is a fine parent of what avoids its damage: a renamed one of tables without
        # that column, a changed one of tables without that row or column
        parents = clean + [s for s in group if s.kind in ("renamed", "changed")]
        for a in group:
            if a.decoy:
                # the decoy undamaged: the origin's rows, the name it had before renaming
                rows = byname[a.source].rows if a.kind == "other_rows" else a.rows
                old, new = a.renamed or (None, None)
                twin = Spec(a.name, a.base, "twin", a.fmt, None, rows, a.cols,
                            families={old if k == new else k: v for k, v in a.families.items()})
                for b in clean:
                    if b.name != a.name and _subset(twin, b):
                        decoys[(a.name, b.name)] = a.kind
                continue
            for b in parents:
                if b.name != a.name and _subset(a, b) and not _hits_change(a, b):
                    contained.add((a.name, b.name))
    return contained, decoys
