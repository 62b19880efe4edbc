"""The generated data lake of the containment benchmark (``containment.py``).

Deterministic from ``(tables, seed, bases)``. ``bases`` base tables (default
``max(20, tables // 25)``), each of 300-2,500 rows, are drawn from one shared column
vocabulary (``id``, ``created_at``, ``status``, ``amount``, ``price`` ...: int, float,
string, date, timestamp, decimal and bool columns, several with nulls) plus 1-2 columns
of their own domain, with per-base value ranges (id blocks that sometimes overlap, a
date period, an amount scale). A real lake reuses column names across tables in the same
way, which is what makes schema-compatible pairs numerous. The other tables are derived,
each from its base or from an earlier derived table of the same base:

* ``proj``: a column subset (kept with at least one high-cardinality column), re-ordered,
  some names re-cased; ``filter``: a row predicate (a range of a numeric, date or timestamp
  column, a set of categories, an ``id`` modulo sample); ``proj_filter``: both; ``chain``:
  either, applied to another derived table; ``copy``: the same rows and columns in another
  format, re-ordered, some types widened (int32 -> int64, decimal(12,2) -> decimal(18,4),
  naive -> UTC timestamps);
* decoys, never contained in their source: ``changed`` (one value replaced by another value
  of the same column, so ranges stay), ``renamed`` (one column renamed), ``other_rows``
  (the same columns and value ranges drawn again with another seed).

Formats: Parquet files, Parquet datasets (``part-*`` + ``_SUCCESS``), Delta tables
(delta-rs) and CSV files (header; Spark infers decimals as double and an all-null column
as string, which the manifest's families follow). The ground truth by construction is in
``containment_lineage.py``. ``_manifest.json`` in the lake records every table. Example::

    specs = build_lake(Path("/tmp/lake"), tables=100, seed=0)
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

VERSION = 1
DOMAINS = ["orders", "customers", "invoices", "shipments", "payments", "sensors", "sessions",
           "clicks", "tickets", "accounts", "products", "reviews", "loans", "claims", "trips",
           "bookings", "visits", "employees", "devices", "campaigns", "subscriptions",
           "transfers", "inventory", "refunds", "alerts", "leads", "returns", "orders_eu",
           "payroll", "budgets", "vendors", "contracts", "assets", "events", "quotes", "policies",
           "warehouses", "orders_us", "deliveries", "messages"]
STATUS = ["new", "open", "paid", "shipped", "delivered", "closed", "cancelled", "returned"]
COUNTRIES = ["US", "DE", "FR", "GB", "IT", "ES", "NL", "BE", "SE", "NO", "DK", "FI", "PL", "PT",
             "IE", "AT", "CH", "CZ", "JP", "KR", "CN", "IN", "BR", "MX", "CA", "AU", "NZ", "ZA"]
NOTES = ["call back", "priority", "vip customer", "fragile", "gift wrap", "late payment",
         "duplicate suspected", "manual review", "address changed", "discount applied"]
KINDS = ["proj", "filter", "proj_filter", "chain", "copy", "changed", "renamed", "other_rows"]
KIND_P = [0.17, 0.16, 0.25, 0.10, 0.06, 0.09, 0.07, 0.10]
FORMATS, FORMAT_P = ["parquet", "dataset", "delta", "csv"], [0.45, 0.17, 0.26, 0.12]
DECOYS = ("changed", "renamed", "other_rows")
EXT = {"parquet": ".parquet", "csv": ".csv"}  # datasets and Delta tables are folders


def _nulls(rng, s: pd.Series, p: float) -> pd.Series:
    return s.mask(rng.random(len(s)) < p) if p else s


def _when(rng, n, b, null_p=0.0):
    us = rng.integers(0, b["span_days"] * 86_400_000_000, n)
    s = pd.Series(np.datetime64(b["start"], "us") + us.astype("timedelta64[us]"))
    return _nulls(rng, s, null_p)


def _decimal(rng, n, lo, hi, scale):
    q = 10 ** scale
    return pd.Series([Decimal(int(v)).scaleb(-scale) for v in rng.integers(lo * q, hi * q, n)], dtype=object)


# name -> (arrow type, high cardinality, generator(rng, n, base params) -> pandas Series)
VOCAB = {
    "id": (pa.int64(), True, lambda r, n, b: pd.Series(np.arange(b["id0"], b["id0"] + n, dtype="int64"))),
    "created_at": (pa.timestamp("us"), True, lambda r, n, b: _when(r, n, b)),
    "updated_at": (pa.timestamp("us"), True, lambda r, n, b: _when(r, n, b, 0.15)),
    "event_date": (pa.date32(), False, lambda r, n, b: pd.Series(
        [dt.date.fromisoformat(b["start"]) + dt.timedelta(days=int(d))
         for d in r.integers(0, b["span_days"], n)], dtype=object)),
    "status": (pa.string(), False, lambda r, n, b: pd.Series(r.choice(STATUS, n), dtype=object)),
    "country": (pa.string(), False, lambda r, n, b: pd.Series(r.choice(COUNTRIES, n), dtype=object)),
    "amount": (pa.float64(), True, lambda r, n, b: _nulls(
        r, pd.Series(np.round(r.lognormal(b["scale"], 0.8, n), 2)), 0.03)),
    "price": (pa.decimal128(12, 2), True, lambda r, n, b: _decimal(r, n, 1, 400, 2)),
    "qty": (pa.int32(), False, lambda r, n, b: pd.Series(r.integers(0, 100, n).astype("int32"))),
    "score": (pa.float64(), True, lambda r, n, b: _nulls(r, pd.Series(np.round(r.random(n), 4)), 0.1)),
    "is_active": (pa.bool_(), False, lambda r, n, b: pd.Series(r.random(n) < 0.7)),
    "customer_id": (pa.int64(), True, lambda r, n, b: _nulls(
        r, pd.Series(r.integers(1, 20_000, n), dtype="Int64"), 0.05)),
    "email": (pa.string(), True, lambda r, n, b: pd.Series(
        [f"user{v}@example.com" for v in r.integers(1, 50_000, n)], dtype=object)),
    "note": (pa.string(), False, lambda r, n, b: _nulls(r, pd.Series(r.choice(NOTES, n), dtype=object), 0.4)),
    "rate": (pa.decimal128(8, 4), False, lambda r, n, b: _decimal(r, n, 0, 2, 4)),
}
OWN = {  # per-domain columns: suffix -> (arrow type, high cardinality, generator)
    "code": (pa.string(), True, lambda r, n, b: pd.Series(
        [f"{b['domain'][:3].upper()}-{v:06d}" for v in r.integers(0, 10**6, n)], dtype=object)),
    "level": (pa.int16(), False, lambda r, n, b: pd.Series(r.integers(1, 6, n).astype("int16"))),
    "weight": (pa.float64(), True, lambda r, n, b: pd.Series(np.round(r.gamma(2.0, b["scale"], n), 3))),
}
AUDIT = ("id", "created_at", "updated_at")  # in every base table, as in most enterprise lakes
WIDER = {"int": pa.int64(), "decimal": pa.decimal128(18, 4), "timestamp": pa.timestamp("us", tz="UTC")}


@dataclass
class Spec:
    """One table of the lake: where it is, how it was made, its base rows and columns."""

    name: str                      # path relative to the lake root
    base: int
    kind: str
    fmt: str
    source: str | None
    rows: np.ndarray               # row positions in the base frame (the other-rows frame for decoys)
    cols: list[tuple[str, str]]    # (stored name, base column)
    widen: bool = False
    change: tuple | None = None    # ("changed": row position in this table, column, new value)
    renamed: tuple | None = None   # ("renamed": old key, new key)
    families: dict[str, str] = field(default_factory=dict)  # lower-cased name -> family

    @property
    def decoy(self) -> bool:
        return self.kind in DECOYS


def _family(t: pa.DataType) -> str:
    from thresher.dedup.containment.types import arrow_family
    return arrow_family(t)


class _Family:
    """One base table and everything derived from it."""

    def __init__(self, idx: int, rng: np.random.Generator, seed: int):
        self.idx, self.rng = idx, rng
        domain = DOMAINS[idx % len(DOMAINS)] + ("" if idx < len(DOMAINS) else f"_{idx // len(DOMAINS)}")
        start = dt.date(2018, 1, 1) + dt.timedelta(days=int(rng.integers(0, 2000)))
        self.params = {"domain": domain, "id0": int(rng.integers(0, 40)) * 10_000,
                       "start": start.isoformat(), "span_days": int(rng.integers(30, 400)),
                       "scale": float(rng.uniform(1.0, 6.0))}
        shared = list(rng.choice([c for c in VOCAB if c not in AUDIT], int(rng.integers(4, 8)), replace=False))
        own = list(rng.choice(list(OWN), int(rng.integers(1, 3)), replace=False))
        self.columns = {c: VOCAB[c] for c in AUDIT} | {c: VOCAB[c] for c in shared} | \
            {f"{domain}_{s}": OWN[s] for s in own}
        self.rows = int(rng.integers(300, 2500))
        self.frame = self._draw(np.random.default_rng([seed, idx, 1]))
        self._other: pd.DataFrame | None = None
        self.seed = seed
        self.specs: list[Spec] = []

    def _draw(self, rng) -> pd.DataFrame:
        return pd.DataFrame({c: gen(rng, self.rows, self.params) for c, (_, _, gen) in self.columns.items()})

    def other(self) -> pd.DataFrame:
        if self._other is None:
            self._other = self._draw(np.random.default_rng([self.seed, self.idx, 2]))
        return self._other

    def high(self, col: str) -> bool:
        return self.columns[col][1]

    # ----------------------------------------------------------------- derivations
    def project(self, cols: list[tuple[str, str]]) -> list[tuple[str, str]]:
        rng = self.rng
        for _ in range(20):
            k = int(rng.integers(2, len(cols))) if len(cols) > 2 else len(cols)
            pick = [cols[i] for i in rng.choice(len(cols), k, replace=False)]
            if any(self.high(src) for _, src in pick):
                break
        return [(_recase(rng, name), src) for name, src in pick]

    def filter(self, rows: np.ndarray, cols: list[str], frame: pd.DataFrame) -> np.ndarray:
        rng = self.rng
        for _ in range(20):
            col = str(rng.choice(cols))
            values = frame[col].iloc[rows]
            fam = _family(self.columns[col][0])
            if col == "id":
                k = int(rng.integers(2, 6))
                keep = (values % k == int(rng.integers(0, k))).to_numpy(dtype=bool)
            elif fam in ("int", "float", "decimal", "date", "timestamp"):
                ok = values.notna().to_numpy()
                ordered = values[ok].sort_values(kind="stable")
                if len(ordered) < 10:
                    continue
                lo_q = rng.uniform(0, 0.6) if rng.random() < 0.6 else 0.0
                hi_q = min(1.0, lo_q + rng.uniform(0.25, 0.8)) if rng.random() < 0.7 else 1.0
                lo = ordered.iloc[int(lo_q * (len(ordered) - 1))]
                hi = ordered.iloc[int(hi_q * (len(ordered) - 1))]
                keep = ok.copy()
                keep[ok] = ((values[ok] >= lo) & (values[ok] <= hi)).to_numpy(dtype=bool)
            else:
                present = values.dropna().unique()
                if len(present) < 2:
                    continue
                chosen = set(rng.choice(present, max(1, len(present) // 2), replace=False).tolist())
                keep = values.isin(chosen).to_numpy(dtype=bool)
            if 5 <= keep.sum() < len(rows):
                return rows[keep]
        return rows[: max(5, len(rows) // 2)]


def _recase(rng, name: str) -> str:
    r = rng.random()
    return name.upper() if r < 0.12 else name.title() if r < 0.22 else name


def _derive(fam: _Family, kind: str, n: int, fmt: str) -> Spec:
    rng, base = fam.rng, fam.specs[0]
    clean = [s for s in fam.specs if not s.decoy]
    derived = [s for s in clean if s.kind != "base"]
    if kind == "chain" and not derived:
        kind = "proj_filter"
    pick = lambda pool: pool[int(rng.integers(0, len(pool)))]  # noqa: E731
    # copies and decoys mostly of derived tables: one of the base would be a parent of the
    # whole family, a density of containment that real lakes seldom have
    src = pick(derived) if kind == "chain" else (
        base if kind in ("proj", "filter", "proj_filter") or rng.random() < 0.1 or not derived else pick(derived))
    rows, cols = src.rows, list(src.cols)
    name = f"{fam.params['domain']}/t{n:04d}_{kind}{EXT.get(fmt, '')}"
    if kind in ("proj", "proj_filter", "chain") and (kind != "chain" or rng.random() < 0.6):
        cols = fam.project(cols)
    if kind in ("filter", "proj_filter") or (kind == "chain" and (cols == src.cols or rng.random() < 0.5)):
        rows = fam.filter(rows, [c for _, c in src.cols], fam.frame)
    spec = Spec(name, fam.idx, kind, fmt, src.name, rows, cols)
    if kind == "copy":
        spec.cols = [(_recase(rng, nm), c) for nm, c in rng.permutation(np.array(cols, dtype=object)).tolist()]
        spec.widen = fmt != "csv" and rng.random() < 0.6
    elif kind == "changed":
        spec = _changed(fam, spec)
    elif kind == "renamed":
        i = int(rng.integers(0, len(cols)))
        old = spec.cols[i][0]
        spec.cols[i] = (f"{old}_old", spec.cols[i][1])
        spec.renamed = (old.lower(), f"{old}_old".lower())
    elif kind == "other_rows":
        size = min(len(rows), fam.rows)
        spec.rows = np.sort(rng.choice(fam.rows, size, replace=False))
    return spec


def _changed(fam: _Family, spec: Spec) -> Spec:
    """One value replaced by another value of the same column (``id`` kept: the row is new)."""
    rng = fam.rng
    if "id" not in [c for _, c in spec.cols]:
        spec.cols = [("id", "id")] + spec.cols
    for _ in range(50):
        name, col = spec.cols[int(rng.integers(0, len(spec.cols)))]
        if col == "id" or len(spec.rows) < 2:
            continue
        values = fam.frame[col].iloc[spec.rows].reset_index(drop=True)
        i = int(rng.integers(0, len(values)))
        others = values[values.notna() & (values != values.iloc[i])] if pd.notna(values.iloc[i]) else values.dropna()
        if len(others):
            spec.change = (i, name, others.iloc[int(rng.integers(0, len(others)))])
            return spec
    raise RuntimeError(f"no value to change in {spec.name}")


def frame_of(fam: _Family, spec: Spec) -> pd.DataFrame:
    src = fam.other() if spec.kind == "other_rows" else fam.frame
    df = src.iloc[spec.rows][[c for _, c in spec.cols]].reset_index(drop=True)
    df.columns = [n for n, _ in spec.cols]
    if spec.change is not None:
        i, name, value = spec.change
        df.at[i, name] = value
    return df


def arrow_types(fam: _Family, spec: Spec) -> dict[str, pa.DataType]:
    out = {}
    for name, col in spec.cols:
        t = fam.columns[col][0]
        if spec.widen and _family(t) in WIDER and not (pa.types.is_int64(t) and col == "id"):
            t = WIDER[_family(t)]
        out[name] = t
    return out


def _to_arrow(df: pd.DataFrame, types: dict[str, pa.DataType]) -> pa.Table:
    arrays = []
    for name in df.columns:
        t = types[name]
        s = df[name]
        if pa.types.is_timestamp(t):
            arr = pa.array(pd.to_datetime(s).to_numpy(dtype="datetime64[us]"), type=pa.timestamp("us"),
                           mask=s.isna().to_numpy())
            arrays.append(arr.cast(t) if t.tz else arr)
        else:
            arrays.append(pa.array(s.astype(object).where(s.notna(), None).tolist(), type=t))
    return pa.table(arrays, names=list(df.columns))


def write_table(root: Path, spec: Spec, df: pd.DataFrame, types: dict[str, pa.DataType]) -> None:
    """Write one table in its format at ``root / spec.name``."""
    table = _to_arrow(df, types)
    path = root / spec.name
    path.parent.mkdir(parents=True, exist_ok=True)
    if spec.fmt == "parquet":
        pq.write_table(table, path)
    elif spec.fmt == "dataset":
        path.mkdir()
        bounds = np.linspace(0, len(table), 2 + len(spec.name) % 2 + 1).astype(int)
        for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            pq.write_table(table.slice(a, b - a), path / f"part-{i:05d}.parquet")
        (path / "_SUCCESS").write_bytes(b"")
    elif spec.fmt == "delta":
        from deltalake import write_deltalake
        write_deltalake(str(path), table)
    else:
        out = df.copy()
        for name, t in types.items():
            if pa.types.is_decimal(t):
                out[name] = out[name].map(lambda v: None if pd.isna(v) else format(v, "f"))
        out.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S.%f")


def csv_families(df: pd.DataFrame, types: dict[str, pa.DataType]) -> dict[str, str]:
    """What Spark's CSV inference makes of each column: decimals are doubles, all-null is string."""
    return {n.lower(): "string" if df[n].isna().all() else "float" if pa.types.is_decimal(t) else _family(t)
            for n, t in types.items()}


