"""``--plan``: from verified containments to ``plan.json`` (advice; nothing is deleted).

Reads a month come from an access log (CSV ``table,reads_per_month``; a table it
does not list is never read) or, without one, 1 read a month for every table.
The scan rate that turns a parent's bytes into rebuild seconds is the one given,
else the one measured in this run's content stage (its bytes over its seconds,
job overheads included, so rebuild times err long), else 100 MB/s. Tables with
nanosecond timestamps stay out of the plan (``not_planned``): Spark cannot rebuild
them exactly. Example::

    reads = read_access_log("access.csv")
    doc, keys = build_plan(spark, lake.tables, contained_pairs, reads=reads, plan=PlanConfig(),
                           multiset=False, measured_rate=5e7)
"""
from __future__ import annotations

import csv

from thresher.operators.errors import ContainmentInputError, OutputError
from thresher.operators.io.fs import get_fs

from .plan import PlanConfig, PlanTable, plan_deletions
from .rebuild import selection
from .tables import TableInfo

DEFAULT_SCAN_RATE = 100e6
DEFAULT_READS = 1.0


def _norm(name: str) -> str:
    try:
        return get_fs(name)[1]
    except OutputError:
        return name


def read_access_log(path: str) -> dict[str, float]:
    """``table -> reads_per_month`` from a CSV with a header ``table,reads_per_month``."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or {"table", "reads_per_month"} - set(reader.fieldnames):
                raise ContainmentInputError(f"--access-log {path}: expected the header "
                                            f"table,reads_per_month, found {reader.fieldnames}")
            reads = {}
            for line, row in enumerate(reader, start=2):
                try:
                    value = float(row["reads_per_month"])
                except (TypeError, ValueError):
                    value = -1.0
                if value < 0:
                    raise ContainmentInputError(f"--access-log {path}:{line}: reads_per_month must "
                                                f"be a number >= 0, got {row['reads_per_month']!r}")
                reads[_norm(row["table"])] = reads.get(_norm(row["table"]), 0.0) + value
            return reads
    except OSError as exc:
        raise ContainmentInputError(f"--access-log {path}: {exc}") from exc


def build_plan(spark, tables: dict[str, TableInfo], contained: list[tuple[str, str]], *,
               reads: dict[str, float] | None, plan: PlanConfig, multiset: bool,
               measured_rate: float | None) -> tuple[dict, dict]:
    """``(plan.json document, {keys file: DataFrame of row keys to store})``."""
    if plan.scan_bytes_per_second:
        rate, source = plan.scan_bytes_per_second, "given"
    elif measured_rate:
        rate, source = measured_rate, "measured in the content stage"
    else:
        rate, source = DEFAULT_SCAN_RATE, "default"
    # Rebuilds go through Spark, which has no nanosecond type: a table with nanosecond
    # timestamps (as child or as parent) could not come back exactly, so it is not planned.
    unplannable = sorted({t for pair in contained for t in pair if tables[t].nanos})
    contained = [(c, p) for c, p in contained if not tables[c].nanos and not tables[p].nanos]
    plan_tables = {n: PlanTable(bytes=t.data_bytes, reads_per_month=(
        DEFAULT_READS if reads is None else reads.get(n, 0.0))) for n, t in tables.items()}
    result = plan_deletions(plan_tables, contained, scan_rate=rate, config=plan)
    entries, key_frames = [], {}
    for i, (child, parent) in enumerate(sorted(result.deleted.items())):
        info, pinfo = tables[child], tables[parent]
        select, keys_df = selection(spark, info, pinfo, multiset=multiset)
        if keys_df is not None:
            select["file"] = f"plan_keys/{i:04d}.parquet"
            key_frames[select["file"]] = keys_df
        names = {c.key: c.name for c in pinfo.columns}
        chain, cur = [], child
        while cur in result.deleted:
            cur = result.deleted[cur]
            chain.append(cur)
        entries.append({
            "table": child, "parent": parent, "parent_format": pinfo.format,
            "parent_path": pinfo.path,
            "parent_options": pinfo.options or None, "chain": chain,
            "columns": [c.name for c in sorted(info.columns, key=lambda c: c.key)],
            "projection": {c.name: names[c.key] for c in info.columns},
            "select": select, "multiset": multiset, "bytes_saved": info.data_bytes,
            "rebuild_seconds": result.rebuild_seconds[child],
            "reads_per_month": plan_tables[child].reads_per_month})
    doc = {
        "advice_only": "nothing was deleted or moved; rebuild a table with "
                       "thresher.dedup.containment.rebuild.rebuild(spark, entry, out_dir=...)",
        "solver": result.solver,
        "scan_bytes_per_second": rate, "scan_rate_source": source,
        "reads_source": "uniform (1 a month)" if reads is None else "access log",
        "cost_per_month": {"before": result.cost_before, "after": result.cost_after,
                           "saved": result.cost_before - result.cost_after},
        "bytes_saved": sum(e["bytes_saved"] for e in entries),
        "params": plan.model_dump(),
        "deleted": entries,
        "access_log_unknown_tables": sorted(set(reads or {}) - set(tables)),
        "not_planned": [{"table": t, "reason": "nanosecond timestamps in " + ", ".join(sorted(tables[t].nanos))
                         + ": a rebuild through Spark would lose the nanoseconds"} for t in unplannable],
    }
    return doc, key_frames
