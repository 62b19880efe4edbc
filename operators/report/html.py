"""The HTML pieces every thresher page shares: numbers as a reader expects them and
tables whose first two columns (names) align left, the rest (numbers) right."""
from __future__ import annotations

from html import escape


def number(value) -> str:
    """``1234`` -> ``1,234``; ``0.5`` -> ``0.50``; None -> ``-``."""
    return "-" if value is None else f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def html_table(head: list[str], rows: list[list], cls: str = "") -> str:
    """A table of ``rows`` (cells already HTML: escape what comes from data) under
    ``head`` (escaped here)."""
    left = {0, 1}
    th = "".join(f'<th class="l">{escape(h)}</th>' if i in left else f"<th>{escape(h)}</th>"
                 for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f'<td class="l">{c}</td>' if i in left else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'
