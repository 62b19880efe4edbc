"""Stage 1: candidates from the inverted column index equal the brute-force answer."""
from __future__ import annotations

import random

from thresher.dedup.containment.schema_graph import schema_candidates
from thresher.dedup.containment.types import Column

FAMILIES = ("int", "float", "string", "date")


def _random_schemas(n: int, seed: int, columns: int = 30) -> dict[str, list[Column]]:
    """Tables over a small pool of columns, some case-varied, some with other types, many
    derived from others by dropping columns (so that containment is common)."""
    rng = random.Random(seed)
    pool = [(f"c{i}", FAMILIES[i % len(FAMILIES)]) for i in range(columns)]
    tables: dict[str, list[Column]] = {}
    for t in range(n):
        if tables and rng.random() < 0.6:  # a projection of an earlier table
            src = tables[rng.choice(list(tables))]
            cols = [c for c in src if rng.random() < 0.7] or src[:1]
        else:
            cols = [Column(name, fam) for name, fam in rng.sample(pool, rng.randint(1, 6))]
        if rng.random() < 0.2:  # a case change, or a type change (must break containment)
            i = rng.randrange(len(cols))
            c = cols[i]
            cols[i] = Column(c.name.upper(), c.family) if rng.random() < 0.5 else \
                Column(c.name, rng.choice([f for f in FAMILIES if f != c.family]))
        tables[f"t{t:05d}"] = cols
    return tables


def _brute(tables, child):
    mine = {c.key: c.family for c in tables[child]}
    parents, mismatched = set(), set()
    for other, cols in tables.items():
        if other == child:
            continue
        theirs = {c.key: c.family for c in cols}
        if set(mine) <= set(theirs):
            (parents if all(theirs[k] == f for k, f in mine.items()) else mismatched).add(other)
    return parents, mismatched


def test_small_example():
    g = schema_candidates({"a": [Column("id", "int")],
                           "b": [Column("ID", "int"), Column("x", "string")],
                           "c": [Column("id", "string")]})
    assert g.candidates == [("a", "b")]
    assert sorted((c, p) for c, p, _ in g.mismatched) == [("a", "c"), ("c", "a"), ("c", "b")]
    [(_, _, ev)] = [m for m in g.mismatched if m[:2] == ("a", "c")]
    assert ev == {"rule": "type_mismatch", "column": "id", "child": "int", "parent": "string"}


def test_equals_brute_force_on_500_tables():
    tables = _random_schemas(500, seed=1)
    g = schema_candidates(tables)
    want_c, want_m = set(), set()
    for child in tables:
        parents, mismatched = _brute(tables, child)
        want_c |= {(child, p) for p in parents}
        want_m |= {(child, p) for p in mismatched}
    assert set(g.candidates) == want_c and len(g.candidates) == len(want_c)
    assert {(c, p) for c, p, _ in g.mismatched} == want_m
    assert len(want_c) > 500  # the instance has real containment to find


def test_10k_schemas_match_brute_force_on_a_sample():
    """10,000 tables: the index answers for all of them (a benchmark measures its speed);
    brute force checks 150 children against all 10,000 tables."""
    tables = _random_schemas(10_000, seed=2, columns=200)
    g = schema_candidates(tables)
    by_child: dict[str, set] = {}
    for c, p in g.candidates:
        by_child.setdefault(c, set()).add(p)
    for child in random.Random(3).sample(sorted(tables), 150):
        assert by_child.get(child, set()) == _brute(tables, child)[0], child
