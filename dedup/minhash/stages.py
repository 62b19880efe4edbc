"""Materialising the stages of MinHash dedup, with optional checkpoints to reuse.

Every stage output is computed once: persisted for the run (memory and disk on the
executors, so later stages never recompute it; ``release()`` frees it), or, with a
``checkpoint_dir``, written as Parquet under ``<checkpoint_dir>/<stage>-<key>`` and read
back from there. A stage's key hashes the params it depends on and the key of the
stage before it, down to a fingerprint of the input (row count and an
order-independent sum of row hashes). So a rerun on the same input reuses every
stage whose params did not change (a new ``keep`` rule recomputes only the keepers),
and a changed input or param never reuses a stale stage. A stage is written to a temporary folder and renamed into place,
so a killed run leaves no half stage that a rerun would mistake for a finished one.
"""
from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from thresher.operators.connect import is_connect
from thresher.operators.io.fs import get_fs


def input_fingerprint(docs: DataFrame) -> str:
    """Row count and the sum of xxhash64 over all columns of ``docs``: equal for the same
    rows in any order or partitioning."""
    row = docs.select(F.count(F.lit(1)).alias("n"),
                      F.sum(F.xxhash64(*docs.columns).cast("decimal(38,0)")).alias("h")).first()
    return f"{row['n']}:{row['h']}"


def stage_key(params: dict, upstream: str) -> str:
    """The key of a stage computed with ``params`` from the stage (or input) ``upstream``."""
    blob = json.dumps({"params": params, "upstream": upstream}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class StageStore:
    """``stage(name, key, build)`` -> the stage's DataFrame, computed at most once.

    ``seconds`` and ``reused`` record, per stage, the time to materialise it and
    whether a checkpoint from an earlier run was read instead.
    """

    def __init__(self, spark, checkpoint_dir: str | None):
        self.spark = spark
        self.root = None if checkpoint_dir is None else checkpoint_dir.rstrip("/")
        self.paths: dict[str, str] = {}
        self.seconds: dict[str, float] = {}
        self.reused: dict[str, bool] = {}
        self.cached: list[DataFrame] = []

    def stage(self, name: str, key: str, build: Callable[[], DataFrame]) -> DataFrame:
        t = time.perf_counter()
        if self.root is None:
            # Persisted, not localCheckpoint()ed: a persisted frame can be released
            # (and clearCache() releases it), and a lost block is recomputed.
            df = build().persist(StorageLevel.MEMORY_AND_DISK)
            df.count()  # materialises every column of every partition
            self.cached.append(df)
            self.reused[name] = False
        else:
            fs, path = get_fs(f"{self.root}/{name}-{key}", self.spark)
            self.paths[name] = path
            self.reused[name] = fs.exists(f"{path}/_SUCCESS")
            if not self.reused[name]:
                tmp = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
                build().write.parquet(fs.spark_path(tmp))
                if fs.exists(path):  # a stage left without _SUCCESS: never trust it
                    fs.delete(path)
                fs.rename(tmp, path)
            df = self.spark.read.parquet(fs.spark_path(path))
        self.seconds[name] = time.perf_counter() - t
        return df

    def release(self) -> None:
        """Unpersist every stage this store computed (checkpoint folders stay: reruns
        reuse them)."""
        for df in self.cached:
            df.unpersist()
        self.cached = []


def release_dataframe(df: DataFrame) -> None:
    """Unpersist ``df`` and, if it is a ``localCheckpoint()``, free its blocks now.

    Spark frees a local checkpoint only when the JVM collects its RDD (the context
    cleaner), which a long session may not do for hours; meanwhile the blocks hold
    storage memory. Best effort: on Spark Connect there is no JVM handle.
    """
    df.unpersist()
    if is_connect(df.sparkSession):
        return  # no JVM plan to reach; the server frees a checkpoint the client drops
    try:
        plan = df._jdf.queryExecution().analyzed()
        if plan.getClass().getSimpleName() == "LogicalRDD":
            plan.rdd().unpersist(False)
    except Exception:  # noqa: BLE001 - Spark Connect, or a plan of another shape
        pass
