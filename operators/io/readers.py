"""Reading a recipe's input: parquet, jsonl, csv, text, delta.

Every failure to find data becomes an ``InputError`` that names the path and the
format; Spark's own "path does not exist" or "unable to infer schema" errors are
translated too (they surface at read time for all formats but text).
"""
from __future__ import annotations

import posixpath

from ..errors import InputError, OutputError
from .delta import read_delta
from .fs import get_fs, is_hidden, walk_files
from .nanos import NANOS_AS_LONG, micros_from_nanos, nanos_columns
from .filecheck import check_parquet_files
from .group import recover_groups
from .parquet import recover

FORMATS = ("parquet", "jsonl", "csv", "text", "delta")
TEXT_UNITS = ("line", "file")
_GLOB_CHARS = set("*?[]{}")


def _has_visible_file(fs, path: str) -> bool:
    if not fs.is_dir(path):
        return not is_hidden(posixpath.basename(path))
    return any(not is_hidden(posixpath.basename(f.path)) for f in walk_files(fs, path))


def _check_exists(fs, path: str, fmt: str) -> None:
    """InputError unless ``path`` (a file, folder or glob) matches at least one data file."""
    where = f"input {path} (format {fmt})"
    if _GLOB_CHARS & set(path):
        matches = fs.glob(path)
        if not matches:
            if "{" in path and fs.local:  # Hadoop-only glob syntax: let Spark decide
                return
            raise InputError(f"{where}: no files match this pattern")
        if not any(_has_visible_file(fs, m) for m in matches):
            raise InputError(f"{where}: the pattern matches only empty folders or hidden files")
        return
    if not fs.exists(path):
        raise InputError(f"{where}: no such file or folder")
    if fmt != "delta" and not _has_visible_file(fs, path):
        raise InputError(f"{where}: the folder holds no data files")


def read_input(spark, *, format: str, path: str, options: dict | None = None,  # noqa: A002
               text_unit: str = "line", on_bad_file: str = "fail"):
    """Read an input as a DataFrame (see ``read_input_checked``)."""
    return read_input_checked(spark, format=format, path=path, options=options,
                              text_unit=text_unit, on_bad_file=on_bad_file)[0]


def read_input_checked(spark, *, format: str, path: str, options: dict | None = None,  # noqa: A002
                       text_unit: str = "line", on_bad_file: str = "fail"):
    """Read an input as a DataFrame.

    * parquet: ``spark.read.parquet``; jsonl: ``spark.read.json`` (one object a line);
      csv: ``spark.read.csv`` with ``header=true`` unless ``options`` say otherwise.
    * text: ``text_unit="line"`` gives one row per line (column ``text``);
      ``"file"`` one row per file (``text``, plus ``path``, the file's URI).
    * parquet columns of nanosecond timestamps (pandas' and pyarrow's default) are
      read at microsecond precision (Spark has no finer type; see io/nanos.py).
    * delta: Spark's ``format("delta")`` where the JVM has Delta, else the current
      snapshot's files from delta-rs (see operators/io/delta.py).

    ``options`` go to Spark's reader. Local paths may be globs. Parquet files are
    checked first (footers): a damaged file or a column whose type differs between
    files is an InputError naming them; ``on_bad_file="skip"`` leaves damaged files
    out. Returns ``(df, skipped)``: ``skipped`` lists ``(file, why)``.
    """
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import AnalysisException
    from pyspark.sql import functions as F

    if format not in FORMATS:
        raise InputError(f"input {path}: unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    if format == "text" and text_unit not in TEXT_UNITS:
        raise InputError(f"input {path}: text_unit must be 'line' or 'file', got {text_unit!r}")
    try:
        fs, norm = get_fs(path, spark)
    except OutputError as exc:
        raise InputError(f"input {path} (format {format}): {exc}") from exc
    options = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in (options or {}).items()}
    if format in ("parquet", "delta") and not (_GLOB_CHARS & set(norm)):
        try:
            recover_groups(norm, spark)  # a run killed between its outputs' commits
            recover(fs, norm, cleanup=False)  # a swap a killed writer left half done
        except OutputError:
            pass  # a path with no parent (a root) cannot have thresher siblings
    _check_exists(fs, norm, format)
    where = fs.spark_path(norm)
    try:
        if format == "delta":
            return read_delta(spark, fs, norm, options), []
        reader = spark.read
        if format == "csv":
            options = {"header": "true", **options}
        reader = reader.options(**options)
        if format == "parquet":
            return _read_parquet(spark, reader, fs, norm, where, on_bad_file)
        if format == "jsonl":
            return reader.json(where), []
        if format == "csv":
            return reader.csv(where), []
        # text() sets wholetext itself, so it cannot come through options
        df = reader.text(where, wholetext=text_unit == "file").withColumnRenamed("value", "text")
        if text_unit == "file":
            df = df.select("text", F.col("_metadata.file_path").alias("path"))
        return df, []
    except (AnalysisException, Py4JJavaError) as exc:
        first = str(exc).replace("An error occurred while calling", "").strip().splitlines()
        detail = next((line.strip(" :") for line in first if "Exception" in line or "[" in line),
                      first[0] if first else type(exc).__name__)
        raise InputError(f"input {path} (format {format}): Spark cannot read it: {detail}") from exc


def _read_parquet(spark, reader, fs, norm: str, where: str, on_bad_file: str):
    matches = fs.glob(norm) if _GLOB_CHARS & set(norm) else [norm]
    checks = [check_parquet_files(fs, m, on_bad_file=on_bad_file) for m in matches]
    skipped = [s for c in checks for s in c.skipped]
    nanos = nanos_columns(checks[0].first_schema if checks else None)
    if nanos:
        # A runtime SQL conf, read when the scan runs: it stays set for the session.
        # It changes nothing for files without nanos columns, which it only lets load.
        spark.conf.set(NANOS_AS_LONG, "true")
    if skipped:  # only the good files, with partition folders still discovered
        good = [fs.spark_path(f) for c in checks for f in c.good]
        if fs.is_dir(norm):
            reader = reader.option("basePath", where)
        df = reader.parquet(*good)
    else:
        df = reader.parquet(where)
    return micros_from_nanos(df, nanos), skipped
