"""``thresher containment LAKE --out OUT --plan ...`` on Spark Connect (SPARK_REMOTE set by
the caller), then every planned deletion rebuilt from its parent on the same Connect
session, recording every JVM-only attribute asked for (as connect_run.py does).

    SPARK_REMOTE=sc://... python connect_containment.py OUT CLI_ARG...

Prints one JSON line: ``{"touched": [...], "summary": "...", "rebuilt": {table: rows}}``
where rows are the rebuilt table's distinct canonical rows, sorted, as strings.
"""
from __future__ import annotations

import contextlib
import io
import json
import sys


def canonical_rows(df) -> list[str]:
    """The distinct canonical rows of ``df`` as sorted strings (column order by name)."""
    from thresher.dedup.containment.canonical import canonical_columns

    names = {c.lower(): c for c in df.columns}
    rows = df.select(*canonical_columns(df, names)).distinct().collect()
    return sorted(repr(tuple(r)) for r in rows)


def main() -> None:
    from connect_run import _recording, touched  # beside this script (run as a script)
    from pyspark.sql.connect.dataframe import DataFrame as ConnectDataFrame
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    out, *cli_args = sys.argv[1:]
    _recording(ConnectSession)
    _recording(ConnectDataFrame)
    from thresher.jobs.cli import main as cli

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = cli(["containment", *cli_args])
    if code != 0:
        sys.exit(f"thresher containment exited {code}: {buf.getvalue()}")
    from thresher.dedup.containment.rebuild import rebuild
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()  # SPARK_REMOTE: the same Connect server
    plan = json.load(open(f"{out}/plan.json"))
    rebuilt = {e["table"]: canonical_rows(rebuild(spark, e, out_dir=out)) for e in plan["deleted"]}
    print(json.dumps({"touched": sorted(set(touched)), "summary": buf.getvalue(), "rebuilt": rebuilt}))


if __name__ == "__main__":
    main()
