"""Ground truth and the brute-force baseline of the containment benchmark.

* ``Oracle``: the brute-force all-pairs exact check, in plain Python/NumPy, independent of
  thresher's pipeline. Every table is read back from disk (pyarrow for Parquet, delta-rs
  for Delta, pyarrow's CSV reader with the manifest's types for CSV), every column put in
  a canonical form (ints as int64, -0.0 as 0.0, decimals by value, dates as days,
  timestamps as UTC microseconds, nulls flagged). Every ordered pair of tables whose
  columns (lower-cased name, type family) are a subset is then checked: the child's row
  hashes must all be among the parent's on the child's columns, and each pair that passes
  is confirmed on the canonical values themselves (so a hash collision cannot make a pair
  contained).
* ``scan_bytes``: what an exact check of a pair must read at the least: for Parquet and
  Delta the footers plus the compressed column chunks of the pair's columns in both
  tables, for CSV the whole file (from the footers and file sizes; nothing is scanned).
* ``brute_force_spark``: the baseline, a Spark ``EXCEPT`` (anti-join on canonical values)
  per schema-compatible pair, 16 pairs a Spark job (as thresher batched its verification
  before it shared scans), with the bytes Spark's scans read and the seconds taken. Example::

    oracle = Oracle(root, manifest["specs"])
    truth = oracle.contained_pairs(oracle.schema_pairs())
"""
from __future__ import annotations

import time
from decimal import Decimal
from functools import reduce
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

_CSV_TYPES = {"int": pa.int64(), "float": pa.float64(), "string": pa.string(), "date": pa.date32(),
              "timestamp": pa.timestamp("us"), "bool": pa.bool_()}
_MIX = np.uint64(0x100000001B3)
_NULL = np.uint64(0x9E3779B97F4A7C15)


def table_files(root: Path, spec: dict) -> list[Path]:
    """The data files of a table (Delta: the files of its current version)."""
    path = root / spec["name"]
    if spec["format"] == "delta":
        from deltalake import DeltaTable
        return [Path(u.removeprefix("file://")) for u in DeltaTable(str(path)).file_uris()]
    if spec["format"] == "dataset":
        return sorted(path.glob("part-*.parquet"))
    return [path]


def read_arrow(root: Path, spec: dict) -> pa.Table:
    path = root / spec["name"]
    if spec["format"] == "csv":
        header = path.open().readline().strip().split(",")
        types = {n: _CSV_TYPES[spec["families"][n.lower()]] for n in header}
        return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
            column_types=types, strings_can_be_null=True, timestamp_parsers=["%Y-%m-%d %H:%M:%S.%f",
                                                                              pcsv.ISO8601]))
    return pa.concat_tables([pq.read_table(f) for f in table_files(root, spec)])


def _canonical(col: pa.ChunkedArray, family: str) -> tuple[np.ndarray, np.ndarray]:
    """(null flags, canonical values) of one column."""
    nulls = col.is_null().to_numpy(zero_copy_only=False)
    if family == "decimal":
        values = np.array(["" if v is None else str(v.normalize() if v != 0 else Decimal(0))
                           for v in col.to_pylist()], dtype=object)
    elif family == "timestamp":
        values = pc.fill_null(col.cast(pa.timestamp("us", tz=col.type.tz)).cast(pa.int64()), 0).to_numpy()
    elif family == "date":
        values = pc.fill_null(col.cast(pa.int32()), 0).to_numpy()
    elif family == "float":
        values = pc.fill_null(col.cast(pa.float64()), 0.0).to_numpy() + 0.0  # -0.0 -> 0.0
    elif family in ("int", "bool"):
        values = pc.fill_null(col.cast(pa.int64()), 0).to_numpy()
    else:
        values = np.array(["" if v is None else v for v in col.to_pylist()], dtype=object)
    return nulls, values


