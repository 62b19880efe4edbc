"""Run a recipe with ``thresher.run(recipe, spark=<Connect session>)`` in its own process,
recording every JVM-only attribute thresher asks the session or a DataFrame for.

    python connect_run.py sc://127.0.0.1:PORT RECIPE [KEY=VALUE ...] [--then RECIPE [KEY=VALUE ...]]

``--then`` runs another recipe after it in the same session (one process and one
Connect session for several runs: the incremental index's batches).

Prints one JSON line: ``{"touched": [...], "notes": [...], "outputs": {...}, "artifacts": [...]}``
(artifacts: ``[basename, "file"|"archive"|"jar"]`` for each ``spark.addArtifacts`` call). Spark
Connect answers ``_jvm``, ``sparkContext``, ``_jdf`` ... with an error, which code that
falls back quietly would hide: the record shows it.
"""
from __future__ import annotations

import json
import os
import sys

from pyspark.sql import SparkSession
from pyspark.sql.connect.dataframe import DataFrame as ConnectDataFrame
from pyspark.sql.connect.session import SparkSession as ConnectSession

JVM_ONLY = {"_jsc", "_jconf", "_jvm", "_jsparkSession", "sparkContext", "_jdf", "rdd", "_sc"}
touched: list[str] = []
artifacts: list[list[str]] = []


def _recording_artifacts(cls) -> None:
    original = cls.addArtifacts

    def addArtifacts(self, *paths, pyfile=False, archive=False, file=False):  # noqa: N802 - pyspark's name
        kind = "archive" if archive else "file" if file else "pyfile" if pyfile else "jar"
        artifacts.extend([os.path.basename(str(p)), kind] for p in paths)
        return original(self, *paths, pyfile=pyfile, archive=archive, file=file)

    cls.addArtifacts = addArtifacts


def _recording(cls):
    original = cls.__getattr__

    def __getattr__(self, name):
        if name in JVM_ONLY:
            touched.append(f"{cls.__name__}.{name}")
        return original(self, name)

    cls.__getattr__ = __getattr__
    prop = cls.__dict__.get("rdd")
    if isinstance(prop, property):  # DataFrame.rdd is a property, not __getattr__
        def rdd(self):
            touched.append(f"{cls.__name__}.rdd")
            return prop.fget(self)
        cls.rdd = property(rdd)


def main() -> None:
    url, *rest = sys.argv[1:]
    runs, current = [], []
    for arg in rest:
        if arg == "--then":
            runs.append(current)
            current = []
        else:
            current.append(arg)
    runs.append(current)
    _recording(ConnectSession)
    _recording(ConnectDataFrame)
    _recording_artifacts(ConnectSession)
    spark = SparkSession.builder.remote(url).getOrCreate()
    import thresher.jobs.builtins  # noqa: F401
    from thresher import run

    for recipe, *overrides in runs:
        result = run(recipe, spark=spark, overrides=overrides, echo=lambda _s: None)
    print(json.dumps({"touched": sorted(set(touched)), "notes": result.notes,
                      "outputs": result.outputs, "artifacts": artifacts}))


if __name__ == "__main__":
    main()
