"""Cold start: a fresh install's first run against the same run once warm (issue 21).

    .venv/bin/python benchmarks/cold_start.py [--recipes dedup_web quality_fasttext]

Each recipe runs three times through the CLI, in fresh processes, on the bundled data:

1. **cold**: an empty numba cache (``NUMBA_CACHE_DIR`` a new folder), as after
   ``pip install``: every kernel compiles in the Python workers that first use it;
2. **warm**: the same cache folder again, now filled by run 1;
3. **warmed ahead**: another empty cache folder, filled first by
   ``python -m thresher.jobs.warm`` (what ``make`` runs after installing), then the run.

Stage checkpoints are off (``checkpoint_dir`` set to null) so every run computes every
stage. Wall time of the whole command (Spark start included) and the seconds of each
recipe step (from the stats table) go to ``benchmarks/results/cold_start.json`` and
``.md``. The ratio cold / warm is the one the issue bounds (at most 2x).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
RESULTS = HERE / "results"
# Params that point a recipe's files into the run's own folder.
EXTRA = {"dedup_web": ["steps.minhash_dedup.checkpoint_dir=null"],
         "quality_fasttext": ["steps.fasttext_train.model={work}/model.bin",
                              "steps.fasttext_score.model={work}/model.bin"]}


def _run(recipe: str, work: Path, cache: Path) -> dict:
    sets = [f"output.path={work}/kept", f"output.rejects={work}/rejects",
            f"output.stats={work}/stats", "output.format=parquet", "output.mode=overwrite",
            "output.report=false"] + [s.format(work=work) for s in EXTRA.get(recipe, [])]
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYSPARK_PYTHON=sys.executable)
    t = time.perf_counter()
    subprocess.run([str(BIN / "thresher"), "run", str(ROOT / "recipes" / f"{recipe}.yaml"), "--quiet",
                    *[a for s in sets for a in ("--set", s)]], env=env, check=True,
                   capture_output=True, text=True)
    wall = time.perf_counter() - t
    stats = pq.read_table(work / "stats").to_pylist()
    steps = {f"{r['step']} {r['op']}": round(r["seconds"], 2) for r in sorted(stats, key=lambda r: r["step"])}
    return {"wall_s": round(wall, 1), "steps_s": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=["dedup_web", "quality_fasttext"])
    args = parser.parse_args()
    results = {"machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
               "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "load_average_before": round(os.getloadavg()[0], 1), "recipes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for recipe in args.recipes:
            cache, ahead = tmp / f"{recipe}-cache", tmp / f"{recipe}-ahead"
            cold = _run(recipe, tmp / f"{recipe}-1", cache)
            warm = _run(recipe, tmp / f"{recipe}-2", cache)
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "thresher.jobs.warm"], check=True, capture_output=True,
                           env=dict(os.environ, NUMBA_CACHE_DIR=str(ahead)))
            warm_up = time.perf_counter() - t
            warmed = _run(recipe, tmp / f"{recipe}-3", ahead)
            results["recipes"][recipe] = {
                "cold": cold, "warm": warm, "warmed_ahead": {**warmed, "warm_up_s": round(warm_up, 1)},
                "cold_over_warm": round(cold["wall_s"] / warm["wall_s"], 2),
                "warmed_ahead_over_warm": round(warmed["wall_s"] / warm["wall_s"], 2)}
            print(recipe, json.dumps(results["recipes"][recipe]), flush=True)
    results["load_average_after"] = round(os.getloadavg()[0], 1)  # other work on the cores skews it
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cold_start.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# Cold start ({results['machine']}, {results['date']})", "",
             "Wall seconds of `thresher run` (Spark start included), fresh process each; "
             f"1-minute load average {results['load_average_before']} before, "
             f"{results['load_average_after']} after (2 cores: above 2, other work skewed the times).", "",
             "| recipe | cold (empty numba cache) | warm | warmed ahead (`thresher.jobs.warm`) | cold / warm |",
             "|---|---|---|---|---|"]
    for name, r in results["recipes"].items():
        lines.append(f"| {name} | {r['cold']['wall_s']} | {r['warm']['wall_s']} | "
                     f"{r['warmed_ahead']['wall_s']} (+{r['warmed_ahead']['warm_up_s']} s warm-up) | "
                     f"{r['cold_over_warm']} |")
    lines += ["", "Step seconds (cold / warm):", ""]
    for name, r in results["recipes"].items():
        for step, cold_s in r["cold"]["steps_s"].items():
            lines.append(f"- {name} step {step}: {cold_s} / {r['warm']['steps_s'].get(step)}")
    (RESULTS / "cold_start.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
