"""The thresher side of the MinHash dedup benchmark: ``minhash_dedup`` through the runner.

One process, one ``local[2]`` SparkSession (its start-up timed apart), then for each run
in ``--plan`` (a JSON list of ``{"name", "data", "verify", "predictions"?}``) one recipe::

    input: {format: parquet, path: DATA, id_column: id}
    steps: [minhash_dedup: {threshold: 0.8, ngram: 5, num_perm: 128, verify: V, mode: mark}]
    execution: {mode: staged}          # no output: the answer is the cached, counted result

timed around ``run()``: reading the Parquet, the unique-id check, normalising, signatures,
bands, candidate edges, [exact-Jaccard verify], connected components, keepers, the join
back and the runner's counts. After the timing (untimed): ``(id, dup_cluster)`` of every
row to ``predictions`` (Parquet) when asked, and the cache is cleared. The first run of the
plan may be a warm-up (``"warmup": true``): the JVM's JIT and numba's cache load, reported
apart. ``--norm-sample`` also writes thresher's own normalised text of the first N ids, so
the benchmark can check that its Python copy (minhash_corpus.normalise) is the same.

Writes ``--json``: startup_s and per run wall_s, docs_per_s, the step's details map (stage
seconds, candidate pairs, ...), and wall-clock start/end (time.time()) so the caller can
attribute sampled memory to each run.

    .venv/bin/python benchmarks/minhash_thresher.py --plan plan.json --json out.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PARAMS = {"threshold": 0.8, "ngram": 5, "num_perm": 128, "mode": "mark"}


def recipe_for(data: str, verify: bool, execution: str):
    from thresher.operators import Recipe

    return Recipe.from_dict({
        "name": "bench-minhash",
        "input": {"format": "parquet", "path": data, "id_column": "id"},
        "steps": [{"minhash_dedup": dict(PARAMS, verify=verify)}],
        "execution": {"mode": execution},
    })


def run_one(spark, item: dict, execution: str) -> dict:
    from thresher.operators import run

    recipe = recipe_for(item["data"], item["verify"], execution)
    start = time.time()
    t = time.perf_counter()
    result = run(recipe, spark=spark, echo=lambda s: None)
    wall = time.perf_counter() - t
    end = time.time()
    step = result.steps[-1]
    docs = result.steps[0].rows_in
    out = {"name": item["name"], "engine": "thresher", "data": item["data"], "verify": item["verify"],
           "execution": execution, "docs_in": docs, "wall_s": round(wall, 3),
           "docs_per_s": round(docs / wall, 1), "details": step.details,
           "step_seconds": step.seconds, "t_start": start, "t_end": end,
           "loadavg_after": os.getloadavg()}
    if item.get("predictions"):
        import pyarrow.parquet as pq

        table = result.output.select("id", "dup_cluster").toArrow()
        pq.write_table(table, item["predictions"])
    result.release()  # stage caches and local checkpoints: the next run starts clean
    spark.catalog.clearCache()
    return out


def norm_sample(spark, data: str, n: int, path: str) -> None:
    from pyspark.sql import functions as F

    from thresher.dedup.minhash.lsh import normalized

    df = spark.read.parquet(data).orderBy("id").limit(n)
    df.select("id", "text", normalized(F.col("text"), lowercase=True, strip_punctuation=True,
                                       unicode_form="NFKC").alias("norm")).toPandas().to_parquet(path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plan", required=True, help="JSON file: list of runs")
    ap.add_argument("--json", required=True)
    ap.add_argument("--shuffle-partitions", type=int, default=8)
    ap.add_argument("--execution", choices=["staged", "fused"], default="staged")
    ap.add_argument("--norm-sample", nargs=3, metavar=("DATA", "N", "OUT"), default=None)
    a = ap.parse_args(argv)
    plan = json.loads(Path(a.plan).read_text())

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    import thresher.jobs.builtins  # noqa: F401  (registers minhash_dedup without entry points)
    from thresher.operators.session import get_or_create_session

    t = time.perf_counter()
    spark = get_or_create_session(master="local[2]",
                                  conf={"spark.sql.shuffle.partitions": a.shuffle_partitions})
    report = {"engine": "thresher", "startup_s": round(time.perf_counter() - t, 2),
              "spark": spark.version, "master": "local[2]",
              "shuffle_partitions": a.shuffle_partitions, "runs": []}
    for item in plan:
        report["runs"].append(dict(run_one(spark, item, a.execution), warmup=item.get("warmup", False)))
        Path(a.json).write_text(json.dumps(report, indent=2, default=str))
    if a.norm_sample:
        norm_sample(spark, a.norm_sample[0], int(a.norm_sample[1]), a.norm_sample[2])
    spark.stop()
    Path(a.json).write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
