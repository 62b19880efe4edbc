"""report.html: one self-contained page (inline CSS and SVG, no script, no network) of
what a containment run found, built from the run's own outputs, never by rerunning it.

Panels: the stage funnel (pairs each stage pruned, verdicts), the containment graph
with each table's bytes and rows, the deletion plan's savings (with ``--plan``), the
tables it skipped, and the run's config. It shares the run report's look and its bar
chart (operators/report). Table names come from the lake and are escaped everywhere.
Example::

    html = containment_html(edges=edges, stages=stages, skipped=skipped, plan=None,
                            tables={"/lake/a": TableInfo(...)})
"""
from __future__ import annotations

import os
import platform
from collections import Counter
from html import escape

from thresher.operators.report import svg as charts
from thresher.operators.report.html import html_table, number
from thresher.operators.report.page import CSS

from .edges import DECIDED_AT, VERDICTS, Edge
from .svg import containment_svg
from .tables import TableInfo

# Each funnel stage: what its surviving pairs are, as a reader of the report says it.
_FUNNEL = (("schema", "schema-compatible pairs (of all ordered pairs)"),
           ("stats", "left after min/max and count statistics"),
           ("content", "left after the content sample test"),
           ("verified", "verified contained (exact check)"))


def human_bytes(n: int | None) -> str:
    """``1234567`` -> ``1.2 MB`` (decimal units, as storage is priced)."""
    if n is None:
        return "?"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n} B"  # not reached


def _g(value) -> str:
    """Seconds and prices, which may be tiny: four significant digits, not two decimals."""
    return "-" if value is None else f"{value:,.4g}"


def _span(id_: str, value, fmt=number) -> str:
    return f'<span id="{id_}">{fmt(value)}</span>'


def _short(names: list[str]) -> dict[str, str]:
    """Chart labels: names less their common folder, cut to fit beside the bar."""
    prefix = os.path.commonpath(names) + "/" if len(names) > 1 and all(
        n.startswith("/") for n in names) else ""
    rel = {n: n[len(prefix):] if prefix and n.startswith(prefix) else n for n in names}
    return {n: r if len(r) <= 60 else "…" + r[-59:] for n, r in rel.items()}


def funnel(stages: dict, edges: list[Edge]) -> str:
    """Pairs in and out of each stage (stages.json), and edges by deciding stage and verdict."""
    by = {s["stage"]: s for s in stages["stages"]}
    exact = stages["config"].get("verify") == "exact"
    rows, bars = [], [("all ordered pairs", by["schema"]["pairs_before"])]
    for name, what in _FUNNEL:
        s = by[name]
        before, after = s["pairs_before"], s["pairs_after"]
        pruned = before - after if name != "verified" or exact else None
        rows.append([name, escape(what), number(before), number(after), number(pruned),
                     number(s["seconds"]), number(s["bytes_read"])])
        if name != "verified" or exact:
            bars.append((what, after))
    v = stages["verdicts"]
    totals = ("<p>verdicts: " + ", ".join(f'{_span("verdict-" + k, v[k])} {k.replace("_", " ")}'
                                          for k in VERDICTS) + "</p>")
    if not exact:
        totals += ("<p>--verify sample: pairs that pass the sample test are <em>probable</em>, "
                   "not verified.</p>")
    rules = sorted((by["stats"].get("pruned_by_rule") or {}).items(),
                   key=lambda kv: (-kv[1], kv[0]))
    rule_table = html_table(["rule", "pairs pruned"],
                            [[escape(r), number(c)] for r, c in rules], "rules")
    content = by["content"]
    sample = (f"<p>content stage: {number(content.get('sampled_pairs'))} pairs took the sample test, "
              f"{number(content.get('direct_pairs'))} went straight to verification.</p>")
    decided = Counter((e.decided_at, e.verdict) for e in edges)
    matrix = [[stage, number(sum(decided[(stage, k)] for k in VERDICTS)),
               *(number(decided[(stage, k)]) for k in VERDICTS)] for stage in DECIDED_AT]
    return ('<section id="funnel"><h2>Stage funnel</h2>' + totals
            + charts.bars(bars, title="pairs left after each stage", color="#5a6fb0")
            + html_table(["stage", "what is left", "pairs in", "pairs out", "pruned", "seconds",
                          "bytes read"], rows, "funnel") + sample
            + ("<h3>pruned by statistics, per rule</h3>" + rule_table if rules else "")
            + "<h3>edges.parquet by deciding stage and verdict</h3>"
            + html_table(["decided at", "pairs decided", *VERDICTS], matrix, "decided") + "</section>")


def _sizes(tables: dict[str, TableInfo]) -> dict[str, str]:
    return {n: f"{human_bytes(t.data_bytes)}, {number(t.stats.rows)} rows" for n, t in tables.items()}


