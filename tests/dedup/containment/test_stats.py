"""Folding chunk statistics into intervals, and the JSON form of the CSV cache."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from thresher.dedup.containment.stats import (BoundsAccumulator, ColumnStats, TableStats, stats_from_json,
                                     stats_to_json, to_value)


def test_exact_chunks_fold_to_exact_bounds():
    acc = BoundsAccumulator()
    acc.add(values=3, nulls=1, lo=4, hi=9)
    acc.add(values=0, nulls=2)               # all null: no bounds, needs none
    acc.add(values=2, nulls=0, lo=1, hi=5)
    assert acc.result() == ColumnStats(nulls=3, min_lo=1, min_hi=1, max_lo=9, max_hi=9)


def test_a_chunk_without_bounds_makes_the_outer_ends_unknown():
    acc = BoundsAccumulator()
    acc.add(values=3, nulls=0, lo=4, hi=9)
    acc.add(values=None, nulls=None)         # stats missing
    cs = acc.result()
    # the true min is <= 4 (some chunk has 4) but may be anything lower; likewise the max
    assert (cs.nulls, cs.min_lo, cs.min_hi, cs.max_lo, cs.max_hi) == (None, None, 4, 9, None)


def test_intervals_fold():
    acc = BoundsAccumulator()
    acc.add(values=1, nulls=0, lo_range=(10, 12), hi_range=(20, 22))
    acc.add(values=1, nulls=0, lo_range=(11, 15), hi_range=(18, 25))
    cs = acc.result()
    assert (cs.min_lo, cs.min_hi, cs.max_lo, cs.max_hi) == (10, 12, 20, 25)


def test_all_null_column_has_no_bounds():
    acc = BoundsAccumulator()
    acc.add(values=0, nulls=5)
    assert acc.result() == ColumnStats(nulls=5)


def test_values_in_one_domain():
    assert to_value("float", float("nan")) is None
    assert to_value("date", dt.date(1970, 1, 2)) == 1
    naive = to_value("timestamp", dt.datetime(1970, 1, 1, 0, 0, 1))
    aware = to_value("timestamp", dt.datetime(1970, 1, 1, 1, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    assert naive == aware == 1_000_000
    assert to_value("decimal", 7) == Decimal(7)


def test_json_round_trip():
    stats = TableStats(rows=3, distinct_rows=2, columns={
        "d": ColumnStats(nulls=0, min_lo=Decimal("1.50"), min_hi=Decimal("1.50"),
                         max_lo=Decimal("9"), max_hi=Decimal("9")),
        "b": ColumnStats(nulls=1, min_lo=b"\x00", min_hi=b"\x00", max_lo=b"\xff", max_hi=b"\xff", ndv_lo=2, ndv_hi=3),
        "f": ColumnStats(nulls=0, min_lo=float("-inf"), min_hi=float("-inf"), max_lo=1.5, max_hi=1.5)})
    fams = {"d": "decimal", "b": "binary", "f": "float"}
    assert stats_from_json(stats_to_json(stats, fams), fams) == stats


def test_cache_entries_from_before_distinct_bounds_still_load():
    old = {"rows": 3, "distinct_rows": 2, "columns": {"x": {
        "nulls": 0, "min_lo": 1, "min_hi": 1, "max_lo": 5, "max_hi": 5, "ndv": None}}}
    x = stats_from_json(old, {"x": "int"}).columns["x"]
    assert (x.min_lo, x.max_hi, x.ndv_lo, x.ndv_hi) == (1, 5, None, None)
    old["columns"]["x"]["ndv"] = 2
    x = stats_from_json(old, {"x": "int"}).columns["x"]
    assert (x.ndv_lo, x.ndv_hi) == (2, 2)
