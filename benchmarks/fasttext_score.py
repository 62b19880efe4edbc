"""fastText quality scoring: thresher against the fastText library, docs/s per core.

    .venv/bin/python benchmarks/fasttext_score.py                      # CPU, 100k docs
    .venv/bin/python benchmarks/fasttext_score.py --device cuda        # on a GPU machine
    .venv/bin/python benchmarks/fasttext_score.py --before-rev 7947639 # + an older thresher

1. Corpus: ``gen_docs.py`` documents of ~1 KB (the heuristics benchmark's generator):
   ``--docs`` to score (seed 0) and as many to train on (seed 1), cached under
   benchmarks/work/. Labels for training: ``hq`` for the generator's ``pass``
   documents, ``lq`` for the ones built to fail a Gopher rule.
2. Models, trained once with the ``fasttext`` library (benchmarks/work/fasttext/):
   ``dclm_bigram``, DCLM's classifier recipe (``baselines/train_fasttext_classifier.py``
   in mlfoundations/dclm: softmax, dim 100, lr 0.1, epoch 5, ws 5, minCount 1, the
   released model's "bigram" = wordNgrams 2, fastText's default 2M buckets), and
   ``char3_6``, the same with character n-grams minn 3, maxn 6 and no word n-grams.
   ``--dim`` changes the dimension of both (the released DCLM file's own dim was not
   checked: no model hub here).
3. Measured, each in a fresh process, configurations interleaved round by round
   (``--rounds``) so that load from other jobs hits all of them alike:
   * ``library``: ``model.predict(text.replace("\\n", " "), k=-1)`` one text at a
     time, one thread, as NeMo Curator / DataTrove / DCLM call it (texts already in a
     Python list); and, for reference, ``predict(list_of_texts)`` (the library's own
     C++ loop over lines).
   * ``thresher``: ``TorchFastText.predict_proba`` on the Arrow column in memory, with
     1 and 2 torch threads (on ``--device``).
   * ``spark``: ``fasttext_score`` end to end on ``local[1]`` and ``local[2]``: read the
     Parquet, score through ``mapInArrow``, and a ``noop`` write that forces every row
     (JVM start-up excluded; the first run, which starts the Python workers and loads
     the model in each, is reported apart as ``first_s``).
   Every run records wall time and CPU time (the process's; for Spark the JVM and all
   its Python workers, from /proc). Per core: docs/s divided by the cores a run may use,
   and docs per CPU-second, which a busy machine disturbs least.
4. Writes benchmarks/results/fasttext_score.{json,md} with the machine, the versions,
   the date and the load average.

``--before-rev REV`` also runs thresher's scorer as of git revision REV (its
``operators/`` and ``scorers/`` from ``git archive``, under benchmarks/work/), side by
side with the working tree's.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

# DCLM's train_fasttext_classifier.py defaults (+ wordNgrams 2), fastText's bucket default.
TRAIN = dict(lr=0.1, dim=100, ws=5, epoch=5, minCount=1, loss="softmax", bucket=2_000_000,
             seed=0, verbose=0)
MODELS = {
    "dclm_bigram": dict(wordNgrams=2),
    "char3_6": dict(minn=3, maxn=6),
}
LABEL = "hq"


# ---------------------------------------------------------------------------------------
# Data and models

def corpus(docs: int, seed: int, work: Path) -> Path:
    out = work / (f"docs-{docs}" if seed == 0 else f"docs-{docs}-s{seed}")
    if not (out / "_manifest.json").exists():
        subprocess.run([sys.executable, str(HERE / "gen_docs.py"), "--docs", str(docs),
                        "--seed", str(seed), "--out", str(out)], check=True)
    return out


def _labelled_lines(data: Path, out: Path) -> None:
    import pyarrow.parquet as pq

    table = pq.read_table(data, columns=["id", "text"])
    with open(out, "w", encoding="utf-8") as f:
        for doc_id, text in zip(table["id"].to_pylist(), table["text"].to_pylist()):
            label = "hq" if doc_id.endswith("-pass") else "lq"
            f.write(f"__label__{label} {' '.join(text.splitlines())}\n")


_TRAIN_CHILD = """
import json, sys, time, fasttext
spec = json.loads(sys.argv[1])
t = time.perf_counter()
model = fasttext.train_supervised(spec["input"], **spec["kwargs"])
seconds = time.perf_counter() - t
model.save_model(spec["out"])
n, precision, recall = model.test(spec["valid"])
print(json.dumps({"train_s": round(seconds, 1), "valid_docs": n,
                  "valid_precision_at_1": precision}))
