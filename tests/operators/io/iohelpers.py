"""Small helpers shared by the I/O tests (a uniquely named module, importable by basename)."""
from __future__ import annotations

from pathlib import Path


def snapshot(root) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones included) -> its bytes."""
    root = Path(root)
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def visible(parent) -> list[str]:
    return sorted(p.name for p in Path(parent).iterdir() if not p.name.startswith((".", "_")))


def rows(df, *cols):
    cols = cols or tuple(df.columns)
    return sorted((tuple(r[c] for c in cols) for r in df.collect()), key=_none_last)


def _none_last(row):
    return tuple((v is None, v) for v in row)
