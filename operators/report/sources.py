"""Find a finished run's tables from one path: the kept output, its ``_stats`` or its
``_rejects`` (the names the shipped recipes use), Delta or Parquet.

A report reads what the run wrote and never reruns a step.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from pyspark.sql import DataFrame

from ..errors import ReportError
from ..io import read_output
from ..measures import metrics_path
from ..io.delta import is_delta_table
from ..io.fs import get_fs

SUFFIXES = ("_stats", "_rejects")


@dataclass
class RunTables:
    """The DataFrames a report reads; ``kept`` / ``rejects`` are None when not written."""

    stats: DataFrame
    rejects: DataFrame | None
    kept: DataFrame | None
    paths: dict[str, str]
    delta_versions: dict[str, int]
    metrics: DataFrame | None = None  # the run's metrics sample (operators/measures.py)


def _format_of(path: str) -> str | None:
    fs, norm = get_fs(path)
    if is_delta_table(fs, norm):
        return "delta"
    return "parquet" if fs.exists(norm) else None


def _delta_version(path: str) -> int | None:
    try:
        from deltalake import DeltaTable

        return DeltaTable(path).version()
    except Exception:  # noqa: BLE001 - a version is extra information, never required
        return None


def locate(path: str, *, stats: str | None = None, rejects: str | None = None,
           kept: str | None = None, metrics: str | None = None) -> dict[str, str]:
    """The paths of stats, rejects, kept and metrics for ``path`` (explicit ones win)."""
    base = path.rstrip("/")
    for suffix in SUFFIXES:
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    # None: the sibling by name; "": that table was not written (a recipe without rejects).
    found = {"stats": stats or base + "_stats",
             "rejects": base + "_rejects" if rejects is None else rejects,
             "kept": base if kept is None else kept}
    found["metrics"] = metrics or metrics_path(found["stats"])
    return {k: os.path.abspath(v) if "://" not in v else v for k, v in found.items() if v}


def read_run(spark, path: str, **explicit: str | None) -> RunTables:
    paths = locate(path, **explicit)
    frames: dict[str, DataFrame | None] = {"rejects": None, "kept": None, "metrics": None}
    versions: dict[str, int] = {}
    for label, where in paths.items():
        fmt = _format_of(where)
        if fmt is None:
            if label == "stats":
                raise ReportError(f"no stats table at {where}: a report needs the run's "
                                  "output.stats (give the kept output, its _stats or _rejects)")
            frames[label] = None
            continue
        frames[label] = read_output(spark, format=fmt, path=where)
        if fmt == "delta":
            version = _delta_version(where)
            if version is not None:
                versions[label] = version
    return RunTables(frames["stats"], frames["rejects"], frames["kept"],
                     {k: v for k, v in paths.items() if frames.get(k) is not None}, versions,
                     frames["metrics"])