"""


def train_models(train_data: Path, valid_data: Path, work: Path, dim: int, threads: int) -> dict:
    """Each model once (fastText 0.9.2 misbehaves training twice in one process)."""
    models_dir = work / "fasttext"
    models_dir.mkdir(parents=True, exist_ok=True)
    train_txt, valid_txt = models_dir / "train.txt", models_dir / "valid.txt"
    if not train_txt.exists():
        _labelled_lines(train_data, train_txt)
    if not valid_txt.exists():
        _labelled_lines(valid_data, valid_txt)
    info = {}
    for name, extra in MODELS.items():
        kwargs = {**TRAIN, **extra, "dim": dim, "thread": threads}
        path = models_dir / f"{name}_d{dim}.bin"
        meta = path.with_suffix(".json")
        if not path.exists() or not meta.exists():
            spec = {"input": str(train_txt), "valid": str(valid_txt), "out": str(path),
                    "kwargs": kwargs}
            out = subprocess.run([sys.executable, "-c", _TRAIN_CHILD, json.dumps(spec)],
                                 check=True, capture_output=True, text=True).stdout
            meta.write_text(json.dumps({"kwargs": kwargs, **json.loads(out.splitlines()[-1])},
                                       indent=2))
        info[name] = {"path": str(path), "bytes": path.stat().st_size,
                      **json.loads(meta.read_text())}
    return info


def before_source(rev: str, work: Path) -> Path:
    """thresher's ``operators/`` and ``scorers/`` as of ``rev`` (git archive, no checkout)."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    out = work / f"thresher-src-{sha}"
    if not (out / "scorers").exists():
        out.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha, "operators", "scorers", "jobs"],
                                 cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return out


# ---------------------------------------------------------------------------------------
# Workers: one configuration in a fresh process, a JSON line on stdout

def _texts(data: str, docs: int):
    import pyarrow.parquet as pq

    column = pq.read_table(data, columns=["text"]).column("text").combine_chunks()
    return column.slice(0, docs) if docs else column


def _timed(fn) -> dict:
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def worker_library(cfg: dict) -> dict:
    import fasttext

    texts = _texts(cfg["data"], cfg["docs"]).to_pylist()
    model = fasttext.load_model(cfg["model"])
    if cfg["mode"] == "per_text":
        def run():
            for text in texts:
                model.predict(text.replace("\n", " "), k=-1)
    else:  # the library's own loop over lines (predict of a list)
        def run():
            model.predict([text.replace("\n", " ") for text in texts], k=-1)
    model.predict([t.replace("\n", " ") for t in texts[:200]], k=-1)  # warm
    return {"docs": len(texts), "runs": [_timed(run) for _ in range(cfg["repeats"])]}


def worker_thresher(cfg: dict) -> dict:
    import torch

    torch.set_num_threads(cfg["threads"])
    import thresher.scorers as scorers
    from thresher.scorers.fasttext import TorchFastText

    texts = _texts(cfg["data"], cfg["docs"])
    t = time.perf_counter()
    model = TorchFastText.from_file(cfg["model"], device=cfg["device"])
    load = time.perf_counter() - t
    batch = cfg["batch_size"]

    def run():
        model.predict_proba(texts, batch_size=batch)
        if model.device.type == "cuda":
            torch.cuda.synchronize()

    first = _timed(run)  # numba's first calls, the word cache's fills
    return {"docs": len(texts), "load_s": load, "first": first, "device": str(model.device),
            "scorers": scorers.__file__,
            "word_cache": getattr(model, "cache", None) is not None,
            "runs": [_timed(run) for _ in range(cfg["repeats"])]}


