"""Near-duplicate dedup end to end: thresher vs DataTrove vs text-dedup vs datasketch, side by side.

    .venv/bin/python benchmarks/minhash.py --docs 200000 --scaling 10000,100000,1000000 \\
        --peers datatrove,textdedup,datasketch                  # the committed results, ~50 min
    .venv/bin/python benchmarks/minhash.py --docs 5000 --scaling 2000,5000 --repeats 1 \\
        --results /tmp/mh-smoke                                  # smoke, a few minutes

Needs ``psutil`` in thresher's venv; creates DataTrove's and text-dedup's venvs under
benchmarks/work/ on first use (pip, pinned versions).

1. Corpora from ``minhash_corpus.py`` (deterministic, cached under benchmarks/work/): the main
   one (``--docs``) with planted near-duplicates at known Jaccard levels and exact copies,
   one per ``--scaling`` size, and a 2,000-document one for warm-ups.
2. Every engine runs in a process of its own, one after the other, on the same 2 cores,
   over the same Parquet folder, with word 5-grams, threshold 0.8 (bands 9 x rows 13) and
   128 permutations where the engine has such settings; ``--repeats`` tries each, round
   robin, and the fastest try is reported (the machine is shared). A sampler adds up the
   RSS and PSS, and the CPU seconds, of the engine's whole process tree (Spark's JVM and
   Python workers, DataTrove's and text-dedup's worker processes) every 0.25 s:
   * thresher (``minhash_thresher.py``): ``minhash_dedup`` through the runner on local[2],
     once per ``--thresher-verify`` value, each in a fresh process (Spark started and a
     2,000-document warm-up run first; both reported, neither in the timing);
   * DataTrove (``minhash_datatrove.py``, its own venv): the four-step pipeline, once per
     ``--dt-tokenizers`` value;
   * text-dedup (``minhash_textdedup.py``, its own venv): ``text_dedup.minhash``;
   * datasketch (``minhash_datasketch.py``): MinHashLSH insert/query + union-find.
3. Ground truth (exact Jaccard) and precision/recall/F1 per engine (``minhash_truth.py``),
   from each engine's first try.
4. thresher alone at each ``--scaling`` size (one process, warmed up, ``--scaling-verify``),
   and the fitted exponent of time vs documents.
5. Writes ``benchmarks/results/minhash.json`` and ``minhash.md`` (``minhash_report.py``;
   ``python benchmarks/minhash_report.py RESULTS.json`` re-renders the Markdown).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import heuristics  # noqa: E402  (machine(), DataTrove's venv)
import minhash_corpus  # noqa: E402
import minhash_report  # noqa: E402
import minhash_truth  # noqa: E402

WORK = HERE / "work"
DT_EXTRA = ["xxhash==3.8.2", "tokenizers==0.23.3"]  # DataTrove's MinHash needs these (notes)
TD_PYTHON = WORK / "td-venv" / "bin" / "python"
TD_PINS = ["text-dedup==0.4.0", "datasets==5.2.0", "xxhash==4.1.0", "pyarrow==26.0.1", "numpy==2.4.6"]


def _venv(python: Path, pins: list[str], probe: str) -> str:
    """``python``'s venv, created with ``pins`` if missing; ``probe`` must import there."""
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(python.parents[1])], check=True)
    if subprocess.run([str(python), "-c", probe], capture_output=True).returncode:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
    return str(python)


def datatrove_python() -> str:
    heuristics.ensure_datatrove_venv()
    return _venv(Path(heuristics.datatrove_side.DT_PYTHON), DT_EXTRA,
                 "import tokenizers, xxhash; assert xxhash.VERSION < '4'")


def textdedup_python() -> str:
    return _venv(TD_PYTHON, TD_PINS, "import text_dedup.minhash")


