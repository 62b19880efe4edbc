"""MinHash dedup scaling with Spark's own metrics per thresher stage (issue 16).

    .venv/bin/python benchmarks/minhash_scaling.py --sizes 10000,100000,1000000,3000000
    .venv/bin/python benchmarks/minhash_scaling.py --render          # re-render the .md only

For each size, on the benchmark's generated corpus (``minhash_corpus.py``, cached under
benchmarks/work/): wait until no other ``benchmarks/minhash`` Python process runs (the
machine is shared: polled every 30 s, at most ``--quiet-wait`` s), then one fresh child
process (``--child``): ``local[2]``, 8 shuffle partitions, a 2,000-document warm-up run,
then the measured ``minhash_dedup`` (threshold 0.8, 5-grams, 128 permutations,
``verify: true``, so the recall-tuned 16 x 6 bands; ``mode: mark``) through the runner, as
``minhash_thresher.py`` runs it.

In the child, ``StageStore.stage`` (each thresher stage: bands, edges, estimated,
verified, components, clusters) and the operator's stats (``_stage_report``) are wrapped,
here and not in the package, so that their Spark jobs run under a job group naming the
stage; every other job of the run (reading, the id check, the join back, the runner's
counts) is ``other``. After the run the Spark UI's REST API (``/api/v1/applications/<id>/
jobs`` and ``/stages``, classic local mode) gives each Spark stage's shuffle write/read
bytes, input bytes, spill, task count, executor run and CPU time, and (``taskSummary``)
the largest peak execution memory of one task; they are summed per thresher stage.

The parent samples the child's process tree (RSS, CPU seconds: ``minhash.TreeSampler``)
and the size of Spark's local directory (shuffle files and spilled blocks) and of the
whole disk, and records load averages before and after each size.

``--variant cluster`` (one extra run) also sets ``spark.sql.autoBroadcastJoinThreshold=-1``
and ``driver_components_max_edges: 0``: the joins and the Large-Star/Small-Star rounds
as they run when the pairs are too many to broadcast or collect (web scale).

Writes ``benchmarks/results/minhash_scaling.json`` (after every size) and ``.md``, and the
predicted-vs-measured table between the markers in ``docs/scale.md`` (``--render`` redoes
both from the JSON). The cost model lives in :func:`model` (see docs/scale.md).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from minhash_scaling_model import STAGES, write  # noqa: E402 - after the path

WORK = HERE / "work"
RESULTS = HERE / "results"
SCALE_DOC = ROOT / "docs" / "scale.md"
PARAMS = {"threshold": 0.8, "ngram": 5, "num_perm": 128, "mode": "mark", "verify": True}
METRICS = ("inputBytes", "outputBytes", "shuffleReadBytes", "shuffleWriteBytes",
           "shuffleReadRecords", "shuffleWriteRecords", "inputRecords", "memoryBytesSpilled",
           "diskBytesSpilled", "numTasks", "executorRunTime", "executorCpuTime")


# ---------------------------------------------------------------------------------------------
# Child: one Spark process, warm-up then the measured run, metrics from the REST API

def _get(url: str):
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read())


def _instrument(sc, current: dict, windows: list) -> None:
    """Job groups per thresher stage: ``<run>:<stage>`` (benchmark-side wrappers)."""
    from thresher.dedup.minhash import operator as mh_operator
    from thresher.dedup.minhash import stages as mh_stages
    from thresher.operators.progress import job_group

    original_stage = mh_stages.StageStore.stage

    def stage(self, name, key, build):
        t0 = time.time()
        with job_group(sc, f"{current['run']}:{name}", f"minhash {name}"):
            df = original_stage(self, name, key, build)
        windows.append({"run": current["run"], "stage": name, "t0": t0, "t1": time.time()})
        return df

    original_report = mh_operator.MinHashDedup._stage_report

    def report(*args, **kwargs):
        with job_group(sc, f"{current['run']}:report", "minhash report"):
            return original_report(*args, **kwargs)

    mh_stages.StageStore.stage = stage
    mh_operator.MinHashDedup._stage_report = staticmethod(report)


def _spark_metrics(spark, runs: set[str]) -> dict:
    """Per run, per thresher stage: Spark stage metrics summed (and the largest task peak
    execution memory), from the UI's REST API."""
    base = spark.sparkContext.uiWebUrl.rstrip("/") + "/api/v1/applications"
    app = spark.sparkContext.applicationId
    for _ in range(60):  # the status store is fed by the listener bus: let it catch up
        jobs = _get(f"{base}/{app}/jobs")
        if not any(j["status"] == "RUNNING" for j in jobs):
            break
        time.sleep(0.5)
    time.sleep(1.0)
    jobs = _get(f"{base}/{app}/jobs")
    stages = {(s["stageId"], s["attemptId"]): s for s in _get(f"{base}/{app}/stages")}
    owner: dict[int, str] = {}
    for job in sorted(jobs, key=lambda j: j["jobId"]):
        group = job.get("jobGroup") or "unlabelled:other"
        for sid in job["stageIds"]:
            owner.setdefault(sid, group)
    out: dict = {r: {} for r in runs}
    for (sid, attempt), s in sorted(stages.items()):
        run, _, name = owner.get(sid, "unlabelled:other").partition(":")
        if run not in out:
            continue
        acc = out[run].setdefault(name, {**{m: 0 for m in METRICS}, "spark_stages": 0,
                                         "skipped_stages": 0, "max_task_peak_execution_memory": 0,
                                         "sum_peak_execution_memory": 0, "stage_list": []})
        if s["status"] == "SKIPPED":
            acc["skipped_stages"] += 1
            continue
        acc["spark_stages"] += 1
        for m in METRICS:
            acc[m] += int(s.get(m) or 0)
        acc["sum_peak_execution_memory"] += int(s.get("peakExecutionMemory") or 0)
        peak = 0
        if s.get("numCompleteTasks"):
            try:
                summ = _get(f"{base}/{app}/stages/{sid}/{attempt}/taskSummary?quantiles=1.0")
                peak = int(max(summ.get("peakExecutionMemory") or [0]))
            except Exception:  # noqa: BLE001 - a summary is a nicety, not the measurement
                peak = 0
        acc["max_task_peak_execution_memory"] = max(acc["max_task_peak_execution_memory"], peak)
        acc["stage_list"].append({"id": sid, "name": s.get("name", "")[:80], "tasks": s["numTasks"],
                                  "shuffle_write": s.get("shuffleWriteBytes", 0),
                                  "shuffle_read": s.get("shuffleReadBytes", 0),
                                  "shuffle_write_records": s.get("shuffleWriteRecords", 0),
                                  "input": s.get("inputBytes", 0), "run_ms": s.get("executorRunTime", 0),
                                  "cpu_ms": round((s.get("executorCpuTime") or 0) / 1e6),
                                  "peak_task_mem": peak})
    try:
        execs = _get(f"{base}/{app}/executors")
        out["_executors"] = [{"id": e["id"], "maxMemory": e.get("maxMemory"),
                              "peakMemoryMetrics": e.get("peakMemoryMetrics")} for e in execs]
    except Exception:  # noqa: BLE001
        pass
    return out


