"""Reading every table's schema and statistics, keeping the run going past bad tables.

A table that cannot be read goes to ``skipped`` with the reason; an empty table
(0 rows: contained in every table) to ``empty``; a table with column names equal
but for case to ``case_conflicts`` (columns match case-insensitively, so which one
a parent's column would match is undefined). Only the rest enter the graph.
Example::

    lake = inspect_tables(discover(["/lake"]).tables, spark=lambda: spark, config=cfg,
                          cache_dir="/tmp/cache")
    lake.tables["/lake/orders"].stats.rows
"""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from thresher.operators.errors import TableReadError
from thresher.operators.io.fs import get_fs

from .catalog import inspect_catalog
from .config import ContainmentConfig
from .csv_meta import csv_options, inspect_csv
from .delta_meta import inspect_delta
from .parquet_meta import inspect_parquet
from .sources import TableRef
from .tables import TableInfo
from .types import case_conflicts

_FOOTER_THREADS = 8  # footers and logs: small reads, I/O bound


@dataclass
class Lake:
    tables: dict[str, TableInfo] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)         # {"table", "reason"}
    empty: list[dict] = field(default_factory=list)           # {"table", "format", "columns"}
    case_conflicts: list[dict] = field(default_factory=list)  # {"table", "columns": [[...]]}
    meta_bytes: int = 0
    seconds: float = 0.0


def _inspect_files(ref: TableRef, session, page_headers: bool) -> TableInfo:
    fs, path = get_fs(ref.path, session)
    if ref.format == "parquet":
        return inspect_parquet(fs, path, name=ref.name, page_headers=page_headers)
    return inspect_delta(fs, path, name=ref.name, page_headers=page_headers)


def _safe(fn: Callable[[], TableInfo], ref: TableRef) -> TableInfo | dict:
    try:
        return fn()
    except TableReadError as exc:
        return {"table": ref.name, "reason": str(exc).removeprefix(f"{ref.name}: ")}
    except Exception as exc:  # noqa: BLE001 - any failure on one table must not stop the lake
        return {"table": ref.name, "reason": f"{type(exc).__name__}: {exc}"}


def inspect_tables(refs: list[TableRef], *, spark: Callable, config: ContainmentConfig,
                   cache_dir: str | None) -> Lake:
    """Schema and statistics of every table in ``refs``; ``spark()`` starts Spark only
    when a CSV or catalog table needs it."""
    t0 = time.perf_counter()
    lake = Lake()
    file_refs = [r for r in refs if r.format not in ("csv", "catalog")]
    # Non-local paths (discovery made local ones absolute) go through the Spark JVM's
    # Hadoop FileSystem: start Spark here, not in a worker thread.
    session = spark() if any(not r.path.startswith("/") for r in file_refs) else None
    with ThreadPoolExecutor(max_workers=_FOOTER_THREADS) as pool:
        results = list(pool.map(lambda r: _safe(lambda: _inspect_files(r, session, config.page_headers), r), file_refs))
    options = csv_options(config.csv_options)
    for ref in refs:
        if ref.format == "csv":
            results.append(_safe(lambda ref=ref: inspect_csv(
                spark(), *get_fs(ref.path, spark()), name=ref.name, options=options,
                cache_dir=cache_dir), ref))
        elif ref.format == "catalog":
            results.append(_safe(lambda ref=ref: inspect_catalog(
                spark(), ref, cache_dir=cache_dir, page_headers=config.page_headers), ref))
    for info in sorted(results, key=lambda r: r["table"] if isinstance(r, dict) else r.name):
        if isinstance(info, dict):
            lake.skipped.append(info)
            continue
        lake.meta_bytes += info.meta_bytes
        conflicts = case_conflicts([c.name for c in info.columns])
        if conflicts:
            lake.case_conflicts.append({"table": info.name, "columns": conflicts})
        elif not info.columns:
            lake.skipped.append({"table": info.name, "reason": "no columns"})
        elif info.stats.rows == 0:
            lake.empty.append({"table": info.name, "format": info.format,
                               "columns": [c.name for c in info.columns]})
        else:
            lake.tables[info.name] = info
    lake.seconds = time.perf_counter() - t0
    return lake
