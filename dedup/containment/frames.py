"""Each table of the content stage as a Spark DataFrame, read once per run, and why a
table Spark cannot read failed.

Example::

    frames = Frames(spark, lake.tables)
    frames.open(["/lake/orders", "/lake/broken"])         # ahead, in threads (optional)
    df, names, families = frames.get("/lake/orders")   # names: key -> stored column name
    frames.error("/lake/broken")                         # 'AnalysisException: ...' or None
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pyspark.sql import DataFrame

from thresher.operators.io import read_input

from .catalog import read_catalog
from .csv_meta import read_csv
from .tables import TableInfo
from .types import spark_family

_OPEN_THREADS = 8


def first_line(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


class Frames:
    """Each table's DataFrame (created once), its key -> stored-name map and Spark families."""

    def __init__(self, spark, tables: dict[str, TableInfo]):
        self.spark, self.tables = spark, tables
        self._cache: dict[str, tuple] = {}

    def get(self, name: str) -> tuple[DataFrame, dict[str, str], dict[str, str]]:
        if name not in self._cache:
            info = self.tables[name]
            try:
                if info.format == "csv" and info.spark_schema:
                    df = read_csv(self.spark, info)
                elif info.format == "catalog":
                    df = read_catalog(self.spark, info)
                else:
                    df = read_input(self.spark, format=info.format, path=info.path,
                                    options=info.options or None)
                fields = df.schema.fields
                self._cache[name] = (df, {f.name.lower(): f.name for f in fields},
                                     {f.name.lower(): spark_family(f.dataType) for f in fields})
            except Exception as exc:  # noqa: BLE001 - remembered: every edge of it is an error
                self._cache[name] = (exc,)
        entry = self._cache[name]
        if len(entry) == 1:
            raise entry[0]
        return entry

    def open(self, names, *, threads: int = _OPEN_THREADS) -> None:
        """Create the DataFrames of ``names`` ahead, several at once: each costs Spark a
        file listing and a footer read for its schema (~40 ms for a small Parquet file
        here), mostly spent waiting on the JVM, so threads overlap them (~2x on 2 cores)."""
        todo = sorted({n for n in names if n not in self._cache})
        if len(todo) > 1:
            with ThreadPoolExecutor(max_workers=min(threads, len(todo))) as pool:
                list(pool.map(self.error, todo))

    def error(self, name: str) -> str | None:
        """Why Spark cannot read table ``name``, or None when it can."""
        try:
            self.get(name)
        except Exception as exc:  # noqa: BLE001
            return first_line(exc)
        return None