class TreeSampler(threading.Thread):
    """Samples a process and all its descendants: (time, RSS sum, PSS sum, CPU seconds by pid)."""

    def __init__(self, pid: int, every: float = 0.25):
        super().__init__(daemon=True)
        import psutil

        self.root, self.every, self.samples = psutil.Process(pid), every, []
        self.done = threading.Event()

    def run(self):
        import psutil

        while not self.done.is_set():
            rss = pss = 0
            cpu = {}
            try:
                procs = [self.root] + self.root.children(recursive=True)
            except psutil.NoSuchProcess:
                break
            for p in procs:
                try:
                    with p.oneshot():
                        m, c = p.memory_full_info(), p.cpu_times()
                        rss, pss = rss + m.rss, pss + getattr(m, "pss", m.rss)
                        cpu[(p.pid, p.create_time())] = c.user + c.system
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    pass
            self.samples.append((time.time(), rss, pss, cpu))
            self.done.wait(self.every)

    def peak(self, t0: float, t1: float) -> dict:
        """Peak memory in [t0, t1] and the CPU seconds the tree used then (a process's CPU
        after its last sample, at most 0.25 s, is missed)."""
        inside = [s for s in self.samples if t0 <= s[0] <= t1] or self.samples
        before = [s for s in self.samples if s[0] < t0]
        base = before[-1][3] if before else {}
        last: dict = {}
        for s in inside:
            last.update(s[3])
        cpu = sum(v - base.get(k, 0.0) for k, v in last.items())
        return {"peak_rss_mib": round(max(s[1] for s in inside) / 2**20),
                "peak_pss_mib": round(max(s[2] for s in inside) / 2**20),
                "cpu_s": round(cpu, 1), "samples": len(inside)}


def run_side(name: str, cmd: list[str], json_path: Path, logs: Path) -> tuple[dict, TreeSampler]:
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    print(f"[{time.strftime('%H:%M:%S')}] {name}: {' '.join(cmd[1:3])} ... (log {log})", flush=True)
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        rc = proc.wait()
        sampler.done.set()
        sampler.join()
    if rc:
        raise RuntimeError(f"{name} failed ({rc}); see {log}:\n{log.read_text()[-3000:]}")
    return json.loads(json_path.read_text()), sampler


def thresher_side(name: str, plan: list[dict], work: Path, extra=()) -> dict:
    plan_path, out = work / f"{name}-plan.json", work / f"{name}.json"
    plan_path.write_text(json.dumps(plan, indent=2))
    report, sampler = run_side(name, [sys.executable, str(HERE / "minhash_thresher.py"), "--plan",
                                      str(plan_path), "--json", str(out), *extra], out, work / "logs")
    for r in report["runs"]:
        r["memory"] = sampler.peak(r["t_start"], r["t_end"])
    return report


def thresher_job(verify: bool, data: Path, warm: Path, work: Path, execution: str, rep: int,
                 norm_sample: Path | None) -> dict:
    name = f"thresher-verify-{str(verify).lower()}"
    item = {"name": name, "data": str(data), "verify": verify}
    extra = ["--execution", execution]
    if rep == 0:
        item["predictions"] = str(work / f"{name}.parquet")
        if norm_sample:
            extra += ["--norm-sample", str(data), "5000", str(norm_sample)]
    side = thresher_side(f"{name}-{rep}", [{"name": "warmup", "data": str(warm), "verify": verify,
                                            "warmup": True}, item], work, extra)
    return dict(side["runs"][-1], startup_s=side["startup_s"], warmup_s=side["runs"][0]["wall_s"],
                spark=side["spark"], shuffle_partitions=side["shuffle_partitions"])


def peer(name: str, python: str, script: str, data: Path, work: Path, rep: int, *args) -> dict:
    out = work / f"{name}-{rep}.json"
    cmd = [python, str(HERE / script), "--data", str(data), "--json", str(out), *args]
    if rep == 0:
        cmd += ["--predictions", str(work / f"{name}.parquet")]
    report, sampler = run_side(f"{name}-{rep}", cmd, out, work / "logs")
    report["memory"] = sampler.peak(report["t_start"], report["t_end"])
    report["name"] = name
    return report


def _try_summary(r: dict) -> dict:
    return {"wall_s": r["wall_s"], "cpu_s": r["memory"]["cpu_s"],
            "peak_rss_mib": r["memory"]["peak_rss_mib"], "loadavg_after": r["loadavg_after"]}


def best_of(tries: list[dict], summary=_try_summary) -> dict:
    """The try with the shortest wall-clock, with ``summary`` (wall, CPU, load) of every try."""
    best = dict(min(tries, key=lambda r: r["wall_s"]))
    best["tries"] = [summary(r) for r in tries]
    return best