class StoragePoller(threading.Thread):
    """Peak cached bytes (memory + disk) of Spark's persisted RDDs during a run, from the
    REST API's ``storage/rdd``, every ``every`` seconds: the docs cache and each stage."""

    def __init__(self, spark, every: float = 2.0):
        super().__init__(daemon=True)
        self.url = (spark.sparkContext.uiWebUrl.rstrip("/") + "/api/v1/applications/"
                    + spark.sparkContext.applicationId + "/storage/rdd")
        self.every, self.done = every, threading.Event()
        self.peak_total, self.peak_memory, self.rdds = 0, 0, {}

    def run(self):
        while not self.done.is_set():
            try:
                rdds = _get(self.url)
            except Exception:  # noqa: BLE001 - best effort
                rdds = []
            total = sum(r.get("memoryUsed", 0) + r.get("diskUsed", 0) for r in rdds)
            self.peak_total = max(self.peak_total, total)
            self.peak_memory = max(self.peak_memory, sum(r.get("memoryUsed", 0) for r in rdds))
            for r in rdds:
                used = r.get("memoryUsed", 0) + r.get("diskUsed", 0)
                old = self.rdds.get(r["id"], {"bytes": 0})
                if used >= old["bytes"]:
                    self.rdds[r["id"]] = {"bytes": used, "partitions": r.get("numPartitions"),
                                          "name": r.get("name", "")[:160]}
            self.done.wait(self.every)

    def result(self) -> dict:
        return {"peak_cached_bytes": self.peak_total, "peak_cached_memory_bytes": self.peak_memory,
                "rdds": sorted(self.rdds.values(), key=lambda r: -r["bytes"])[:12]}