def graph(edges: list[Edge], tables: dict[str, TableInfo], plan: dict | None) -> str:
    """The containment graph with sizes in its boxes, and every analysed table's size."""
    picture = containment_svg([(e.child, e.parent, e.verdict) for e in edges], sizes=_sizes(tables))
    found = [e for e in edges if e.verdict in ("contained", "probable")]
    parents, children = Counter(e.child for e in found), Counter(e.parent for e in found)
    deleted = {d["table"]: d["parent"] for d in (plan or {}).get("deleted", [])}
    rows = []
    for name, t in sorted(tables.items()):
        action = f"delete, rebuild from {escape(deleted[name])}" if name in deleted else (
            "keep" if plan is not None else "")
        # The plan's action second: the report's tables left-align their first two columns.
        rows.append([escape(name)] + ([action] if plan is not None else [])
                    + [escape(t.format), number(t.data_bytes), number(t.stats.rows),
                       number(parents[name]), number(children[name])])
    head = ["table"] + (["plan"] if plan is not None else [])
    head += ["format", "bytes", "rows", "contained in", "contains"]
    return ('<section id="graph"><h2>Containment graph</h2><p>An arrow A → B: every row of A '
            "is in B (dashed: probable); arrows implied by a longer path are left out, equal "
            "tables share a box. graph.svg beside this page is the same picture without sizes.</p>"
            f'<div class="graph">{picture}</div><h3>tables analysed</h3>'
            + html_table(head, rows, "tables") + "</section>")


def plan_panel(plan: dict | None) -> str:
    """The deletion plan's savings: bytes, monthly cost, rebuild seconds against the bound."""
    if plan is None:
        return ""
    bound = plan["params"].get("max_rebuild_seconds")
    deleted = plan["deleted"]
    longest = max((d["rebuild_seconds"] for d in deleted), default=None)
    c = plan["cost_per_month"]
    saved = plan["bytes_saved"]
    limit = _span("rebuild-bound", bound, _g) + " s" if bound is not None else (
        '<span id="rebuild-bound">none</span>')
    totals = (f'<p>delete {_span("tables-deleted", len(deleted))} tables, saving '
              f'{_span("bytes-saved", saved)} bytes ({human_bytes(saved)}); cost a month '
              f'{_span("cost-before", c["before"], _g)} → {_span("cost-after", c["after"], _g)} '
              f'(saved {_span("cost-saved", c["saved"], _g)}).</p>'
              f'<p>Rebuild latency bound: {limit}; longest rebuild in the plan: '
              f'{_span("longest-rebuild", longest, _g)} s. Solver {escape(plan["solver"])}, scan rate '
              f'{human_bytes(plan["scan_bytes_per_second"])}/s ({escape(plan["scan_rate_source"])}), '
              f'reads a month: {escape(plan["reads_source"])}. Advice only: nothing was deleted.</p>')
    rows = [[escape(d["table"]), escape(d["parent"]), number(d["bytes_saved"]), _g(d["rebuild_seconds"]),
             number(d["reads_per_month"]), escape(d["select"]["kind"])] for d in deleted]
    parts = ['<section id="plan"><h2>Deletion plan</h2>', totals]
    if deleted:
        short = _short([d["table"] for d in deleted])
        parts.append(charts.bars([(short[d["table"]], d["bytes_saved"]) for d in deleted],
                                 title="bytes saved per deleted table", color="#4c9a6a"))
        parts.append(html_table(["table", "rebuilt from", "bytes saved", "rebuild seconds",
                             "reads a month", "rows selected by"], rows, "deleted"))
    skipped = [[escape(t["table"]), escape(t["reason"])] for t in plan.get("not_planned", [])]
    if skipped:
        parts.append("<h3>not planned</h3>" + html_table(["table", "why"], skipped, "not-planned"))
    return "".join(parts) + "</section>"


def skipped_panel(skipped: dict) -> str:
    """skipped.json: unreadable, empty and case-conflicting tables."""
    rows = [[escape(s["table"]), escape(s["reason"])] for s in skipped.get("skipped", [])]
    rows += [[escape(s["table"]), "empty (0 rows: contained in every table)"]
             for s in skipped.get("empty", [])]
    rows += [[escape(s["table"]), escape("columns equal but for case: " + "; ".join(
        ", ".join(g) for g in s["columns"]))] for s in skipped.get("case_conflicts", [])]
    if not rows:
        return ""
    return ('<section id="skipped"><h2>Not analysed</h2>'
            + html_table(["table", "why"], rows, "skipped") + "</section>")


def run_info(stages: dict, out: str) -> str:
    """Where the outputs are, what the run read, its config and versions."""
    from importlib.metadata import PackageNotFoundError, version

    from thresher import __version__

    try:
        spark_version = version("pyspark")
    except PackageNotFoundError:
        spark_version = "-"
    t = stages["tables"]
    rows = [["output", escape(out)], ["tables", escape(
        f"{t['found']} found, {t['analysed']} analysed, {t['skipped']} skipped, {t['empty']} empty, "
        f"{t['case_conflicts']} with case-conflicting columns")],
        ["data bytes", number(stages.get("data_bytes"))],
        ["thresher version", escape(__version__)], ["pyspark version", escape(spark_version)],
        ["python version", escape(platform.python_version())]]
    rows += [[f"config {escape(k)}", escape(str(v))] for k, v in sorted(stages["config"].items())]
    rows += [["note", escape(n)] for n in stages.get("notes", [])]  # what ran differently
    return '<section id="run"><h2>Run</h2>' + html_table(["what", "value"], rows, "run") + "</section>"


def containment_html(*, edges: list[Edge], stages: dict, skipped: dict, plan: dict | None,
                     tables: dict[str, TableInfo], out: str) -> str:
    """The page, from what the run computed (``tables``: the analysed tables)."""
    title = "thresher containment report"
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>{CSS}\n.graph{{overflow-x:auto}}</style></head><body>"
            f"<h1>{title}</h1>" + funnel(stages, edges) + graph(edges, tables, plan)
            + plan_panel(plan) + skipped_panel(skipped) + run_info(stages, out) + "</body></html>")