def worker_profile(cfg: dict) -> dict:
    """Where predict_proba's time goes, per text: tokenising (the numba kernel, row ids
    out), summing rows (EmbeddingBag), the rest (output layer, conversions). One
    thread, thread CPU time, batches of ``batch_size`` as predict_proba takes them."""
    import numpy as np
    import torch

    torch.set_num_threads(1)
    from thresher.scorers.fasttext import TorchFastText

    texts = _texts(cfg["data"], cfg["docs"])
    model = TorchFastText.from_file(cfg["model"], device="cpu")
    batch = cfg["batch_size"]
    cache = getattr(model, "cache", None)
    new_api = hasattr(model.tokenizer, "rows")

    def tokenise(part):
        if new_api:
            ids, offsets, _ = model.tokenizer.rows(part, cache=cache)
        else:
            ids, offsets = model.tokenizer.ids(part)
        return (torch.from_numpy(ids.astype(np.int32)),
                torch.from_numpy(offsets.astype(np.int32)))

    parts = [texts.slice(s, batch) for s in range(0, len(texts), batch)]
    model.predict_proba(texts)  # numba's first calls, the word cache's fills
    inputs = [tokenise(p) for p in parts]
    clock = time.thread_time
    best = {"tokenise": 1e9, "sum_rows": 1e9, "predict_proba": 1e9}
    for _ in range(cfg["repeats"]):
        t = clock()
        for p in parts:
            tokenise(p)
        best["tokenise"] = min(best["tokenise"], clock() - t)
        t = clock()
        with torch.inference_mode():
            for ids, offsets in inputs:
                model.embedding(ids, offsets)
        best["sum_rows"] = min(best["sum_rows"], clock() - t)
        t = clock()
        model.predict_proba(texts, batch_size=batch)
        best["predict_proba"] = min(best["predict_proba"], clock() - t)
    us = {k: round(v / len(texts) * 1e6, 2) for k, v in best.items()}
    us["other"] = round(us["predict_proba"] - us["tokenise"] - us["sum_rows"], 2)
    rows = sum(int(ids.shape[0]) for ids, _ in inputs) / len(texts)
    return {"docs": len(texts), "us_per_doc": us, "rows_summed_per_doc": round(rows, 1),
            "word_cache": cache is not None, "runs": []}


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and every process below it, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime stime cutime cstime: finished children (Python workers) count too
        total += sum(int(x) for x in fields[11:15])
        stack += children.get(p, [])
    return total / tick


def worker_spark(cfg: dict) -> dict:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    import thresher.jobs.builtins  # noqa: F401
    from thresher.operators.base import StepContext
    from thresher.operators.session import get_or_create_session
    from thresher.scorers.fasttext.operator import FastTextScore

    cores = int(cfg["master"].split("[")[1].rstrip("]"))
    t = time.perf_counter()
    spark = get_or_create_session(master=cfg["master"], conf={
        "spark.sql.shuffle.partitions": cores, "spark.ui.enabled": "false"})
    startup = time.perf_counter() - t
    jvm = int(spark.sparkContext._jvm.ProcessHandle.current().pid())
    op = FastTextScore(model=cfg["model"], label=LABEL, output="quality",
                       batch_size=cfg["batch_size"], device=cfg["device"])
    op = op.bind(StepContext(text_column="text", id_column="id", op_name="fasttext_score"))

    def run() -> dict:
        cpu, wall = _tree_cpu(jvm), time.perf_counter()
        df = spark.read.parquet(cfg["data"])
        op.transform(df).write.format("noop").mode("overwrite").save()
        return {"wall_s": time.perf_counter() - wall, "cpu_s": _tree_cpu(jvm) - cpu}

    docs = spark.read.parquet(cfg["data"]).count()
    partitions = spark.read.parquet(cfg["data"]).rdd.getNumPartitions()
    first = run()
    runs = [run() for _ in range(cfg["repeats"])]
    # Which thresher the Python workers imported (the --before-rev check).
    origin = spark.sparkContext.parallelize([0], 1).map(
        lambda _: __import__("thresher.scorers.fasttext.tokens", fromlist=["_"]).__file__).collect()[0]
    spark.stop()
    return {"docs": docs, "cores": cores, "partitions": partitions, "spark_startup_s": startup,
            "first": first, "runs": runs, "worker_scorers": origin}


