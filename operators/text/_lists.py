"""Word and block lists read from files on the driver (bad words, URL block lists).

A list file holds one entry per line; blank lines and lines starting with ``#`` are
skipped, surrounding whitespace is stripped. A missing, unreadable or empty list is a
``RecipeError`` naming the param, raised from ``check_placement`` (before Spark starts).
"""
from __future__ import annotations

import os

from ..errors import RecipeError


def read_list(path: str, *, param: str, lower: bool = False) -> list[str]:
    """The entries of the list file at ``path`` (first occurrence order, duplicates dropped)."""
    if not os.path.isfile(path):
        raise RecipeError(f"list file not found: {path}", param=param)
    try:
        with open(path, encoding="utf-8") as fh:
            raw = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipeError(f"cannot read list file {path}: {exc}", param=param) from None
    entries = [ln.strip() for ln in raw.splitlines()]
    entries = [e.lower() if lower else e for e in entries if e and not e.startswith("#")]
    if not entries:
        raise RecipeError(f"list file {path} has no entries (one per line; '#' starts a comment)",
                          param=param)
    return list(dict.fromkeys(entries))
