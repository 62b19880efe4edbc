"""What the job knows about one table before it reads any data: columns and statistics.

Example::

    info = TableInfo(name="/lake/a", path="/lake/a", format="parquet",
                     columns=[Column("id", "int")], stats=TableStats(rows=10))
    info.families       # {'id': 'int'}
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .stats import TableStats
from .types import Column


@dataclass
class TableInfo:
    """A table's schema (top-level columns), metadata statistics and sizes.

    ``data_bytes``: size of its data files; ``meta_bytes``: what was read to learn
    the schema and statistics (footers, Delta log; a CSV's whole files).
    """

    name: str
    path: str
    format: str
    columns: list[Column]
    stats: TableStats
    data_bytes: int = 0
    meta_bytes: int = 0
    options: dict[str, str] = field(default_factory=dict)  # Spark reader options (CSV)
    spark_schema: dict | None = None  # the schema Spark inferred (CSV): read with it, not again
    # Parquet INT64 TIMESTAMP(NANOS) columns (timestamps.py): key -> UTC-adjusted. Spark
    # reads them as longs of nanoseconds, which the content stage compares as timestamps.
    nanos: dict[str, bool] = field(default_factory=dict)

    @property
    def families(self) -> dict[str, str]:
        return {c.key: c.family for c in self.columns}

    @property
    def keys(self) -> list[str]:
        return sorted(c.key for c in self.columns)

    def column_name(self, key: str) -> str:
        """The stored name of the column whose lower-cased name is ``key``."""
        for c in self.columns:
            if c.key == key:
                return c.name
        raise KeyError(f"table {self.name} has no column {key!r}")
