"""Stage 2: prune candidate edges with metadata statistics only (no data scan).

Every rule is sound: it fires only when the statistics prove that some row of the
child cannot occur in the parent, so a true containment is never pruned
(tests/dedup/containment/test_prune.py checks this property on random tables).
For A -> B on A's columns:

* ``row_count`` (multiset only): A has more rows than B. Under set semantics
  duplicates make row counts unsound, so it is not used there.
* ``distinct_rows``: A has more distinct rows than B has rows (any semantics).
* ``nulls``: A has a null in a column where B has none.
* ``parent_all_null``: A has a value in a column where B has only nulls.
* ``min`` / ``max``: A's smallest (largest) value is certainly below B's smallest
  (above B's largest); bounds are intervals (stats.py), so inexact ones only
  fire when even the most favourable reading would prune.
* ``ndv``: A certainly has more distinct values in a column than B can have. A's
  lower bound: Parquet dictionary entries (parquet_pages.py), or
  2 when its min is below its max; B's upper bound: dictionary entries
  or its non-null values.

Example::

    verdict = prune_edge(child_info, parent_info, multiset=False)
    verdict     # None (keep) or {"rule": "min", "column": "x", "child": 1, "parent": 5}
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from .stats import ColumnStats
from .tables import TableInfo


def show_value(family: str, v: Any) -> Any:
    """A statistic as evidence: JSON-friendly and readable."""
    if v is None or isinstance(v, (bool, int, float, str)) and family not in ("date", "timestamp"):
        return v
    if family == "date":
        return (_dt.date(1970, 1, 1) + _dt.timedelta(days=v)).isoformat()
    if family == "timestamp":
        return (_dt.datetime(1970, 1, 1) + _dt.timedelta(microseconds=v)).isoformat() + "Z"
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, bytes):
        return v.hex()
    return str(v)


def _distinct_lo(s: ColumnStats) -> int | None:
    """Fewest distinct non-null values the column can hold."""
    lo = s.ndv_lo
    if s.min_hi is not None and s.max_lo is not None and s.min_hi < s.max_lo:
        lo = max(lo or 0, 2)  # its min and max certainly differ
    return lo


def _distinct_hi(s: ColumnStats, rows: int | None) -> int | None:
    """Most distinct non-null values the column can hold."""
    known = [n for n in (s.ndv_hi, None if rows is None or s.nulls is None else rows - s.nulls)
             if n is not None]
    return min(known) if known else None


def _column_rule(a: ColumnStats, b: ColumnStats, a_rows: int | None, b_rows: int | None) -> tuple | None:
    if a.nulls is not None and b.nulls is not None and a.nulls > 0 and b.nulls == 0:
        return "nulls", a.nulls, b.nulls
    a_has_value = (a.min_lo is not None or a.min_hi is not None
                   or (a.nulls is not None and a_rows is not None and a.nulls < a_rows))
    if a_has_value and b.nulls is not None and b_rows is not None and b.nulls == b_rows:
        return "parent_all_null", a.nulls, b.nulls
    if a.min_hi is not None and b.min_lo is not None and a.min_hi < b.min_lo:
        return "min", a.min_hi, b.min_lo
    if a.max_lo is not None and b.max_hi is not None and a.max_lo > b.max_hi:
        return "max", a.max_lo, b.max_hi
    a_lo, b_hi = _distinct_lo(a), _distinct_hi(b, b_rows)
    if a_lo is not None and b_hi is not None and a_lo > b_hi:
        return "ndv", a_lo, b_hi
    return None


def prune_edge(child: TableInfo, parent: TableInfo, *, multiset: bool) -> dict | None:
    """The first rule that proves ``child`` is not contained in ``parent``, as evidence;
    None when metadata cannot tell (the edge goes on to the content stage)."""
    a, b = child.stats, parent.stats
    if multiset and a.rows is not None and b.rows is not None and a.rows > b.rows:
        return {"rule": "row_count", "child": a.rows, "parent": b.rows}
    if a.distinct_rows is not None and b.rows is not None and a.distinct_rows > b.rows:
        return {"rule": "distinct_rows", "child": a.distinct_rows, "parent": b.rows}
    families = child.families
    for key in child.keys:
        ca, cb = a.columns.get(key), b.columns.get(key)
        if ca is None or cb is None:
            continue
        hit = _column_rule(ca, cb, a.rows, b.rows)
        if hit is not None:
            rule, va, vb = hit
            fam = families[key] if rule in ("min", "max") else ""
            return {"rule": rule, "column": key, "child": show_value(fam, va),
                    "parent": show_value(fam, vb)}
    return None
