"""Each table of the content stage as a Spark DataFrame, read once per run, and why a
table Spark cannot read failed.

Parquet is read with ``spark.read.parquet`` itself, not through the recipe reader,
which may convert nanosecond timestamps to microseconds (rounding nanoseconds away
would make tables 1 ns apart equal). A table with nanosecond columns (TableInfo.nanos)
sets ``spark.sql.legacy.parquet.nanosAsLong`` (a runtime conf that Spark reads when a
scan runs, so it stays set for the session; it only lets such files load) and gets
each such long column tagged with ``canonical.NANOS_META``: its family is
``timestamp`` and canonical.py compares it exactly.

Example::

    frames = Frames(spark, lake.tables)
    frames.open(["/lake/orders", "/lake/broken"])         # ahead, in threads (optional)
    df, names, families = frames.get("/lake/orders")   # names: key -> stored column name
    frames.error("/lake/broken")                         # 'AnalysisException: ...' or None
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pyspark.sql import DataFrame
from pyspark.sql import types as T

from thresher.operators.errors import TableReadError
from thresher.operators.io import read_input
from thresher.operators.io.fs import get_fs

from .canonical import NANOS_META, col_ref, is_nanos
from .catalog import read_catalog
from .csv_meta import read_csv
from .tables import TableInfo
from .timestamps import NANOS_AS_LONG
from .types import spark_family

_OPEN_THREADS = 8


def first_line(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


def field_family(f: T.StructField) -> str:
    """A read column's family: a tagged nanosecond long is a timestamp."""
    return "timestamp" if is_nanos(f) else spark_family(f.dataType)


def _read_parquet(spark, info: TableInfo) -> DataFrame:
    fs, norm = get_fs(info.path, spark)
    reader = spark.read.options(**info.options) if info.options else spark.read
    return reader.parquet(fs.spark_path(norm))


def _tag_nanos(df: DataFrame, info: TableInfo) -> DataFrame:
    """``df`` with each nanosecond column of ``info`` tagged (one select, one analysis)."""
    by_key = {f.name.lower(): f for f in df.schema.fields}
    tagged = {}
    for key, utc in sorted(info.nanos.items()):
        f = by_key.get(key)
        if f is None:
            continue  # the type check reports a missing column
        if not isinstance(f.dataType, T.LongType):
            raise TableReadError(f"column {f.name!r} holds nanosecond timestamps (INT64 TIMESTAMP(NANOS)) "
                                 f"but Spark reads it as {f.dataType.simpleString()}, not as a long of "
                                 "nanoseconds: it cannot be compared exactly", table=info.name)
        tagged[f.name] = col_ref(f.name).alias(f.name, metadata={NANOS_META: "utc" if utc else "wall"})
    if not tagged:
        return df
    return df.select(*[tagged.get(f.name, col_ref(f.name)) for f in df.schema.fields])


class Frames:
    """Each table's DataFrame (created once), its key -> stored-name map and Spark families."""

    def __init__(self, spark, tables: dict[str, TableInfo]):
        self.spark, self.tables = spark, tables
        self._cache: dict[str, tuple] = {}

    def get(self, name: str) -> tuple[DataFrame, dict[str, str], dict[str, str]]:
        if name not in self._cache:
            info = self.tables[name]
            try:
                if info.nanos:
                    self.spark.conf.set(NANOS_AS_LONG, "true")
                if info.format == "csv" and info.spark_schema:
                    df = read_csv(self.spark, info)
                elif info.format == "catalog":
                    df = read_catalog(self.spark, info)
                elif info.format == "parquet":
                    df = _read_parquet(self.spark, info)
                else:
                    df = read_input(self.spark, format=info.format, path=info.path,
                                    options=info.options or None)
                df = _tag_nanos(df, info)
                fields = df.schema.fields
                self._cache[name] = (df, {f.name.lower(): f.name for f in fields},
                                     {f.name.lower(): field_family(f) for f in fields})
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
