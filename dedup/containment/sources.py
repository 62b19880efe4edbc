"""Finding the tables of a lake: Parquet datasets and files, Delta tables, CSV files,
and Spark catalog tables.

A SOURCE is a file, a folder or a glob, or ``catalog:DB.*`` / ``catalog:DB.TABLE``
(tables of the Spark catalog, see catalog.py). Each folder is classified:

* a Delta table: it holds a ``_delta_log`` with commits;
* a dataset (one table): it holds a ``_SUCCESS`` marker, Hive partition folders
  (``key=value``), or only ``part-*`` files; its format is its files' (Parquet
  or CSV);
* otherwise a lake folder: each visible file (``.parquet``, ``.csv``) is a table
  of its own and each subfolder is classified in turn.

Names starting with ``_`` or ``.`` are ignored (as Spark does). A table's name is
its normalised path, which is stable from run to run. Example::

    found = discover(["/lake", "/other/*.csv"])
    [t.name for t in found.tables]      # ['/lake/orders', '/lake/orders_2024.csv', ...]
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from thresher.operators.errors import ContainmentInputError, OutputError
from thresher.operators.io.delta import is_delta_table
from thresher.operators.io.fs import get_fs, is_hidden, walk_files

FORMATS = ("parquet", "delta", "csv", "catalog")
_EXTENSIONS = {".parquet": "parquet", ".parq": "parquet", ".pq": "parquet", ".csv": "csv"}
_GLOB_CHARS = set("*?[]")


@dataclass(frozen=True)
class TableRef:
    """A table found in a source: stable ``name``, ``path`` for its filesystem, ``format``."""

    name: str
    path: str
    format: str


@dataclass
class Discovery:
    tables: list[TableRef] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"table", "reason"}


def file_format(path: str) -> str | None:
    """``parquet`` or ``csv`` from a data file's extension (compression suffixes allowed)."""
    name = posixpath.basename(path).lower()
    for ext, fmt in _EXTENSIONS.items():
        if name.endswith(ext) or f"{ext}." in name:
            return fmt
    return None


def _dataset_format(fs, path: str) -> str | None:
    formats = {file_format(f.path) for f in walk_files(fs, path)
               if not is_hidden(posixpath.basename(f.path))}
    return formats.pop() if len(formats) == 1 and None not in formats else None


def _is_dataset(fs, entries) -> bool:
    names = [posixpath.basename(e.path) for e in entries]
    if "_SUCCESS" in names:
        return True
    visible = [e for e, n in zip(entries, names) if not is_hidden(n)]
    if any(e.is_dir and "=" in posixpath.basename(e.path) for e in visible):
        return True
    files = [posixpath.basename(e.path) for e in visible if not e.is_dir]
    return bool(files) and all(n.startswith("part-") for n in files) and len(files) == len(visible)


def _classify(fs, path: str, found: Discovery, exclude: set[str]) -> None:
    if path in exclude or any(path.startswith(x.rstrip("/") + "/") for x in exclude):
        return
    if not fs.is_dir(path):
        fmt = file_format(path)
        if fmt is None:
            found.skipped.append({"table": path, "reason": "not a Parquet or CSV file"})
        else:
            found.tables.append(TableRef(path, path, fmt))
        return
    if is_delta_table(fs, path):
        found.tables.append(TableRef(path, path, "delta"))
        return
    entries = fs.list(path)
    if any(posixpath.basename(e.path) == "_delta_log" for e in entries):
        found.skipped.append({"table": path, "reason": "_delta_log holds no commit"})
        return
    if _is_dataset(fs, entries):
        fmt = _dataset_format(fs, path)
        if fmt is None:
            found.skipped.append({"table": path, "reason": "dataset folder whose files are not "
                                  "all Parquet or all CSV"})
        else:
            found.tables.append(TableRef(path, path, fmt))
        return
    for entry in entries:
        if not is_hidden(posixpath.basename(entry.path)):
            _classify(fs, entry.path, found, exclude)


def discover(sources: list[str], *, spark=None, exclude: tuple[str, ...] = ()) -> Discovery:
    """Every table under ``sources`` (see the module docstring), each once, sorted by name.

    ``exclude``: normalised paths never looked into (the job's own output). A source
    that does not exist or a glob matching nothing is a ContainmentInputError.
    """
    if not sources:
        raise ContainmentInputError("containment needs at least one SOURCE (folder, file or glob)")
    found = Discovery()
    for src in sources:
        if src.lower().startswith("catalog:"):
            from .catalog import discover_catalog  # imports Spark-side helpers: only when asked
            found.tables += discover_catalog(spark, src)
            continue
        try:
            fs, norm = get_fs(src, spark)
        except OutputError as exc:
            raise ContainmentInputError(f"source {src!r}: {exc}") from exc
        if _GLOB_CHARS & set(norm):
            matches = fs.glob(norm)
            if not matches:
                raise ContainmentInputError(f"source {src!r}: no files or folders match this pattern")
        elif not fs.exists(norm):
            raise ContainmentInputError(f"source {src!r}: no such file or folder")
        else:
            matches = [norm]
        for path in matches:
            _classify(fs, path, found, set(exclude))
    unique = {t.name: t for t in found.tables}
    found.tables = [unique[n] for n in sorted(unique)]
    return found
