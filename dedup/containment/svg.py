"""A picture of the containment graph: transitive edges reduced, hand-written SVG.

Tables contained in each other (equal row sets) are drawn as one box. An arrow
A -> B means every row of A is in B; an arrow implied by a longer path (A -> B
-> C makes A -> C redundant) is left out. Parents sit above their children;
dashed arrows are ``probable`` (sample test only). Example::

    svg = containment_svg([("/lake/a", "/lake/b", "contained")])
    open("graph.svg", "w").write(svg)
"""
from __future__ import annotations

import os
from xml.sax.saxutils import escape

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN, MAX_LABEL = 220, 34, 30, 70, 30, 30
LINE_H, MAX_NAMES = 14, 6  # a merged box: one line per equal table
TITLE_CHAR_W = 8  # px per character of the 14 px title, generous so it never overflows


def _classes(nodes: set[str], edges: set[tuple[str, str]]) -> dict[str, str]:
    """Each table -> the smallest name of its class of mutually contained tables."""
    parent = {n: n for n in nodes}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        if (b, a) in edges:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {n: find(n) for n in nodes}


def transitive_reduction(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The edges of a DAG not implied by a longer path."""
    succ: dict[str, set[str]] = {}
    for a, b in edges:
        succ.setdefault(a, set()).add(b)
    memo: dict[str, set[str]] = {}

    def below(n):  # every node reachable from n
        if n not in memo:
            memo[n] = set()
            for m in succ.get(n, ()):
                memo[n] |= {m} | below(m)
        return memo[n]

    return {(a, b) for a, b in edges
            if not any(b in below(w) for w in succ.get(a, ()) if w != b)}


def _box_lines(names: list[str], prefix: str) -> list[str]:
    """The lines a box shows: its table, then each table equal to it ("= name"), those
    past MAX_NAMES counted."""
    shown = [_label(names[0], prefix)] + [f"= {_label(m, prefix)}" for m in names[1:MAX_NAMES]]
    if len(names) > MAX_NAMES:
        shown.append(f"(+{len(names) - MAX_NAMES} more equal)")
    return shown


def _label(name: str, prefix: str) -> str:
    rel = name[len(prefix):] if prefix and name.startswith(prefix) else name
    return rel if len(rel) <= MAX_LABEL else "…" + rel[-(MAX_LABEL - 1):]


def containment_svg(edges: list[tuple[str, str, str]], sizes: dict[str, str] | None = None) -> str:
    """SVG of ``edges`` (child, parent, verdict) whose verdict is contained or probable;
    ``sizes`` (table -> "1.2 MB, 100 rows") adds a second line to each box (report.html)."""
    sizes = sizes or {}
    box_h = BOX_H + (14 if sizes else 0)
    kept = [(a, b, v) for a, b, v in edges if v in ("contained", "probable")]
    nodes = {n for a, b, _ in kept for n in (a, b)}
    cls = _classes(nodes, {(a, b) for a, b, _ in kept})
    members: dict[str, list[str]] = {}
    for n in sorted(nodes):
        members.setdefault(cls[n], []).append(n)
    style = {}
    for a, b, v in kept:
        if cls[a] != cls[b]:
            key = (cls[a], cls[b])
            style[key] = "contained" if v == "contained" or style.get(key) == "contained" else v
    dag = transitive_reduction(set(style))
    ups: dict[str, set[str]] = {}
    for a, b in dag:
        ups.setdefault(a, set()).add(b)
    layer: dict[str, int] = {}

    def depth(n):  # parents on top: a node sits one row below its lowest parent
        if n not in layer:
            layer[n] = 0
            layer[n] = 1 + max((depth(p) for p in ups.get(n, ())), default=-1)
        return layer[n]

    for n in members:
        depth(n)
    rows: dict[int, list[str]] = {}
    for n in sorted(members):
        rows.setdefault(layer[n], []).append(n)
    x: dict[str, float] = {}
    for r in sorted(rows):
        if r:  # order a row by where its parents are (fewer crossings)
            rows[r].sort(key=lambda n: (sum(x[p] for p in ups.get(n, ())) / max(1, len(ups.get(n, ()))), n))
        for i, n in enumerate(rows[r]):
            x[n] = MARGIN + i * (BOX_W + GAP_X)
    prefix = os.path.commonpath(sorted(nodes)) + "/" if len(nodes) > 1 and all(
        n.startswith("/") for n in nodes) else ""
    title = ("Containment: an arrow A → B means every row of A is in B"
             + (f" (under {prefix})" if prefix else ""))
    # Every name of a merged box is written in it (a hover tooltip is no help on paper
    # or in a screenshot), up to MAX_NAMES lines; boxes, and so rows, grow to fit.
    lines = {n: _box_lines(members[n], prefix) for n in members}
    box_h = {n: BOX_H + LINE_H * (len(lines[n]) - 1) + (LINE_H if sizes else 0) for n in members}
    row_top, top = {}, MARGIN + 30
    for r in sorted(rows):
        row_top[r] = top
        top += max(box_h[n] for n in rows[r]) + GAP_Y
    width = MARGIN * 2 + max(max((len(v) for v in rows.values()), default=1) * (BOX_W + GAP_X) - GAP_X,
                             TITLE_CHAR_W * len(title))
    height = (top - GAP_Y if rows else MARGIN + 30) + MARGIN  # no gap below the last row

    def y(n):
        return row_top[layer[n]]

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
           'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
           f'<text x="{MARGIN}" y="{MARGIN}" font-size="14">{escape(title)}</text>']
    for a, b in sorted(dag):
        dash = ' stroke-dasharray="5,4"' if style[(a, b)] == "probable" else ""
        out.append(f'<line x1="{x[a] + BOX_W / 2}" y1="{y(a)}" x2="{x[b] + BOX_W / 2}" '
                   f'y2="{y(b) + box_h[b]}" stroke="#444"{dash} marker-end="url(#arrow)"/>')
    for n in sorted(members):
        names = members[n]
        tip = [m + (f": {sizes[m]}" if m in sizes else "") for m in names]
        text = "".join(f'<text x="{x[n] + BOX_W / 2}" y="{y(n) + BOX_H / 2 + 4 + i * LINE_H}" '
                       f'text-anchor="middle">{escape(line)}</text>' for i, line in enumerate(lines[n]))
        size = (f'<text x="{x[n] + BOX_W / 2}" y="{y(n) + box_h[n] - 8}" text-anchor="middle" '
                f'font-size="10" fill="#555">{escape(sizes[n])}</text>') if n in sizes else ""
        out.append(f'<g><title>{escape(chr(10).join(tip))}</title>'
                   f'<rect x="{x[n]}" y="{y(n)}" width="{BOX_W}" height="{box_h[n]}" rx="5" '
                   f'fill="#eef4fb" stroke="#36c"/>{text}{size}</g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
