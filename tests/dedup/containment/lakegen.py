"""A tiny generated lake for the containment tests: a base table, its projections,
filters and format copies (Parquet, CSV, Delta), decoys, and bad inputs.
(A uniquely named module, importable by basename.)"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def base_frame(n: int = 120, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.arange(n, dtype="int64")
    return pd.DataFrame({
        "id": ids,
        "name": [f"name-{i % 37}" for i in ids],
        "amount": np.round(rng.normal(100, 30, n), 2),
        "qty": rng.integers(0, 50, n).astype("int32"),
        "day": [dt.date(2024, 1, 1) + dt.timedelta(days=int(i % 90)) for i in ids],
        "ts": [dt.datetime(2024, 1, 1) + dt.timedelta(minutes=int(i) * 17) for i in ids],
        "price": [Decimal(f"{i % 50}.{i % 100:02d}") for i in ids],
        "note": [None if i % 5 == 0 else f"n{i % 3}" for i in ids],
    })


def arrow(df: pd.DataFrame) -> pa.Table:
    fields = {"price": pa.decimal128(10, 2), "day": pa.date32(), "ts": pa.timestamp("us")}
    inferred = pa.Schema.from_pandas(df, preserve_index=False)
    schema = pa.schema([pa.field(c, fields.get(c) or inferred.field(c).type) for c in df.columns])
    return pa.Table.from_pandas(df, schema=schema, preserve_index=False)


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(arrow(df), path)


def write_dataset(df: pd.DataFrame, folder: Path, parts: int = 2) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, chunk in enumerate(np.array_split(np.arange(len(df)), parts)):
        pq.write_table(arrow(df.iloc[chunk]), folder / f"part-{i:05d}.parquet")


def write_csv(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)


def write_delta(df: pd.DataFrame, folder: Path) -> None:
    from deltalake import write_deltalake
    write_deltalake(str(folder), arrow(df))


def make_lake(root: Path) -> dict:
    """Write the lake under ``root``; returns the expected verdicts:
    ``contained`` (pairs that must be found) and ``decoys`` (pairs that must not)."""
    root = Path(root)
    base = base_frame()
    cheap = base[base["amount"] > 100]
    write_parquet(base, root / "base.parquet")
    # projection, reordered, names in another case
    write_dataset(base[["qty", "name", "id"]].rename(columns={"name": "NAME", "id": "Id"}), root / "proj")
    write_parquet(cheap, root / "filt.parquet")                              # a row filter
    write_csv(cheap[["id", "name", "qty", "day", "ts", "amount"]], root / "csv" / "proj_filt.csv")
    small = cheap.copy()
    small["qty"] = small["qty"].astype("int64")                               # another int width
    write_delta(small, root / "delta_copy")
    changed = cheap.copy()
    changed.iloc[len(changed) // 2, changed.columns.get_loc("amount")] += 0.01
    write_parquet(changed, root / "decoys" / "changed.parquet")
    write_parquet(cheap.rename(columns={"name": "full_name"}), root / "decoys" / "renamed.parquet")
    other = base_frame(seed=99)
    other["id"] = other["id"] + 1000
    write_parquet(other, root / "decoys" / "other_rows.parquet")
    shuffled = base.copy()
    shuffled["name"] = shuffled["name"].to_numpy()[::-1]                      # same ranges, other rows
    write_parquet(shuffled, root / "decoys" / "same_ranges.parquet")
    bad = root / "bad"
    bad.mkdir(parents=True, exist_ok=True)
    (bad / "corrupt.parquet").write_bytes(b"PAR1 this is not a parquet file PAR1")
    write_parquet(base.iloc[:0], bad / "empty.parquet")
    pq.write_table(pa.table({"ID": [1, 2], "id": [3, 4]}), bad / "case_dup.parquet")
    (bad / "case_dup.csv").write_text("Name,x,NAME\na,1,b\n")
    t = lambda p: str(root / p)  # noqa: E731
    contained = {
        (t("proj"), t("base.parquet")), (t("filt.parquet"), t("base.parquet")),
        (t("csv/proj_filt.csv"), t("base.parquet")), (t("csv/proj_filt.csv"), t("filt.parquet")),
        (t("csv/proj_filt.csv"), t("delta_copy")), (t("delta_copy"), t("base.parquet")),
        (t("delta_copy"), t("filt.parquet")), (t("filt.parquet"), t("delta_copy")),
    }
    decoys = {
        (t("decoys/changed.parquet"), t("base.parquet")),
        (t("decoys/renamed.parquet"), t("base.parquet")),
        (t("decoys/other_rows.parquet"), t("base.parquet")),
        (t("decoys/same_ranges.parquet"), t("base.parquet")),
        (t("base.parquet"), t("decoys/same_ranges.parquet")),
    }
    return {"contained": contained, "decoys": decoys}