def plan_lake(*, tables: int = 1000, seed: int = 0, bases: int | None = None) -> tuple[list, list[Spec]]:
    """The lake's base families and table specs (with families), nothing written."""
    bases = bases or max(20, tables // 25)
    if tables < 2 * bases:
        raise ValueError(f"{tables} tables are too few for {bases} base tables")
    rng = np.random.default_rng(seed)
    families = [_Family(i, np.random.default_rng([seed, i, 0]), seed) for i in range(bases)]
    per = [(tables - bases) // bases + (i < (tables - bases) % bases) for i in range(bases)]
    specs: list[Spec] = []
    for fam, count in zip(families, per, strict=True):
        cols = [(c, c) for c in rng.permutation(list(fam.columns)).tolist()]
        fmt = str(fam.rng.choice(FORMATS[:3]))
        fam.specs.append(Spec(f"{fam.params['domain']}/base{EXT.get(fmt, '')}", fam.idx, "base",
                              fmt, None, np.arange(fam.rows), cols))
        for n in range(count):
            kind = str(fam.rng.choice(KINDS, p=KIND_P))
            fmt = str(fam.rng.choice(FORMATS, p=FORMAT_P))
            fam.specs.append(_derive(fam, kind, n, fmt))
    for fam in families:
        for spec in fam.specs:
            df, types = frame_of(fam, spec), arrow_types(fam, spec)
            spec.families = csv_families(df, types) if spec.fmt == "csv" else \
                {n.lower(): _family(t) for n, t in types.items()}
            specs.append(spec)
    return families, specs


def build_lake(root: Path, *, tables: int = 1000, seed: int = 0, bases: int | None = None) -> list[Spec]:
    """Write the lake under ``root`` (which must not exist yet); returns its specs."""
    families, specs = plan_lake(tables=tables, seed=seed, bases=bases)
    bases = len(families)
    root.mkdir(parents=True)
    for fam in families:
        for spec in fam.specs:
            write_table(root, spec, frame_of(fam, spec), arrow_types(fam, spec))
    manifest = {"version": VERSION, "generator": generator_hash(), "tables": tables, "seed": seed, "bases": bases,
                "base_params": [f.params | {"rows": f.rows, "columns": list(f.columns)} for f in families],
                "specs": [{"name": s.name, "base": s.base, "kind": s.kind, "format": s.fmt,
                           "source": s.source, "rows": len(s.rows), "columns": [n for n, _ in s.cols],
                           "families": s.families, "widened": s.widen} for s in specs]}
    (root / "_manifest.json").write_text(json.dumps(manifest, indent=1, default=str))
    return specs


def generator_hash() -> str:
    """Of this file's source: a cached lake is reused only if it came from the same code."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
