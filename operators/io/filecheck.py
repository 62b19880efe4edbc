"""Checking a Parquet input's files before Spark reads them: footers only, in threads.

Spark reports a damaged file or a column whose type differs between files deep in
a job, as a JVM stack trace, or (a type mismatch) only when the first task reads
the odd file. Reading each footer first (a few KB a file) finds both up front and
names the file, the column and both types. ``on_bad_file: skip`` leaves unreadable
files out instead and says which.

Example::

    report = check_parquet_files(fs, "/lake/crawl", on_bad_file="skip")
    report.good, report.skipped      # paths to read; [(path, why), ...]
"""
from __future__ import annotations

import posixpath
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyarrow as pa

from ..errors import InputError
from .fs import is_hidden, walk_files

BAD_FILE_POLICIES = ("fail", "skip")


@dataclass
class FileCheck:
    good: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    first_schema: pa.Schema | None = None  # the first good file's (nanos columns come from it)


def _spark_kind(t: pa.DataType) -> str:
    """The type as Spark will see it: encodings and offsets widths do not count."""
    if pa.types.is_dictionary(t):
        return _spark_kind(t.value_type)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "binary"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"list<{_spark_kind(t.value_type)}>"
    if pa.types.is_null(t):
        return "null"
    return str(t)


def _schema(fs, path: str) -> pa.Schema:
    from .parquet import read_footer
    return read_footer(fs, path).schema.to_arrow_schema()


def _data_files(fs, root: str) -> list[str]:
    if not fs.is_dir(root):
        return [root]
    return [f.path for f in walk_files(fs, root)
            if not is_hidden(posixpath.basename(f.path)) and f.size > 0]  # Spark skips empty files


def check_parquet_files(fs, path: str, *, on_bad_file: str = "fail", threads: int = 16) -> FileCheck:
    """Read every data file's footer; raise InputError naming a damaged file (policy
    ``fail``) or a column whose type differs between files; with ``skip`` leave the
    damaged ones out."""
    if on_bad_file not in BAD_FILE_POLICIES:
        raise InputError(f"input {path}: on_bad_file must be one of {', '.join(BAD_FILE_POLICIES)}, "
                         f"got {on_bad_file!r}")
    files = _data_files(fs, path)

    def inspect(file: str):
        try:
            return file, _schema(fs, file), None
        except Exception as exc:  # noqa: BLE001 - any unreadable footer is a damaged file
            return file, None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"

    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(files)))) as pool:
        results = list(pool.map(inspect, files))
    out = FileCheck()
    first: dict[str, tuple[str, str]] = {}  # column -> (kind, file it came from)
    for file, schema, why in results:
        if schema is None:
            if on_bad_file == "fail":
                raise InputError(f"input {path}: file {file} is not readable Parquet ({why}); "
                                 "set input.on_bad_file: skip to leave such files out")
            out.skipped.append((file, why))
            continue
        for f in schema:
            kind = _spark_kind(f.type)
            seen = first.setdefault(f.name, (kind, file))
            if kind != seen[0] and "null" not in (kind, seen[0]):
                raise InputError(f"input {path}: column '{f.name}' is {seen[0]} in {seen[1]} but "
                                 f"{kind} in {file}; the files of one input must agree on each "
                                 "column's type (rewrite the odd files, or read them as another input)")
        out.good.append(file)
        if out.first_schema is None:
            out.first_schema = schema
    if not out.good:
        raise InputError(f"input {path}: none of its {len(files)} files is readable Parquet "
                         f"(first: {results[0][0]}: {results[0][2]})" if results else
                         f"input {path}: no data files")
    return out