def _v(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def fit_exponent(points: list[tuple[int, float]]) -> dict:
    import numpy as np

    docs = np.array([p[0] for p in points], float)
    secs = np.array([p[1] for p in points], float)
    slope = float(np.polyfit(np.log(docs), np.log(secs), 1)[0]) if len(points) > 1 else None
    steps = [round(float(np.log(secs[i + 1] / secs[i]) / np.log(docs[i + 1] / docs[i])), 3)
             for i in range(len(points) - 1)]
    return {"exponent": None if slope is None else round(slope, 3), "pairwise_exponents": steps}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--scaling", default="10000,100000,1000000", help="thresher-only sizes ('' for none)")
    ap.add_argument("--peers", default="datatrove,textdedup,datasketch")
    ap.add_argument("--dt-tokenizers", default="spacy,whitespace",
                    help="DataTrove word tokenizers: spacy (its English default) and/or whitespace")
    ap.add_argument("--thresher-verify", default="false,true")
    ap.add_argument("--scaling-verify", default="true", help="verify values for the scaling runs (false,true: both)")
    ap.add_argument("--execution", choices=["staged", "fused"], default="staged")
    ap.add_argument("--repeats", type=int, default=2,
                    help="tries per engine, round robin; the fastest is reported (a shared machine)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", default=str(WORK))
    ap.add_argument("--results", default=str(HERE / "results"))
    ap.add_argument("--name", default="minhash", help="results file stem")
    ap.add_argument("--scaling-only", action="store_true",
                    help="run only the scaling part and put it into the existing results file")
    a = ap.parse_args(argv)
    work, results = Path(a.work), Path(a.results)
    work.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    run_dir = work / "mh-run"
    run_dir.mkdir(exist_ok=True)
    t_all = time.perf_counter()
    peers = [p for p in a.peers.split(",") if p]
    pythons = {"datatrove": datatrove_python() if "datatrove" in peers else None,
               "textdedup": textdedup_python() if "textdedup" in peers else None}
    sizes = [int(s) for s in a.scaling.split(",") if s]
    main_dir = minhash_corpus.corpus(a.docs, work, a.seed)
    warm = minhash_corpus.corpus(2000, work, a.seed) / "data"
    scaling_dirs = {n: minhash_corpus.corpus(n, work, a.seed) / "data" for n in sizes}
    data = main_dir / "data"

    if a.scaling_only:
        path = results / f"{a.name}.json"
        report = json.loads(path.read_text())
        report["scaling"] = scaling(a, sizes, scaling_dirs, warm, run_dir)
        report.pop("scaling_error", None)
        report["scaling_command"] = shlex.join([".venv/bin/python", *sys.argv])
        report["scaling_date"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        report["scaling_loadavg"] = os.getloadavg()
        path.write_text(json.dumps(report, indent=2, default=str) + "\n")
        (results / f"{a.name}.md").write_text(minhash_report.render(report))
        return 0

    report = {"benchmark": "minhash", "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
              "machine": heuristics.machine(), "loadavg_before": os.getloadavg(),
              "corpus": json.loads((main_dir / "_manifest.json").read_text()),
              "settings": {"threshold": 0.8, "ngram": 5, "num_perm": 128, "bands_rows": [9, 13],
                           "execution": a.execution}, "runs": []}

    for old in list(run_dir.glob("*.parquet")) + list(run_dir.glob("*.json")):
        old.unlink()
    norm_sample = run_dir / "norm-sample.parquet"
    jobs = {}
    for i, v in enumerate(x == "true" for x in a.thresher_verify.split(",") if x):
        jobs[f"thresher-verify-{str(v).lower()}"] = (
            lambda rep, v=v, i=i: thresher_job(v, data, warm, run_dir, a.execution, rep,
                                               norm_sample if i == 0 else None), "dup_cluster")
    if "datatrove" in peers:
        for tok in a.dt_tokenizers.split(","):
            jobs[f"datatrove-{tok}"] = (lambda rep, tok=tok: peer(
                f"datatrove-{tok}", pythons["datatrove"], "minhash_datatrove.py", data, run_dir, rep,
                "--tokenizer", tok, "--workdir", str(run_dir)), "cluster")
    if "textdedup" in peers:
        jobs["text-dedup"] = (lambda rep: peer("text-dedup", pythons["textdedup"], "minhash_textdedup.py",
                                               data, run_dir, rep, "--workdir", str(run_dir)), "cluster")
    if "datasketch" in peers:
        jobs["datasketch"] = (lambda rep: peer("datasketch", sys.executable, "minhash_datasketch.py", data,
                                               run_dir, rep), "cluster")
    tries: dict[str, list] = {name: [] for name in jobs}
    for rep in range(a.repeats):  # round robin, so that a noisy spell hits one try of each, not all
        for name, (job, _) in jobs.items():
            tries[name].append(job(rep))
    report["runs"] = [best_of(tries[name]) for name in jobs]
    report["settings"]["repeats"] = a.repeats

    print(f"[{time.strftime('%H:%M:%S')}] ground truth ...", flush=True)
    preds = {name: (str(run_dir / f"{name}.parquet"), col) for name, (_, col) in jobs.items()}
    truth = minhash_truth.build(str(data), str(main_dir / "truth.parquet"), preds)
    report["ground_truth"] = truth["info"]
    for run in report["runs"]:
        run["quality"] = minhash_truth.score(truth, run["name"])
    report["normalisation_check"] = check_normalisation(norm_sample) if norm_sample.exists() else None
    (results / f"{a.name}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")  # interim

    if sizes:
        try:
            report["scaling"] = scaling(a, sizes, scaling_dirs, warm, run_dir)
        except Exception as e:  # noqa: BLE001 - keep the comparison even if the 1M run fails
            report["scaling_error"] = f"{type(e).__name__}: {e}"[:3000]
    report["versions"] = {"thresher": _v("thresher"), "pyspark": _v("pyspark"), "numba": _v("numba"),
                          "numpy": _v("numpy"), "pyarrow": _v("pyarrow"), "datasketch": _v("datasketch"),
                          "java": _java()}
    report["loadavg_after"] = os.getloadavg()
    report["total_minutes"] = round((time.perf_counter() - t_all) / 60, 1)
    (results / f"{a.name}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    text = minhash_report.render(report)
    (results / f"{a.name}.md").write_text(text)
    print(text)
    return 0


def scaling(a, sizes, dirs: dict, warm: Path, run_dir: Path) -> list[dict]:
    """thresher alone at each size, per verify value, best of ``--repeats``. Each size runs in
    a fresh process (Spark started and warmed up first): in one long session, memory held from
    earlier runs made a later 1M run fail (see the results' notes)."""
    verifies = [x == "true" for x in a.scaling_verify.split(",") if x]
    out = []
    for v in verifies:
        runs = []
        for n in sizes:
            tries = []
            for rep in range(a.repeats):
                name = f"scaling-{n}-verify-{str(v).lower()}"
                side = thresher_side(f"thresher-{name}-{rep}", [
                    {"name": "warmup", "data": str(warm), "verify": v, "warmup": True},
                    {"name": name, "data": str(dirs[n]), "verify": v}], run_dir, ["--execution", a.execution])
                tries.append(dict(side["runs"][-1], startup_s=side["startup_s"], warmup_s=side["runs"][0]["wall_s"]))
            runs.append(best_of(tries))
        cpu = fit_exponent([(r["docs_in"], r["memory"]["cpu_s"]) for r in runs])
        out.append({"verify": v, "runs": runs, **fit_exponent([(r["docs_in"], r["wall_s"]) for r in runs]),
                    "cpu_exponent": cpu["exponent"], "cpu_pairwise_exponents": cpu["pairwise_exponents"]})
    return out


def check_normalisation(path: Path) -> dict:
    """thresher's normalised text (from Spark) vs minhash_corpus.normalise on a sample."""
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    pairs = list(zip(t.column("text").to_pylist(), t.column("norm").to_pylist()))
    same = sum(minhash_corpus.normalise(text) == norm for text, norm in pairs)
    return {"docs": len(pairs), "equal": same}


def _java() -> str | None:
    from thresher.operators.session import java_version

    return str(java_version())


if __name__ == "__main__":
    sys.exit(main())
