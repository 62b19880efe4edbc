"""The output folder: edges.parquet, stages.json, skipped.json, tables.json (each
analysed table's path, format, bytes and rows), graph.svg and report.html, written all
at once (a staging folder swapped in), so a failed run leaves the previous result
intact. ``rebuild_report(path)`` writes report.html again from the other files
(``thresher report OUT``), after a thresher upgrade or a lost page.

The folder must be new, empty, or a previous containment output: the swap
replaces it whole, and the job refuses to replace anything else. Example::

    fs, path = check_output("out/containment")
    write_outputs(fs, path, edges=edges, stages={...}, skipped={...})
"""
from __future__ import annotations

import json
import os
import posixpath

import pyarrow.parquet as pq

from thresher.operators.errors import ContainmentInputError, OutputError
from thresher.operators.io.fs import get_fs, is_hidden, staging_cleanup, uri_scheme
from thresher.operators.io.parquet import STAGING, new_run_tag, recover, sibling, swap_in

from .edges import Edge, edges_table
from .report_html import containment_html
from .stats import TableStats
from .svg import containment_svg
from .tables import TableInfo

FILES = ("edges.parquet", "stages.json", "skipped.json", "tables.json", "graph.svg",
         "report.html")


def check_output(out: str):
    """``(fs, path)`` of the output folder, after checking it may be replaced (see above)."""
    scheme = uri_scheme(out)
    if scheme not in (None, "file"):
        # Said before any session is asked for: on classic Spark and on Connect alike the
        # output is written by the driver's own filesystem, whatever the lake is on.
        raise ContainmentInputError(f"--out {out!r}: the output must be a local folder, not a "
                                    f"{scheme}: URI (on Databricks, a /Volumes/... or "
                                    "/dbfs/... path; the sources may be remote)")
    try:
        fs, path = get_fs(out)
    except OutputError as exc:
        raise ContainmentInputError(f"--out {out!r}: {exc}") from exc
    if not fs.local:
        raise ContainmentInputError(f"--out {out!r}: the output must be a local folder "
                                    "(on Databricks, a /dbfs/... or /Volumes/... path)")
    if fs.exists(path):
        if not fs.is_dir(path):
            raise ContainmentInputError(f"--out {path} exists and is a file; give a folder")
        visible = [e for e in fs.list(path) if not is_hidden(posixpath.basename(e.path))]
        if visible and not fs.exists(posixpath.join(path, "stages.json")):
            raise ContainmentInputError(
                f"--out {path} exists and is not a containment output (no stages.json); "
                "give a new or empty folder: the output replaces the folder whole")
    return fs, path


def default_cache_dir(path: str) -> str:
    """Where CSV statistics are cached unless told: a hidden folder beside the output."""
    parent, name = posixpath.split(path.rstrip("/"))
    return posixpath.join(parent, f".{name}.stats-cache")


def write_outputs(fs, path: str, *, edges: list[Edge], stages: dict, skipped: dict,
                  plan: dict | None = None, key_frames: dict | None = None,
                  tables: dict[str, TableInfo] | None = None) -> dict[str, str]:
    """Write the outputs into ``path`` atomically (with ``plan``: plan.json, and each
    DataFrame of ``key_frames`` as Parquet at its relative path); ``tables``, the analysed
    tables, give report.html their sizes. Returns name -> path."""
    os.makedirs(posixpath.dirname(path), exist_ok=True)
    recover(fs, path, cleanup=True)
    tag = new_run_tag({"run_id": "containment"})
    staging = sibling(path, STAGING, tag)
    with staging_cleanup(fs, staging, f"writing containment output {path} failed; the previous "
                         "output is intact"):
        os.makedirs(staging)
        pq.write_table(edges_table(edges), posixpath.join(staging, "edges.parquet"))
        for name, data in (("stages.json", stages), ("skipped.json", skipped),
                           ("tables.json", tables_summary(tables or {}))):
            _write_json(posixpath.join(staging, name), data)
        svg = containment_svg([(e.child, e.parent, e.verdict) for e in edges])
        with open(posixpath.join(staging, "graph.svg"), "w", encoding="utf-8") as f:
            f.write(svg)
        names = list(FILES)
        if plan is not None:
            _write_json(posixpath.join(staging, "plan.json"), plan)
            names.append("plan.json")
            for rel, df in (key_frames or {}).items():
                df.coalesce(1).write.parquet(fs.spark_path(posixpath.join(staging, rel)))
        # Last, from the same documents the other files hold, so its numbers are theirs.
        html = containment_html(edges=edges, stages=stages, skipped=skipped, plan=plan,
                                tables=tables or {}, out=path)
        with open(posixpath.join(staging, "report.html"), "w", encoding="utf-8") as f:
            f.write(html)
        swap_in(fs, staging, path, tag)
    return {name: posixpath.join(path, name) for name in names}


def tables_summary(tables: dict[str, TableInfo]) -> dict[str, dict]:
    """What report.html shows of each analysed table (tables.json)."""
    return {name: {"path": t.path, "format": t.format, "data_bytes": t.data_bytes,
                   "rows": t.stats.rows} for name, t in sorted(tables.items())}


def is_containment_output(path: str) -> bool:
    return all(os.path.isfile(os.path.join(path, f)) for f in ("stages.json", "edges.parquet"))


def rebuild_report(path: str) -> str:
    """report.html of the containment output at ``path``, written again from its files
    (tables without a tables.json, from an older thresher, show no sizes)."""
    if not is_containment_output(path):
        raise ContainmentInputError(f"{path} is not a containment output (no stages.json and "
                                    "edges.parquet)")
    edges = [Edge(r["child"], r["parent"], list(r["columns"]), r["verdict"], r["decided_at"],
                  r["rule"], json.loads(r["evidence"]) if r["evidence"] else {})
             for r in pq.read_table(os.path.join(path, "edges.parquet")).to_pylist()]
    loaded = {}
    for name in ("stages.json", "skipped.json", "tables.json", "plan.json"):
        file = os.path.join(path, name)
        if os.path.isfile(file):
            with open(file, encoding="utf-8") as f:
                loaded[name] = json.load(f)
    tables = {name: TableInfo(name, t["path"], t["format"], [], TableStats(rows=t["rows"]),
                              data_bytes=t["data_bytes"])
              for name, t in loaded.get("tables.json", {}).items()}
    html = containment_html(edges=edges, stages=loaded["stages.json"],
                            skipped=loaded.get("skipped.json", {}), plan=loaded.get("plan.json"),
                            tables=tables, out=path)
    target = os.path.join(path, "report.html")
    with open(target + ".tmp", "w", encoding="utf-8") as f:  # swapped in whole
        f.write(html)
    os.replace(target + ".tmp", target)
    return target


def _write_json(path: str, data) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, default=str)
        f.write("\n")
