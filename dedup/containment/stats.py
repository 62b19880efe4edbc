"""Per-table statistics that stage 2 prunes with: rows, and per column nulls and bounds.

Bounds are intervals, because stored statistics are not always exact (Delta
truncates long strings and timestamps to milliseconds): the column's true
minimum lies in ``[min_lo, min_hi]`` and its true maximum in ``[max_lo, max_hi]``,
any end ``None`` when unknown. Exact statistics have ``min_lo == min_hi``.

Values live in one comparable domain per family (see types.py): ints as int,
floats as float (NaN never a bound), decimals as Decimal, dates as days and
timestamps as microseconds since 1970-01-01 (a naive timestamp read as UTC),
strings as str, binary as bytes. Example::

    acc = BoundsAccumulator()
    acc.add(values=3, nulls=1, lo=1, hi=9)     # one row group: 3 values, 1 null, min 1, max 9
    acc.add(values=0, nulls=2)                 # an all-null row group
    acc.result()                                # ColumnStats(nulls=3, min_lo=1, min_hi=1, max_lo=9, ...)
"""
from __future__ import annotations

import base64
import datetime as _dt
import math
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

_EPOCH_DATE = _dt.date(1970, 1, 1)
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


@dataclass
class ColumnStats:
    """What metadata says about one column; ``None`` means unknown."""

    nulls: int | None = None
    min_lo: Any = None
    min_hi: Any = None
    max_lo: Any = None
    max_hi: Any = None
    # The count of distinct non-null (canonical) values lies in [ndv_lo, ndv_hi]; None: unknown.
    ndv_lo: int | None = None
    ndv_hi: int | None = None


@dataclass
class TableStats:
    """``rows``: exact row count; ``distinct_rows``: exact count of distinct rows, when computed."""

    rows: int | None = None
    distinct_rows: int | None = None
    columns: dict[str, ColumnStats] = field(default_factory=dict)  # by lower-cased name


def to_value(family: str, value: Any) -> Any:
    """``value`` (from a footer, delta-rs or Spark) in the family's comparable domain, or None."""
    if value is None:
        return None
    if family == "float":
        value = float(value)
        return None if math.isnan(value) else value
    if family == "int":
        return int(value)
    if family == "decimal":
        return value if isinstance(value, Decimal) else Decimal(int(value))
    if family == "date":
        if isinstance(value, _dt.datetime):
            value = value.date()
        return (value - _EPOCH_DATE).days
    if family == "timestamp":
        if isinstance(value, int):  # already microseconds (Spark aggregates of canonical values)
            return value
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        delta = value - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if family == "string":
        return str(value)
    if family == "binary":
        return bytes(value)
    if family == "bool":
        return bool(value)
    return None


class BoundsAccumulator:
    """Folds the statistics of chunks (row groups, files) into one ColumnStats.

    ``values``: non-null values in the chunk (None: unknown); ``lo``/``hi``: the
    chunk's min and max when exact; ``lo_range``/``hi_range`` override them with
    intervals when the stored value is only approximate.
    """

    def __init__(self) -> None:
        self.nulls: int | None = 0
        self.min_lo = self.min_hi = self.max_lo = self.max_hi = None
        self._lo_known = self._hi_known = True
        self._any_values = False

    def add(self, *, values: int | None, nulls: int | None, lo: Any = None, hi: Any = None,
            lo_range: tuple | None = None, hi_range: tuple | None = None) -> None:
        self.nulls = None if self.nulls is None or nulls is None else self.nulls + nulls
        if values == 0:
            return  # an all-null chunk has no bounds and needs none
        lo_range = lo_range or (lo, lo)
        hi_range = hi_range or (hi, hi)
        if lo_range[0] is None and lo_range[1] is None and hi_range[0] is None and hi_range[1] is None:
            # No bounds: either the chunk is all null (values unknown) or stats are missing.
            self._lo_known = self._hi_known = False
            return
        self._any_values = True
        # True min = min over chunks of the chunk mins: its lower end needs every chunk's,
        # its upper end any chunk's (that chunk certainly has values).
        if lo_range[0] is None:
            self._lo_known = False
        elif self._lo_known:
            self.min_lo = lo_range[0] if self.min_lo is None else min(self.min_lo, lo_range[0])
        if lo_range[1] is not None:
            self.min_hi = lo_range[1] if self.min_hi is None else min(self.min_hi, lo_range[1])
        if hi_range[1] is None:
            self._hi_known = False
        elif self._hi_known:
            self.max_hi = hi_range[1] if self.max_hi is None else max(self.max_hi, hi_range[1])
        if hi_range[0] is not None:
            self.max_lo = hi_range[0] if self.max_lo is None else max(self.max_lo, hi_range[0])

    def result(self) -> ColumnStats:
        return ColumnStats(
            nulls=self.nulls,
            min_lo=self.min_lo if self._lo_known and self._any_values else None,
            min_hi=self.min_hi,
            max_lo=self.max_lo,
            max_hi=self.max_hi if self._hi_known and self._any_values else None,
        )


class DistinctAccumulator:
    """Folds per-chunk bounds on distinct values into the column's: it has at least as
    many as its richest chunk and at most the sum over chunks (None: unknown)."""

    def __init__(self) -> None:
        self.lo: int | None = None
        self.hi: int | None = 0

    def add(self, *, lo: int | None, hi: int | None) -> None:
        if lo is not None:
            self.lo = lo if self.lo is None else max(self.lo, lo)
        self.hi = None if hi is None or self.hi is None else self.hi + hi

    def apply(self, stats: ColumnStats) -> None:
        stats.ndv_lo, stats.ndv_hi = self.lo, self.hi


# ----------------------------------------------------------------- JSON (the CSV cache)
def _encode(family: str, v: Any) -> Any:
    if v is None:
        return None
    if family == "decimal":
        return str(v)
    if family == "binary":
        return base64.b64encode(v).decode("ascii")
    return v


def _decode(family: str, v: Any) -> Any:
    if v is None:
        return None
    if family == "decimal":
        return Decimal(v)
    if family == "binary":
        return base64.b64decode(v)
    if family == "float":
        return float(v)
    return v


_BOUNDS = ("min_lo", "min_hi", "max_lo", "max_hi")


def stats_to_json(stats: TableStats, families: dict[str, str]) -> dict:
    cols = {}
    for key, cs in stats.columns.items():
        d = asdict(cs)
        for b in _BOUNDS:
            d[b] = _encode(families.get(key, ""), d[b])
        cols[key] = d
    return {"rows": stats.rows, "distinct_rows": stats.distinct_rows, "columns": cols}


def stats_from_json(data: dict, families: dict[str, str]) -> TableStats:
    cols = {}
    for key, d in data["columns"].items():
        d = dict(d)
        legacy = d.pop("ndv", None)  # entries written before ndv_lo/ndv_hi: an exact count or None
        if legacy is not None:
            d.setdefault("ndv_lo", legacy)
            d.setdefault("ndv_hi", legacy)
        for b in _BOUNDS:
            d[b] = _decode(families.get(key, ""), d[b])
        cols[key] = ColumnStats(**d)
    return TableStats(rows=data["rows"], distinct_rows=data["distinct_rows"], columns=cols)
