"""Brute-force containment in plain Python: the tests' ground truth.

Rows are compared on canonical values (nulls equal nulls, NaN equals NaN, -0.0
equals 0.0, decimals by value, timestamps as UTC wall clock, names case-insensitive).
"""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from decimal import Decimal

import pyarrow as pa


def canon(v):
    if isinstance(v, float):
        return "NaN" if math.isnan(v) else (0.0 if v == 0 else v)
    if isinstance(v, Decimal):
        return v.normalize() if v != 0 else Decimal(0)
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None) if v.tzinfo is None else v.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if isinstance(v, dict):
        return tuple(sorted((k.lower(), canon(x)) for k, x in v.items()))
    if isinstance(v, list):
        return tuple(canon(x) for x in v)
    return v


def rows(table: pa.Table, keys: list[str]) -> list[tuple]:
    names = {n.lower(): n for n in table.column_names}
    cols = [table.column(names[k]).to_pylist() for k in keys]
    return [tuple(canon(c[i]) for c in cols) for i in range(table.num_rows)]


def contained(child: pa.Table, parent: pa.Table, *, multiset: bool = False) -> bool:
    """Every row of ``child`` occurs in ``parent`` on the child's columns (names only;
    the caller checks types)."""
    keys = sorted(n.lower() for n in child.column_names)
    if not set(keys) <= {n.lower() for n in parent.column_names}:
        return False
    a, b = rows(child, keys), rows(parent, keys)
    if multiset:
        cb = Counter(b)
        return all(cb[r] >= n for r, n in Counter(a).items())
    return set(a) <= set(b)
