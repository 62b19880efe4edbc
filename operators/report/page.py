"""The report as one HTML page: inline CSS and SVG, no script, no network.

Everything that comes from data (reasons, ids, texts, details, recipe text) is
escaped: a rejected document may well contain ``<script>``.
"""
from __future__ import annotations

from html import escape

from . import svg
from .html import html_table, number
from .panels import Panels

CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;
text-align:right;vertical-align:top}td.l,th.l{text-align:left}pre{white-space:pre-wrap;
background:#f6f6f6;padding:6px;max-height:14em;overflow:auto}section{margin:2em 0}
.sample td{text-align:left}.input-metric p{margin:.2em 0 .2em 50px;font-size:13px}
.input-metric{margin-bottom:1.2em}.input-metric h3{font-size:14px;margin:.8em 0 0}"""


def funnel(p: Panels) -> str:
    rows, bars = [], []
    has_tokens = bool(p.tokens)
    for s in p.steps:
        reasons = s["dropped_by_reason"] or {}
        drop_chars = sum(p.chars.get((s["step"], r), 0) for r in reasons)
        row = [str(s["step"]), escape(s["op"]), number(s["rows_in"]), number(s["rows_out"]),
               number(s["dropped"]), number(drop_chars) if p.chars else "-"]
        if has_tokens:
            row.append(number(sum(p.tokens.get((s["step"], r), 0) for r in reasons)))
        row.append(number(s.get("seconds")))
        rows.append(row)
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
            r = ["", f"&nbsp;&nbsp;{escape(reason)}", "", "", number(n),
                 number(p.chars.get((s["step"], reason)))]
            rows.append(r + ([number(p.tokens.get((s["step"], reason)))] if has_tokens else []) + [""])
            bars.append((f"{s['step']} {reason}", n))
    head = ["step", "op / reason", "rows in", "rows kept", "rows dropped", "chars dropped"]
    head += ["tokens dropped"] if has_tokens else []
    head += ["seconds"]
    first, last = p.steps[0], p.steps[-1]
    kept_chars = p.chars.get("kept")
    dropped_chars = sum(v for k, v in p.chars.items() if k != "kept")
    totals = (f'<p class="totals">rows: <span id="rows-in">{first["rows_in"]:,}</span> in, '
              f'<span id="rows-kept">{last["rows_out"]:,}</span> kept, '
              f'<span id="rows-dropped">{first["rows_in"] - last["rows_out"]:,}</span> dropped')
    if kept_chars is not None:
        totals += (f'; characters: {kept_chars + dropped_chars:,} in, {kept_chars:,} kept, '
                   f'{dropped_chars:,} dropped (as each step saw the text)')
    if p.tokens.get("kept") is not None:
        totals += f'; tokens kept: {p.tokens["kept"]:,}'
    return (f'<section id="funnel"><h2>Funnel</h2>{totals}</p>'
            + svg.bars(bars, title="rows dropped per step and reason")
            + html_table(head, rows, "funnel") + "</section>")


def _sample_words(q: dict) -> str:
    n, rows_in, f = q["sampled"], q["rows_in"], q["fraction"]
    if f >= 1 and rows_in in (None, n):
        return f"all {n:,} rows of the step's input"
    if f >= 1:  # a step that drops some rows before its rules measure (dfn_filter's images)
        return f"the {n:,} rows it measured of the step's {rows_in:,} rows in"
    of = f" of {rows_in:,}" if rows_in is not None else ""
    return f"a {100 * f:.2g}% hash sample of the step's input: {n:,}{of} rows"


def _rule_words(q: dict, r: dict) -> str:
    reason, metric = escape(r["reason"]), escape(q["metric"])
    if r["bound"] is None:
        return f"{reason}: no bound recorded"
    if r["cut"]:
        side = "below" if r["drops_if"] == "<" else "above"
        words = (f'{reason}: <b>cut at {metric} = <span class="cut">{r["bound"]:.6g}</span></b>, '
                 f"the last kept row's score: rows scoring {side} it, and rows tied with it that "
                 "rank after it by id, are dropped")
    else:
        words = f"{reason} drops {metric} {escape(r['drops_if'] or '?')} {r['bound']:.6g}"
    if not r["shown"]:
        lo, hi = q["range"]
        words += (" (off the chart: no sampled value comes near it)" if lo is None
                  else f" (off the chart: the sampled values lie in [{lo:.4g}, {hi:.4g}])")
    return words


def input_panel(q: dict) -> str:
    t = q["totals"]
    title = (f"step {q['step']} {q['op']}: {q['metric']} over {_sample_words(q)}: "
             f"{t['kept']:,} kept, {t['dropped']:,} dropped" + (
                 f", {t['other']:,} dropped by another rule" if t["other"] else ""))
    lines = [(r["bound"], f"{'cut' if r['cut'] else 'threshold'} {r['bound']:.4g}")
             for r in q["rules"] if r["shown"]]
    notes = [_rule_words(q, r) for r in q["rules"]]
    if q["no_value"]:
        notes.append(f"{q['no_value']:,} rows have no {escape(q['metric'])} value (null or NaN, "
                     "which the bounds above never drop) and are not drawn")
    return (f'<div class="input-metric" data-step="{q["step"]}" data-metric="{escape(q["metric"])}">'
            f"<h3>{escape(title)}</h3>"
            + svg.histogram(q["edges"], q["counts"], title=title, lines=lines, show_title=False)
            + "".join(f"<p>{n}</p>" for n in notes) + "</div>")


def metrics(p: Panels) -> str:
    if not p.inputs and not p.metrics and not p.scores:
        return ""
    parts = ['<section id="metrics"><h2>Filter metrics</h2>']
    if p.inputs:
        parts.append("<p>Per filter step and metric, the measured value over the step's input "
                     "(recorded during the run, kept rows included), kept against dropped, "
                     "with each rule's bound drawn; select's cut is the last kept row's score. "
                     "Large runs record a sample chosen by a hash of the document id, the same "
                     "documents at every step.</p>")
        parts += [input_panel(q) for q in p.inputs]
    if p.metrics:
        why = ("the run wrote no metrics sample for these steps" if p.sampled else
               "the run wrote no metrics table beside its stats (a run of an older thresher)")
        parts.append(f"<p>Dropped rows only: the measured value of each dropped row, parsed "
                     f"from its reject detail, with the filter's threshold drawn; {why}, so "
                     "kept rows' values are not shown.</p>")
    for m in p.metrics:
        parts.append(svg.histogram(m["edges"], m["counts"], threshold=m["threshold"],
                                   title=f"step {m['step']} {m['reason']} ({m['rows']:,} dropped; "
                                         "dropped rows only)"))
    for s in p.scores:
        parts.append(svg.histogram(s["edges"], s["counts"],
                                   title=f"column {s['column']}: kept vs dropped"))
    return "".join(parts) + "</section>"


def dedup(p: Panels) -> str:
    parts = []
    if p.clusters:
        parts.append(svg.bars([(f"size {k}", v) for k, v in p.clusters["sizes"].items()],
                              title="near-duplicate clusters by size", color="#5a6fb0"))
        for c in p.clusters["largest"]:
            j = "-" if c["jaccard"] is None else f"{c['jaccard']:.2f}"
            parts.append(f"<h3>cluster {escape(c['cluster'])}: {c['size']} members, word 5-gram "
                         f"Jaccard {j}</h3>" + html_table(["kept", "dropped member"], [[
                             f"<pre>{escape((c['keeper'] or '(not in the kept output)')[:600])}</pre>",
                             f"<pre>{escape((c['member'] or '')[:600])}</pre>"]], "sample"))
    if p.copies:
        parts.append(svg.bars([(f"{k} extra copies", v) for k, v in p.copies["copies"].items()],
                              title="exact duplicates: texts by copies dropped", color="#5a6fb0"))
    return f'<section id="dedup"><h2>Duplicates</h2>{"".join(parts)}</section>' if parts else ""


def samples(p: Panels) -> str:
    if not p.samples:
        return ""
    parts = ['<section id="samples"><h2>Samples of rejected documents</h2><p>The rejects with '
             "the smallest hash of their id per reason (the same every time), text cut at "
             "600 characters.</p>"]
    for reason, rows in sorted(p.samples.items()):
        body = [[escape(r["id"]), escape(r["drop_detail"] or ""), number(r["chars"]),
                 f"<pre>{escape(r['text'] or '')}</pre>"] for r in rows]
        parts.append(f'<h3>{escape(reason)}</h3>'
                     + html_table(["id", "detail", "chars", "text"], body, "sample"))
    return "".join(parts) + "</section>"


def run_info(p: Panels, recipe_text: str | None, versions: dict, paths: dict, extra: dict) -> str:
    rows = [[escape(k), escape(str(v))] for k, v in (
        ("recipe", p.run["recipe"]), ("recipe hash", p.run["recipe_hash"]), ("run id", p.run["run_id"]),
        ("started (UTC)", p.run["started_at"]), *extra.items(),
        *((f"{label} table", where) for label, where in paths.items()),
        *((f"{label} Delta version", v) for label, v in versions.items()))]
    details = [[str(s["step"]), escape(s["op"]) + "".join(
        f"<br>{escape(k)}={v:,.3g}" for k, v in sorted((s.get("details") or {}).items()))]
        for s in p.steps if s.get("details")]
    out = '<section id="run"><h2>Run</h2>' + html_table(["what", "value"], rows, "run")
    if details:
        out += html_table(["step", "measured"], details, "details")
    if recipe_text:
        out += f"<h3>recipe</h3><pre>{escape(recipe_text)}</pre>"
    notes = "".join(f"<li>{escape(n)}</li>" for n in p.notes)
    return out + (f"<ul>{notes}</ul>" if notes else "") + "</section>"


def render(p: Panels, *, recipe_text: str | None = None, versions: dict | None = None,
           paths: dict | None = None, extra: dict | None = None) -> str:
    title = f"thresher run report: {p.run['recipe']}"
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1>" + funnel(p) + metrics(p) + dedup(p) + samples(p)
            + run_info(p, recipe_text, versions or {}, paths or {}, extra or {}) + "</body></html>")