def child(a) -> int:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    import thresher.jobs.builtins  # noqa: F401  (registers minhash_dedup)
    from thresher.operators import Recipe, run
    from thresher.operators.progress import job_group
    from thresher.operators.session import get_or_create_session

    conf = {"spark.sql.shuffle.partitions": 8, "spark.ui.enabled": "true",
            "spark.ui.retainedJobs": 100000, "spark.ui.retainedStages": 100000,
            "spark.ui.retainedTasks": 1000000, "spark.local.dir": a.local_dir,
            "spark.driver.memory": a.driver_memory}
    params = dict(PARAMS)
    if a.variant == "cluster":
        conf["spark.sql.autoBroadcastJoinThreshold"] = "-1"
        params["driver_components_max_edges"] = 0
    t = time.perf_counter()
    spark = get_or_create_session(master="local[2]", conf=conf)
    startup = time.perf_counter() - t
    sc = spark.sparkContext
    current = {"run": "warmup"}
    windows: list = []
    _instrument(sc, current, windows)
    report = {"startup_s": round(startup, 2), "spark": spark.version, "master": "local[2]",
              "conf": {k: str(v) for k, v in conf.items()}, "params": params, "runs": []}
    for name, data in (("warmup", a.warm), ("measured", a.data)):
        current["run"] = name
        recipe = Recipe.from_dict({
            "name": "bench-minhash-scaling",
            "input": {"format": "parquet", "path": data, "id_column": "id"},
            "steps": [{"minhash_dedup": params}], "execution": {"mode": "staged"}})
        poller = StoragePoller(spark)
        poller.start()
        start = time.time()
        t = time.perf_counter()
        with job_group(sc, f"{name}:other", "minhash run"):
            result = run(recipe, spark=spark, echo=lambda s: None)
        wall = time.perf_counter() - t
        end = time.time()
        poller.done.set()
        poller.join()
        step = result.steps[-1]
        report["runs"].append({"name": name, "data": data, "docs_in": result.steps[0].rows_in,
                               "wall_s": round(wall, 3), "t_start": start, "t_end": end,
                               "details": step.details, "step_seconds": step.seconds,
                               "storage": poller.result()})
        result.release()
        spark.catalog.clearCache()
    report["windows"] = windows
    report["spark_metrics"] = _spark_metrics(spark, {"warmup", "measured"})
    spark.stop()
    Path(a.json).write_text(json.dumps(report, indent=2, default=str))
    return 0


# ---------------------------------------------------------------------------------------------
# Parent: quiet wait, the child under a sampler, disk

def _descendants(pid: int) -> set[int]:
    import psutil

    try:
        return {p.pid for p in psutil.Process(pid).children(recursive=True)} | {pid}
    except psutil.NoSuchProcess:
        return {pid}


def others_running() -> list[str]:
    """Other ``benchmarks/minhash`` Python processes (not this one or its children)."""
    out = subprocess.run(["pgrep", "-af", "benchmarks/minhash"], capture_output=True, text=True).stdout
    mine = _descendants(os.getpid())
    lines = []
    for line in out.splitlines():
        pid, _, cmd = line.partition(" ")
        if int(pid) not in mine and "python" in cmd:
            lines.append(line[:200])
    return lines


def wait_quiet(limit_s: float, every: float = 30.0) -> dict:
    t = time.perf_counter()
    seen = others_running()
    first = list(seen)
    while seen and time.perf_counter() - t < limit_s:
        print(f"  waiting: {len(seen)} other benchmarks/minhash process(es): {seen[0][:120]}", flush=True)
        time.sleep(every)
        seen = others_running()
    return {"waited_s": round(time.perf_counter() - t, 1), "others_at_start": first,
            "others_when_started": seen}