WORKERS = {"library": worker_library, "thresher": worker_thresher, "spark": worker_spark,
           "profile": worker_profile}


def run_worker(kind: str, cfg: dict, src: Path | None, cwd: Path) -> dict:
    """One configuration in a fresh process. thresher's source (``src``, else this
    checkout) goes first on PYTHONPATH, for the driver and Spark's Python workers,
    which also put their working directory first: ``cwd`` is a neutral one."""
    code = str(src if src is not None else ROOT)
    env = dict(os.environ)
    env["PYTHONPATH"] = code + os.pathsep + env.get("PYTHONPATH", "")
    cfg = {**cfg, "src": code}
    proc = subprocess.run([sys.executable, __file__, "--worker", kind, json.dumps(cfg)],
                          env=env, capture_output=True, text=True, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed ({cfg}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------
# Orchestration and report

def machine() -> dict:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    info = {"cpus": os.cpu_count(), "cpu_model": cpu, "memory_gib": round(mem, 1),
            "python": platform.python_version(), "platform": platform.platform()}
    try:
        import torch

        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:
        info["gpu"] = None
    return info


def versions() -> dict:
    from importlib.metadata import version

    out = {}
    for pkg in ("torch", "numba", "numpy", "pyarrow", "pyspark", "fasttext-numpy2-wheel"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # noqa: BLE001 - not installed
            out[pkg] = None
    out["java"] = subprocess.run(["java", "-version"], capture_output=True,
                                 text=True).stderr.splitlines()[0]
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                         text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "scorers", "operators"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    out["thresher"] = rev + (" + uncommitted changes" if dirty else "")
    return out


def summarize(result: dict, cores: int) -> dict:
    """Best and median of the timed runs: docs/s, per core, and per CPU-second."""
    docs = result["docs"]
    rates = [docs / r["wall_s"] for r in result["runs"]]
    per_cpu = [docs / r["cpu_s"] for r in result["runs"] if r["cpu_s"] > 0]
    return {"docs_per_s": round(max(rates)), "docs_per_s_median": round(statistics.median(rates)),
            "docs_per_s_per_core": round(max(rates) / cores),
            "docs_per_cpu_s": round(max(per_cpu)) if per_cpu else None,
            "docs_per_cpu_s_median": round(statistics.median(per_cpu)) if per_cpu else None}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("config", nargs="?", help=argparse.SUPPRESS)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=TRAIN["dim"])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--device", default="cpu", help="thresher's device: cpu, cuda, auto")
    ap.add_argument("--rounds", type=int, default=3, help="rounds over all configurations")
    ap.add_argument("--repeats", type=int, default=1, help="timed runs per process and round")
    ap.add_argument("--batch-size", type=int, default=None,
                    help="texts per torch batch (default 1024 on the CPU, 16384 on a GPU)")
    ap.add_argument("--masters", default="local[1],local[2]")
    ap.add_argument("--threads", default=None, help="torch threads of the in-process runs "
                    "(default 1,2; on a GPU 1 and all cores, which tokenise for it)")
    ap.add_argument("--skip", default="", help="comma list of: library, library_list, "
                    "thresher, spark, profile")
    ap.add_argument("--profile-docs", type=int, default=20_000,
                    help="texts of the time breakdown (CPU only)")
    ap.add_argument("--before-rev", default=None,
                    help="also run thresher as of this git revision, side by side")
    ap.add_argument("--train-threads", type=int, default=2)
    ap.add_argument("--work", default=str(HERE / "work"))
    ap.add_argument("--results", default=str(HERE / "results"))
    ap.add_argument("--name", default="fasttext_score", help="results file name")
    args = ap.parse_args(argv)
    if args.worker:
        cfg = json.loads(args.config)
        if cfg.get("src"):  # before this checkout, which the top of this file put first
            sys.path.insert(0, cfg["src"])
        print(json.dumps(WORKERS[args.worker](cfg)))
        return 0

    work, results = Path(args.work), Path(args.results)
    work.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    skip = set(filter(None, args.skip.split(",")))
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: torch sees no GPU on this machine")
    gpu = args.device.startswith("cuda")
    batch = args.batch_size or (16384 if gpu else 1024)
    threads = args.threads or (f"1,{os.cpu_count()}" if gpu else "1,2")
    data = corpus(args.docs, 0, work)
    t = time.perf_counter()
    models = train_models(corpus(args.docs, 1, work), data, work, args.dim, args.train_threads)
    report = {"benchmark": "fasttext_score", "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "machine": machine(), "versions": versions(), "docs": args.docs,
              "corpus": str(data.relative_to(ROOT) if data.is_relative_to(ROOT) else data),
              "device": args.device, "batch_size": batch, "models": models,
              "setup_s": round(time.perf_counter() - t, 1), "loadavg_before": os.getloadavg(),
              "rounds": args.rounds, "repeats": args.repeats, "configs": {}}
    sources = {"after": None}
    if args.before_rev:
        sources = {"before": before_source(args.before_rev, work), **sources}
        report["before_rev"] = args.before_rev

    configs = []  # (key, kind, cfg, src, cores)
    for model in args.models.split(","):
        base = {"data": str(data), "docs": 0, "model": models[model]["path"],
                "repeats": args.repeats}
        if "library" not in skip:
            configs.append((f"{model}/library", "library", {**base, "mode": "per_text"}, None, 1))
        if "library_list" not in skip:
            configs.append((f"{model}/library_list", "library", {**base, "mode": "list"}, None, 1))
        for tag, src in sources.items():
            if "thresher" not in skip:
                for n in map(int, threads.split(",")):
                    configs.append((f"{model}/thresher_{args.device}_{n}t/{tag}", "thresher",
                                    {**base, "threads": n, "device": args.device,
                                     "batch_size": batch}, src, n))
            if "spark" not in skip:
                for master in args.masters.split(","):
                    cores = int(master.split("[")[1].rstrip("]"))
                    configs.append((f"{model}/spark_{master}/{tag}", "spark",
                                    {**base, "master": master, "device": args.device,
                                     "batch_size": batch}, src, cores))
    raw: dict[str, list] = {key: [] for key, *_ in configs}
    for round_ in range(args.rounds):
        for key, kind, cfg, src, cores in configs:
            t = time.perf_counter()
            out = run_worker(kind, cfg, src, work)
            out["loadavg"] = os.getloadavg()
            raw[key].append(out)
            best = max(out["docs"] / r["wall_s"] for r in out["runs"])
            print(f"round {round_ + 1}/{args.rounds} {key}: {best:,.0f} docs/s "
                  f"({time.perf_counter() - t:.0f} s)", flush=True)
    for key, kind, cfg, src, cores in configs:
        merged = {**raw[key][0], "runs": [r for out in raw[key] for r in out["runs"]]}
        report["configs"][key] = {"kind": kind, "cores": cores, **summarize(merged, cores),
                                  "processes": raw[key]}
    if "profile" not in skip and not gpu:
        report["profile"] = {}
        for model in args.models.split(","):
            for tag, src in sources.items():
                cfg = {"data": str(data), "docs": args.profile_docs, "repeats": 3,
                       "model": models[model]["path"], "batch_size": batch}
                report["profile"][f"{model}/{tag}"] = run_worker("profile", cfg, src, work)
    report["loadavg_after"] = os.getloadavg()
    report["ratios"] = ratios(report)
    (results / f"{args.name}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (results / f"{args.name}.md").write_text(render(report))
    print(render(report))
    return 0


def ratios(r: dict) -> dict:
    """thresher per core over the library's one thread, by wall time and by CPU time."""
    out = {}
    for key, c in r["configs"].items():
        model = key.split("/")[0]
        lib = r["configs"].get(f"{model}/library")
        if c["kind"] == "library" or lib is None:
            continue
        out[key] = {"per_core_wall": round(c["docs_per_s_per_core"] / lib["docs_per_s"], 2),
                    "per_cpu_s": (round(c["docs_per_cpu_s"] / lib["docs_per_cpu_s"], 2)
                                  if c["docs_per_cpu_s"] and lib["docs_per_cpu_s"] else None)}
    return out


def render(r: dict) -> str:
    m, v = r["machine"], r["versions"]
    lines = [f"# fastText scoring: thresher vs the fastText library ({r['date']})", "",
             f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['memory_gib']} GiB, GPU: "
             f"{m.get('gpu') or 'none'}; Python {m['python']}; torch {v['torch']}, numba "
             f"{v['numba']}, pyarrow {v['pyarrow']}, pyspark {v['pyspark']}, "
             f"fasttext-numpy2-wheel {v['fasttext-numpy2-wheel']}; thresher {v['thresher']}"
             + (f" (before: {r['before_rev']})" if r.get("before_rev") else "") + ".",
             f"Load average before {tuple(round(x, 2) for x in r['loadavg_before'])}, after "
             f"{tuple(round(x, 2) for x in r['loadavg_after'])} (other jobs share the "
             "machine: runs are interleaved, best of "
             f"{r['rounds'] * r['repeats']} shown, docs per CPU-second are the steadier "
             "measure).", "",
             f"{r['docs']:,} documents of ~1 KB (`{r['corpus']}`), device `{r['device']}`, "
             f"batch size {r['batch_size']}. Models (trained with the library on another "
             f"{r['docs']:,} documents of the generator, hq = its `pass` documents):", ""]
    for name, info in r["models"].items():
        kw = info["kwargs"]
        lines.append(f"* `{name}`: dim {kw['dim']}, wordNgrams {kw.get('wordNgrams', 1)}, "
                     f"minn {kw.get('minn', 0)} maxn {kw.get('maxn', 0)}, bucket {kw['bucket']:,}, "
                     f"{kw['loss']}, epoch {kw['epoch']}, lr {kw['lr']}; "
                     f"{info['bytes'] / 2**20:,.0f} MiB; held-out precision@1 "
                     f"{info['valid_precision_at_1']:.3f}")
    lines += ["", "| model | run | cores | docs/s (best) | docs/s (median) | docs/s per core | "
              "docs per CPU-s | per core vs library | per CPU-s vs library |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for key, c in r["configs"].items():
        model, run = key.split("/", 1)
        ratio = r["ratios"].get(key, {})
        lines.append(f"| {model} | {run} | {c['cores']} | {c['docs_per_s']:,} | "
                     f"{c['docs_per_s_median']:,} | {c['docs_per_s_per_core']:,} | "
                     f"{c['docs_per_cpu_s'] or 0:,} | "
                     f"{ratio.get('per_core_wall', '')}{'x' if ratio else ''} | "
                     f"{ratio.get('per_cpu_s', '')}{'x' if ratio else ''} |")
    if r.get("profile"):
        lines += ["", "Where `predict_proba`'s time goes (one thread, microseconds of thread CPU "
                  "time per text, best of 3 on the first "
                  f"{next(iter(r['profile'].values()))['docs']:,} texts): tokenising = the numba "
                  "kernel giving row ids; summing = the `EmbeddingBag` over them; rest = output "
                  "layer and conversions.", "",
                  "| model / thresher | rows summed per text | tokenise | sum rows | rest | "
                  "total |", "|---|---:|---:|---:|---:|---:|"]
        for key, p in r["profile"].items():
            us = p["us_per_doc"]
            lines.append(f"| {key} | {p['rows_summed_per_doc']:,} | {us['tokenise']} | "
                         f"{us['sum_rows']} | {us['other']} | {us['predict_proba']} |")
    lines += ["", "`library`: `predict(text, k=-1)` per text, one thread (the peers' way); "
              "`library_list`: `predict(list)`, the library's C++ loop over lines. "
              "`thresher_<device>_<n>t`: `TorchFastText.predict_proba` on the Arrow column, "
              "n torch threads. `spark_local[n]`: `fasttext_score` end to end (Parquet read, "
              "score, noop write; JVM start-up and the first run excluded), CPU time of the "
              "JVM and its Python workers. `before`/`after`: thresher as of "
              f"{r.get('before_rev', '-')} / the working tree."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
