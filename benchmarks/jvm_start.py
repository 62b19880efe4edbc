"""A local run's JVM start with and without Spark's class archive (operators/class_archive.py).

    .venv/bin/python benchmarks/jvm_start.py [--repeats 2]

Builds the archive first if ``python -m thresher.jobs.warm`` has not. Then, alternating
(off, on, off, on, ...) so that the machine's load falls on both alike, runs through the
CLI in fresh processes: a one-step recipe on 3 rows (the start dominates) and the
quickstart on the bundled data. ``THRESHER_CLASS_ARCHIVE=off`` is the run without.
Wall seconds of the whole command go to ``benchmarks/results/jvm_start.json`` and
``.md``, with the median ratio on / off per recipe.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))


def tiny_recipe(work: Path) -> Path:
    inp = work / "in"
    inp.mkdir(parents=True)
    pd.DataFrame({"id": ["a", "b", "c"], "text": ["one two three four five", "short", "six seven eight nine"]}
                 ).to_parquet(inp / "part-0.parquet")
    recipe = work / "tiny.yaml"
    recipe.write_text(textwrap.dedent(f"""
        name: tiny
        spark: {{master: "local[1]", conf: {{spark.sql.shuffle.partitions: 1, spark.ui.enabled: false}}}}
        input: {{format: parquet, path: {inp}, id_column: id}}
        steps:
          - word_count_filter: {{min: 3}}
        output: {{format: parquet, path: {work / 'out'}, mode: overwrite}}
    """))
    return recipe


def timed_run(recipe: Path, sets: list[str], archive: bool) -> float:
    env = dict(os.environ, CI="1", PYSPARK_PYTHON=sys.executable)
    env["THRESHER_CLASS_ARCHIVE"] = "on" if archive else "off"
    args = [str(BIN / "thresher"), "run", str(recipe)] + [a for s in sets for a in ("--set", s)]
    t = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{recipe} failed:\n{proc.stderr[-3000:]}")
    return round(wall, 2)


def main(argv=None) -> int:
    from heuristics import machine
    from thresher.operators import class_archive

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args(argv)
    archive = class_archive.build()
    if archive is None:
        raise SystemExit("no Java, or THRESHER_CLASS_ARCHIVE=off: nothing to compare")
    work = Path(tempfile.mkdtemp(prefix="jvm-start-"))
    cases = {"tiny (1 step, 3 rows)": (tiny_recipe(work / "tiny"), []),
             "quickstart (bundled data)": (ROOT / "recipes" / "quickstart.yaml",
                                           [f"output.path={work}/qs/kept", f"output.rejects={work}/qs/rejects",
                                            f"output.stats={work}/qs/stats", "output.report=false"])}
    runs = {name: {"off": [], "on": []} for name in cases}
    for _ in range(a.repeats):
        for name, (recipe, sets) in cases.items():
            for mode in ("off", "on"):
                runs[name][mode].append(timed_run(recipe, sets, mode == "on"))
                print(name, mode, runs[name][mode][-1], flush=True)
    report = {"benchmark": "jvm_start", "machine": machine(),
              "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
              "archive_mib": archive.stat().st_size >> 20, "runs": runs,
              "median_ratio_on_over_off": {n: round(statistics.median(r["on"]) / statistics.median(r["off"]), 3)
                                           for n, r in runs.items()},
              "load_after": os.getloadavg()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "jvm_start.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = ["# JVM start with Spark's class archive", "",
             f"{report['date']}, {report['machine'].get('cpus', '?')} CPUs; archive "
             f"{report['archive_mib']} MiB; runs alternate off/on; wall seconds of the whole "
             "`thresher run` command.", "",
             "| recipe | off (s) | on (s) | median on / off |", "|---|---|---|---:|"]
    for name, r in runs.items():
        lines.append(f"| {name} | {', '.join(map(str, r['off']))} | {', '.join(map(str, r['on']))} | "
                     f"{report['median_ratio_on_over_off'][name]} |")
    lines += ["", f"Load average after: {', '.join(f'{x:.2f}' for x in report['load_after'])}."]
    (RESULTS / "jvm_start.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