class DiskSampler(threading.Thread):
    """Peak bytes under a folder (Spark's local dir) and peak used bytes of its disk."""

    def __init__(self, folder: Path, every: float = 1.0):
        super().__init__(daemon=True)
        self.folder, self.every, self.done = folder, every, threading.Event()
        self.peak_dir = 0
        self.base_used = shutil.disk_usage(folder).used
        self.peak_used = self.base_used

    def run(self):
        while not self.done.is_set():
            size = 0
            for root, _dirs, files in os.walk(self.folder):
                for f in files:
                    try:
                        size += os.stat(os.path.join(root, f)).st_size
                    except OSError:
                        pass
            self.peak_dir = max(self.peak_dir, size)
            self.peak_used = max(self.peak_used, shutil.disk_usage(self.folder).used)
            self.done.wait(self.every)


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


SINGLE_MAX = 1_000_000  # the generator holds a whole corpus in memory: ~7 GB PSS at 1M


def corpus_for(n: int) -> Path:
    """The generated corpus of ``n`` documents: ``minhash_corpus.corpus(n)`` up to 1M; above
    that (a 3M corpus would not fit in this machine's memory while generated), the union of
    ``n / 1M`` generated 1M corpora of seeds 0, 1, ..., ids offset by seed * 1M (still
    ``%08d``), files concatenated. Independent seeds share no near-duplicates."""
    import minhash_corpus
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if n <= SINGLE_MAX:
        return minhash_corpus.corpus(n, WORK, 0)
    if n % SINGLE_MAX:
        raise SystemExit(f"sizes above {SINGLE_MAX:,} must be multiples of it, got {n:,}")
    out = WORK / f"mh-docs-{n}-seeds"
    if (out / "_manifest.json").exists():
        return out
    parts = [minhash_corpus.corpus(SINGLE_MAX, WORK, seed) for seed in range(n // SINGLE_MAX)]
    (out / "data").mkdir(parents=True, exist_ok=True)
    text_bytes, chars = 0, 0.0
    for seed, part in enumerate(parts):
        m = json.loads((part / "_manifest.json").read_text())
        text_bytes += m["text_bytes"]
        chars += m["mean_doc_chars"] * m["docs"]
        for f in sorted((part / "data").glob("part-*.parquet")):
            t = pq.read_table(f)
            ids = pc.add(pc.cast(t.column("id"), pa.int64()), seed * SINGLE_MAX)
            ids = pa.array([f"{v:08d}" for v in ids.to_pylist()], pa.string())
            pq.write_table(t.set_column(0, "id", ids), out / "data" / f"s{seed}-{f.name}",
                           row_group_size=65536, compression="snappy")
    manifest = {"docs": n, "seeds": list(range(len(parts))), "text_bytes": text_bytes,
                "mean_doc_chars": round(chars / n, 1), "parts": [str(p) for p in parts],
                "generator": "benchmarks/minhash_scaling.py corpus_for (union of minhash_corpus.py 1M corpora)"}
    (out / "_manifest.json").write_text(json.dumps(manifest, indent=2))
    return out


def measure(n: int, variant: str, a) -> dict:
    import minhash
    import minhash_corpus

    from thresher.dedup.minhash.config import recall_bands_rows

    folder = corpus_for(n)
    warm = minhash_corpus.corpus(2000, WORK, 0) / "data"
    manifest = json.loads((folder / "_manifest.json").read_text())
    quiet = wait_quiet(a.quiet_wait)
    local = WORK / f"spark-local-scaling-{n}"
    shutil.rmtree(local, ignore_errors=True)
    local.mkdir(parents=True)
    out = WORK / "mh-scaling" / f"child-{n}-{variant}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    log = out.with_suffix(".log")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--data", str(folder / "data"),
           "--warm", str(warm), "--json", str(out), "--local-dir", str(local), "--variant", variant,
           "--driver-memory", a.driver_memory]
    load_before = os.getloadavg()
    print(f"[{time.strftime('%H:%M:%S')}] {n:,} docs ({variant}): load {load_before}, "
          f"waited {quiet['waited_s']} s", flush=True)
    disk = DiskSampler(local)
    disk.start()
    t = time.perf_counter()
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
        sampler = minhash.TreeSampler(proc.pid)
        sampler.start()
        rc = proc.wait()
        sampler.done.set()
        sampler.join()
    process_s = time.perf_counter() - t
    disk.done.set()
    disk.join()
    load_after = os.getloadavg()
    shutil.rmtree(local, ignore_errors=True)
    if rc:
        raise RuntimeError(f"child failed ({rc}); see {log}:\n{log.read_text()[-3000:]}")
    rep = json.loads(out.read_text())
    runs = {r["name"]: r for r in rep["runs"]}
    m = runs["measured"]
    mem = sampler.peak(m["t_start"], m["t_end"])
    d = m["details"]
    metrics = rep["spark_metrics"]
    per_stage = {}
    for s in STAGES:
        sm = metrics["measured"].get(s, {})
        per_stage[s] = {"seconds": d.get(f"seconds_{s}"),
                        **{k: v for k, v in sm.items() if k != "stage_list"},
                        "stage_list": sm.get("stage_list", [])}
    total = {k: sum(per_stage[s].get(k, 0) or 0 for s in STAGES)
             for k in ("shuffleWriteBytes", "shuffleReadBytes", "inputBytes", "numTasks",
                       "executorCpuTime", "executorRunTime")}
    res = {"docs": m["docs_in"], "variant": variant, "wall_s": m["wall_s"], "cpu_s": mem["cpu_s"],
           "peak_rss_mib": mem["peak_rss_mib"], "peak_pss_mib": mem["peak_pss_mib"],
           "loadavg_before": load_before, "loadavg_after": load_after, "quiet_wait": quiet,
           "startup_s": rep["startup_s"], "warmup_s": runs["warmup"]["wall_s"],
           "process_s": round(process_s, 1),
           "corpus": {"text_bytes": manifest["text_bytes"], "mean_doc_chars": manifest["mean_doc_chars"],
                      "parquet_bytes": dir_bytes(folder / "data")},
           "disk": {"peak_spark_local_bytes": disk.peak_dir,
                    "peak_disk_growth_bytes": disk.peak_used - disk.base_used,
                    "free_after_bytes": shutil.disk_usage(WORK).free},
           "details": d, "stages": per_stage, "totals": total, "storage": m["storage"],
           "executors": metrics.get("_executors"), "spark": rep["spark"], "conf": rep["conf"],
           "params": rep["params"], "bands_rows": recall_bands_rows(PARAMS["threshold"], PARAMS["num_perm"], 0.99)}
    print(f"  wall {res['wall_s']} s, CPU {res['cpu_s']} s, shuffle write "
          f"{total['shuffleWriteBytes'] / 2**20:.1f} MiB, pairs {d.get('candidate_pairs')}, "
          f"RSS {res['peak_rss_mib']} MiB, local dir peak {disk.peak_dir / 2**20:.0f} MiB", flush=True)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--variant", default="default", help="default, or cluster (no broadcast, Spark components)")
    ap.add_argument("--append", action="store_true", help="add to the existing results file")
    ap.add_argument("--quiet-wait", type=float, default=600.0)
    ap.add_argument("--render", action="store_true")
    ap.add_argument("--skip-note", action="append", default=[], help="a line for the Skipped section")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--data"), ap.add_argument("--warm"), ap.add_argument("--json")
    ap.add_argument("--local-dir")
    ap.add_argument("--driver-memory", default="4g", help="the local JVM's heap (thresher's local default: 4g)")
    ap.add_argument("--results", default=str(RESULTS), help="folder of minhash_scaling.{json,md}")
    ap.add_argument("--doc", default=str(SCALE_DOC), help="the doc whose marked tables are rewritten")
    a = ap.parse_args(argv)
    if a.child:
        return child(a)
    results, scale_doc = Path(a.results), Path(a.doc)
    results.mkdir(parents=True, exist_ok=True)
    path = results / "minhash_scaling.json"
    if a.render:
        report = json.loads(path.read_text())
        report["skipped"] = report.get("skipped", []) + a.skip_note
        write(report, results, scale_doc)
        return 0
    import heuristics

    report = json.loads(path.read_text()) if a.append and path.exists() else {
        "benchmark": "minhash_scaling", "machine": heuristics.machine(), "runs": [], "skipped": []}
    report["command"] = shlex.join([".venv/bin/python", "benchmarks/minhash_scaling.py", *sys.argv[1:]])
    report["date"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    report["skipped"] = report.get("skipped", []) + a.skip_note
    for n in (int(s) for s in a.sizes.split(",") if s):
        res = measure(n, a.variant, a)
        report["runs"] = [r for r in report["runs"] if (r["docs"], r["variant"]) != (n, a.variant)] + [res]
        report["runs"].sort(key=lambda r: (r["variant"] != "default", r["docs"]))
        write(report, results, scale_doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
