"""Inline SVG charts, written by hand so the report needs no network and no JS library.

Every label goes through ``html.escape``: reason names and column names come from
user recipes and inputs.
"""
from __future__ import annotations

from html import escape

WIDTH, BAR_H, GAP = 900, 18, 4
KEPT, DROPPED, OTHER, LINE = "#4c9a6a", "#c8553d", "#b5b5b5", "#222"
COLORS = {"kept": KEPT, "dropped": DROPPED, "other": OTHER}
LEGEND = {"other": "dropped by another rule"}


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3g}"


def bars(rows: list[tuple[str, float]], *, title: str, color: str = DROPPED) -> str:
    """Horizontal bars, one per (label, value): the funnel's drops per reason."""
    if not rows:
        return ""
    label_w, top = 430, 24  # long reasons (op:rule) fit beside the bar
    scale = max(v for _, v in rows) or 1
    height = top + len(rows) * (BAR_H + GAP) + 8
    parts = [f'<svg class="chart bars" role="img" xmlns="http://www.w3.org/2000/svg" '
             f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">',
             f'<title>{escape(title)}</title>',
             f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>']
    for i, (label, value) in enumerate(rows):
        y = top + i * (BAR_H + GAP)
        w = max(1.0, (WIDTH - label_w - 90) * value / scale) if value else 0
        parts += [f'<text x="0" y="{y + 13}" font-size="12">{escape(label)}</text>',
                  f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{BAR_H}" fill="{color}"/>',
                  f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" font-size="12">{_num(value)}</text>']
    parts.append("</svg>")
    return "".join(parts)


def histogram(edges: list[float], series: dict[str, list[int]], *, title: str,
              threshold: float | None = None, lines: list[tuple[float, str]] = (),
              show_title: bool = True) -> str:
    """Stacked histogram over ``len(edges) - 1`` buckets; ``series`` maps a name (kept,
    dropped, other) to counts per bucket; ``threshold`` and each ``(value, label)`` of
    ``lines`` drawn as a vertical line. ``show_title=False``: the page heads it (a long
    title wraps in HTML, not in SVG)."""
    buckets = len(edges) - 1
    if buckets < 1 or not series:
        return ""
    lines = [*lines, *([(threshold, f"threshold {threshold:.4g}")] if threshold is not None else [])]
    left, top, plot_w, plot_h = 50, 24, WIDTH - 70, 160
    height = top + plot_h + 40
    totals = [sum(s[i] for s in series.values()) for i in range(buckets)]
    peak = max(totals) or 1
    lo, hi = edges[0], edges[-1]
    span = (hi - lo) or 1.0
    bw = plot_w / buckets
    parts = [f'<svg class="chart histogram" role="img" xmlns="http://www.w3.org/2000/svg" '
             f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">',
             f'<title>{escape(title)}</title>',
             *([f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>'] if show_title else []),
             f'<text x="0" y="{top + 10}" font-size="11">{peak:,}</text>']
    for i in range(buckets):
        base = top + plot_h
        for name, counts in series.items():
            h = plot_h * counts[i] / peak
            if h:
                parts.append(f'<rect class="bar-{escape(name)}" x="{left + i * bw:.1f}" '
                             f'y="{base - h:.1f}" width="{max(bw - 1, 1):.1f}" height="{h:.1f}" '
                             f'fill="{COLORS.get(name, "#888")}"><title>{escape(name)} '
                             f'[{edges[i]:.4g}, {edges[i + 1]:.4g}): {counts[i]:,}</title></rect>')
            base -= h
    axis_y = top + plot_h
    parts += [f'<line x1="{left}" y1="{axis_y}" x2="{left + plot_w}" y2="{axis_y}" stroke="{LINE}"/>',
              f'<text x="{left}" y="{axis_y + 14}" font-size="11">{lo:.4g}</text>',
              f'<text x="{left + plot_w}" y="{axis_y + 14}" font-size="11" '
              f'text-anchor="end">{hi:.4g}</text>']
    for i, (value, label) in enumerate(v for v in lines if lo <= v[0] <= hi):
        x = left + plot_w * (value - lo) / span
        # The label goes on the side with room, so a threshold at the edge stays readable;
        # one line below the other, so two bounds close together do not overlap.
        anchor, dx = ("end", -3) if x > left + plot_w / 2 else ("start", 3)
        parts += [f'<line class="threshold" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y}" '
                  f'stroke="{LINE}" stroke-dasharray="4 3"/>',
                  f'<text x="{x + dx:.1f}" y="{top + 22 + 13 * i}" font-size="11" '
                  f'text-anchor="{anchor}">{escape(label)}</text>']
    legend_y = axis_y + 32
    for j, name in enumerate(series):
        parts += [f'<rect x="{left + j * 170}" y="{legend_y - 10}" width="10" height="10" '
                  f'fill="{COLORS.get(name, "#888")}"/>',
                  f'<text x="{left + j * 170 + 14}" y="{legend_y}" font-size="11">'
                  f'{escape(LEGEND.get(name, name))}</text>']
    parts.append("</svg>")
    return "".join(parts)