class Oracle:
    """Every table in canonical form, and the all-pairs exact check (module docstring)."""

    def __init__(self, root: Path, specs: list[dict]):
        self.specs = {s["name"]: s for s in specs}
        self.cols: dict[str, dict[str, tuple]] = {}
        self.hashes: dict[str, dict[str, np.ndarray]] = {}
        for s in specs:
            table = read_arrow(root, s)
            canon = {}
            for name in table.column_names:
                canon[name.lower()] = _canonical(table.column(name), s["families"][name.lower()])
            self.cols[s["name"]] = canon
            self.hashes[s["name"]] = {
                k: np.where(nulls, _NULL, pd.util.hash_array(values)) for k, (nulls, values) in canon.items()}

    def schema_pairs(self) -> list[tuple[str, str]]:
        """Ordered pairs (child, parent) whose columns, name and family, are a subset."""
        sets = {n: frozenset(s["families"].items()) for n, s in self.specs.items()}
        names = sorted(sets)
        return [(a, b) for a in names for b in names if a != b and sets[a] <= sets[b]]

    def _row_hashes(self, table: str, keys: tuple[str, ...]) -> np.ndarray:
        cols = self.hashes[table]
        h = np.zeros(len(next(iter(cols.values()))), dtype=np.uint64)
        for k in keys:
            h = h * _MIX ^ cols[k]
        return h

    def _rows(self, table: str, keys: tuple[str, ...]) -> set:
        cols = [self.cols[table][k] for k in keys]
        return set(zip(*[np.where(nulls, None, values).tolist() for nulls, values in cols]))

    def contained(self, child: str, parent: str) -> bool:
        keys = tuple(sorted(self.specs[child]["families"]))
        a = np.unique(self._row_hashes(child, keys))
        if not np.isin(a, self._row_hashes(parent, keys)).all():
            return False
        return self._rows(child, keys) <= self._rows(parent, keys)  # exact, on the values

    def contained_pairs(self, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
        return {p for p in pairs if self.contained(*p)}


def _column_chunk_bytes(files: list[Path]) -> tuple[int, dict[str, int]]:
    footer, per_column = 0, {}
    for f in files:
        md = pq.ParquetFile(f).metadata
        footer += md.serialized_size + 8
        for rg in range(md.num_row_groups):
            group = md.row_group(rg)
            for i in range(group.num_columns):
                c = group.column(i)
                key = c.path_in_schema.split(".")[0].lower()
                per_column[key] = per_column.get(key, 0) + c.total_compressed_size
    return footer, per_column


class ScanModel:
    """The least bytes an exact check of a pair reads (module docstring)."""

    def __init__(self, root: Path, specs: list[dict]):
        self.tables = {}
        for s in specs:
            if s["format"] == "csv":
                self.tables[s["name"]] = ((root / s["name"]).stat().st_size, None)
            else:
                self.tables[s["name"]] = _column_chunk_bytes(table_files(root, s))

    def table_bytes(self, table: str, keys) -> int:
        fixed, per_column = self.tables[table]
        return fixed if per_column is None else fixed + sum(per_column.get(k, 0) for k in keys)

    def pair_bytes(self, child: str, parent: str, keys) -> int:
        return self.table_bytes(child, keys) + self.table_bytes(parent, keys)


def brute_force_spark(spark, root: Path, specs: dict[str, dict], pairs: list[tuple[str, str]],
                      batch: int = 16) -> dict:
    """The baseline on ``pairs`` (see the module docstring): verdicts, bytes, seconds.
    CSV schemas are inferred first, outside the measurement (generous to the baseline)."""
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F

    from thresher.dedup.containment.canonical import canonical_columns
    from thresher.dedup.containment.spark_jobs import JobGroup
    from thresher.operators.io import read_input

    csv_schemas = {}
    for name in sorted({t for p in pairs for t in p}):
        if specs[name]["format"] == "csv":
            csv_schemas[name] = spark.read.options(header="true", inferSchema="true") \
                .csv(str(root / name)).schema

    def frame(name: str, keys: list[str]) -> DataFrame:
        spec, path = specs[name], str(root / name)
        if spec["format"] == "csv":
            df = spark.read.schema(csv_schemas[name]).option("header", "true").csv(path)
        else:
            df = read_input(spark, format="delta" if spec["format"] == "delta" else "parquet", path=path)
        names = {f.name.lower(): f.name for f in df.schema.fields}
        return df.select(*canonical_columns(df, {k: names[k] for k in keys}))

    verdicts = {}
    t0 = time.perf_counter()
    with JobGroup(spark, "containment-brute-force") as group:
        for start in range(0, len(pairs), batch):
            chunk = pairs[start:start + batch]
            diffs = []
            for i, (child, parent) in enumerate(chunk):
                keys = sorted(specs[child]["families"])
                d = frame(child, keys).subtract(frame(parent, keys)).limit(1)
                diffs.append(d.select(F.lit(i).alias("t"), F.lit(1).alias("x")))
            missing = {r["t"] for r in reduce(DataFrame.union, diffs).collect()}
            group.tally()
            verdicts.update({p: i not in missing for i, p in enumerate(chunk)})
    return {"pairs": len(pairs), "seconds": time.perf_counter() - t0, "bytes": group.input_bytes,
            "verdicts": verdicts}
