"""Near-duplicate dedup on real text (issue 16): thresher's ``minhash_dedup`` vs a plain
datasketch MinHashLSH script, end to end, Spark start included.

    .venv/bin/python benchmarks/minhash_realtext.py                 # the committed results
    .venv/bin/python benchmarks/minhash_realtext.py --max-docs 400 --repeats 1 \\
        --results /tmp/rt-smoke                                     # smoke, a few minutes

1. Corpus (``collect``; deterministic from the files on this machine, cached under
   ``benchmarks/work/realtext/``, delete the folder to collect again): real text files
   from every ``site-packages`` / ``dist-packages`` folder under /work, /opt, /usr and
   /root (this venv, the system Pythons, pyenv's Pythons, bundled SDK Pythons; never
   /tmp, /proc, /sys): ``*.md``, ``*.rst``, ``*.txt`` and ``*.dist-info/METADATA``
   (a package's metadata and long description, i.e. its README); plus /usr/share/doc's
   ``README*``, ``NEWS*`` and ``changelog*`` files (``.gz`` decompressed). Left out:
   licence and copyright files (any path part matching ``LICEN[CS]E``, ``COPYING``,
   ``COPYRIGHT``, ``NOTICE``, ``AUTHORS``, case-insensitive), manual pages (a ``man``
   folder or a ``.1``-``.9`` suffix), files under 300 bytes or over 2 MiB, files with a
   NUL byte, texts with nothing left after normalisation. Decoded as UTF-8 with
   ``errors="replace"``. One file per (path relative to its package folder, content
   hash): the same file mirrored by another Python's copy of the same package is one
   document; byte-identical files at different relative paths (vendored copies) stay,
   as do the versions of one file across packages and Pythons that differ at all.
   Rows shuffled (seed 0), ids 0..n-1 (int64), ``source`` = the file's path,
   ``text``; 4 Parquet files. ``--max-docs N`` takes the first N rows (a smaller corpus
   for trying the script).
2. Engines, each try a fresh process timed from outside (``Popen`` to exit: interpreter
   start, imports, Spark's start and stop, the answer written as Parquet), CPU seconds
   and peak RSS / PSS of its process tree (``minhash.TreeSampler``; needs ``psutil``, the
   ``bench`` extra), also each engine's own internal time; ``--repeats`` tries, round robin, the fastest reported:
   * thresher: ``minhash_thresher.py`` with a plan of one run and no warm-up:
     ``minhash_dedup`` (threshold 0.8, ngram 5, num_perm 128, mode mark, bands by default:
     recall-tuned 16 x 6 with ``verify: true``, 9 x 13 with ``verify: false``) through
     ``thresher.operators.run`` on ``local[2]``, ``verify: true`` (the row the goals are
     about) and ``verify: false`` (for information);
   * datasketch: ``minhash_datasketch.py`` as it is (MinHashLSH threshold 0.8, 128
     permutations, 9 x 13, signatures in a pool of 2).
3. Ground truth: exact Jaccard >= 0.8 on word 5-gram sets of thresher's normalisation
   (``minhash_corpus.normalise``, ``minhash_truth``'s shingles) over every pair sharing a
   band key of ``minhash_truth``'s high-recall LSH (256 permutations, 64 bands x 4 rows)
   and every pair inside any engine's reported clusters (first try); precision, recall
   and F1 over documents (``minhash_truth.score``). Then, untimed, one more thresher
   process writes Spark's own normalised text of every document, compared with the
   Python copy the truth uses.
4. Writes ``--results``/minhash_realtext.json and .md (``--render RESULTS.json`` re-renders
   the Markdown from the JSON).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import minhash  # noqa: E402  (check_normalisation, _v, _java)
import minhash_truth  # noqa: E402
from heuristics import machine  # noqa: E402
from minhash_corpus import normalise  # noqa: E402
from minhash_realtext_corpus import corpus  # noqa: E402

WORK = HERE / "work" / "realtext"
ENGINES = ("thresher-verify-true", "thresher-verify-false", "datasketch")
LABEL = {"thresher-verify-true": "thresher (verify true)", "thresher-verify-false": "thresher (verify false)",
         "datasketch": "datasketch MinHashLSH"}


# ---------------------------------------------------------------------------------------------
# Engines, timed from outside

def timed(name: str, cmd: list[str], log: Path) -> dict:
    """Runs ``cmd`` in a fresh process: wall seconds from start to exit; CPU seconds and peak
    RSS / PSS of its whole process tree (``minhash.TreeSampler``, every 0.25 s)."""
    load = os.getloadavg()
    print(f"[{time.strftime('%H:%M:%S')}] {name} (load {load[0]:.2f}) ...", flush=True)
    with open(log, "w") as f:
        t0, t = time.time(), time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
        sampler = minhash.TreeSampler(proc.pid)
        sampler.start()
        rc = proc.wait()
        wall = time.perf_counter() - t
        sampler.done.set()
        sampler.join()
    if rc:
        raise RuntimeError(f"{name} failed ({rc}); see {log}:\n{log.read_text()[-3000:]}")
    mem = sampler.peak(t0, t0 + wall + 1)
    out = {"wall_s": round(wall, 3), "cpu_s": mem["cpu_s"], "peak_rss_mib": mem["peak_rss_mib"],
           "peak_pss_mib": mem["peak_pss_mib"], "loadavg_before": load, "loadavg_after": os.getloadavg()}
    print(f"    {wall:.1f} s end to end, {mem['cpu_s']} CPU s", flush=True)
    return out


def thresher_try(verify: bool, data: Path, run_dir: Path, rep: int) -> dict:
    name = f"thresher-verify-{str(verify).lower()}"
    plan, out = run_dir / f"{name}-{rep}-plan.json", run_dir / f"{name}-{rep}.json"
    preds = run_dir / f"{name}-{rep}.parquet"
    plan.write_text(json.dumps([{"name": name, "data": str(data / "data"), "verify": verify,
                                 "predictions": str(preds)}]))
    outside = timed(f"{name} try {rep + 1}", [sys.executable, str(HERE / "minhash_thresher.py"), "--plan",
                                               str(plan), "--json", str(out)], run_dir / f"{name}-{rep}.log")
    report = json.loads(out.read_text())
    inner = report["runs"][0]
    return dict(outside, name=name, engine="thresher", verify=verify, predictions=str(preds),
                internal_s=inner["wall_s"], spark_startup_s=report["startup_s"], step_seconds=inner["step_seconds"],
                details=inner["details"], docs_in=inner["docs_in"], spark=report["spark"],
                master=report["master"], shuffle_partitions=report["shuffle_partitions"])


def datasketch_try(data: Path, run_dir: Path, rep: int) -> dict:
    out, preds = run_dir / f"datasketch-{rep}.json", run_dir / f"datasketch-{rep}.parquet"
    outside = timed(f"datasketch try {rep + 1}", [sys.executable, str(HERE / "minhash_datasketch.py"), "--data",
                                                   str(data / "data"), "--json", str(out), "--predictions",
                                                   str(preds)], run_dir / f"datasketch-{rep}.log")
    report = json.loads(out.read_text())
    return dict(outside, name="datasketch", engine="datasketch", predictions=str(preds),
                internal_s=report["wall_s"], phase_seconds=report["seconds"], docs_in=report["docs_in"],
                version=report["version"], bands_rows=report["bands_rows"], procs=report["procs"])


def norm_check(data: Path, run_dir: Path, n: int) -> dict:
    """Untimed: thresher's own normalised text (Spark) of the first ``n`` ids vs the truth's."""
    plan, out, sample = run_dir / "norm-plan.json", run_dir / "norm.json", run_dir / "norm-sample.parquet"
    plan.write_text(json.dumps([{"name": "norm", "data": str(data / "data"), "verify": False}]))
    timed("normalisation check (untimed)", [sys.executable, str(HERE / "minhash_thresher.py"), "--plan", str(plan),
                                            "--json", str(out), "--norm-sample", str(data / "data"), str(n),
                                            str(sample)], run_dir / "norm.log")
    return minhash.check_normalisation(sample)


# ---------------------------------------------------------------------------------------------
# Ground truth

def ground_truth(data: Path, predictions: dict[str, tuple[str, str]]) -> dict:
    """``minhash_truth.build`` without planted groups: exact Jaccard over the high-recall
    LSH's pairs and the pairs inside every reported cluster."""
    t0 = time.perf_counter()
    table = ds.dataset(data / "data", format="parquet").to_table(columns=["id", "source", "text"])
    ids = table.column("id").to_pylist()
    source = table.column("source").to_pylist()
    index = {x: i for i, x in enumerate(ids)}
    n = len(ids)
    norm = [normalise(t) for t in table.column("text").to_pylist()]
    del table
    pred = {name: minhash_truth.labels_from(index, pq.read_table(path), col, n)
            for name, (path, col) in predictions.items()}
    sources = minhash_truth.reported_pairs(pred)
    t = time.perf_counter()
    sources["high_recall_lsh"] = minhash_truth.high_recall_pairs(norm)
    lsh_s = time.perf_counter() - t
    t = time.perf_counter()
    coded, all_pairs, jac = minhash_truth.exact_pairs(sources, norm, n)
    jac_s = time.perf_counter() - t
    dup = all_pairs[jac >= minhash_truth.THRESHOLD]
    positive = np.zeros(n, bool)
    positive[dup // n] = True
    positive[dup % n] = True
    in_lsh = np.isin(dup, coded["high_recall_lsh"])
    identical = int((jac[jac >= minhash_truth.THRESHOLD] == 1.0).sum())
    same_name = sum(os.path.basename(source[int(c // n)]) == os.path.basename(source[int(c % n)])
                    for c in dup.tolist())
    kind = np.full(n, "single", object)  # no planted kinds: score() reports them all as "single"
    info = {"docs": n, "pairs_checked": int(len(all_pairs)),
            "pairs_by_source": {k: int(len(v)) for k, v in coded.items()},
            "pairs_at_or_above_threshold": int(len(dup)),
            "of_which_jaccard_1": identical, "of_which_same_file_name": int(same_name),
            "positives_missed_by_high_recall_lsh": int((~in_lsh).sum()),
            "truth_positive_docs": int(positive.sum()),
            "high_recall_lsh_s": round(lsh_s, 1), "exact_jaccard_s": round(jac_s, 1),
            "seconds": round(time.perf_counter() - t0, 1)}
    return {"positive": positive, "pred": pred, "kind": kind, "level": np.full(n, np.nan), "info": info}


# ---------------------------------------------------------------------------------------------
# Report

TRY_FIELDS = ("wall_s", "internal_s", "cpu_s", "peak_rss_mib", "loadavg_before", "loadavg_after")


def best_of(tries: list[dict]) -> dict:
    return minhash.best_of(tries, summary=lambda r: {k: r[k] for k in TRY_FIELDS})


COUNTS = ("documents", "candidate_pairs", "pairs_after_estimate", "pairs_after_verify", "hot_buckets",
          "largest_hot_bucket", "clusters", "largest_cluster", "near_duplicates", "components_on_driver")


def _n(v) -> str:
    return f"{int(v):,}" if isinstance(v, (int, float)) and float(v).is_integer() else str(v)


def _load(avg) -> str:
    return "(" + ", ".join(f"{x:.2f}" for x in avg) + ")"


def _goal(ok: bool) -> str:
    return "**met**" if ok else "**NOT met**"


def render(r: dict) -> str:
    m, c, g = r["machine"], r["corpus"], r["ground_truth"]
    v = r["versions"]
    runs = {x["name"]: x for x in r["runs"]}
    ds_wall = runs["datasketch"]["wall_s"]
    b = c["bytes"]
    lines = [f"# Near-duplicate dedup on real text: thresher vs datasketch MinHashLSH, end to end ({r['date']})", "",
             f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['memory_gib']} GiB, Python {m['python']}, "
             f"Java {v['java']}, pyspark {v['pyspark']}, numba {v['numba']}, datasketch {v['datasketch']}. "
             f"Load average before {_load(r['loadavg_before'])}, after {_load(r['loadavg_after'])} (the 2 cores "
             f"were shared with other work: expect noise, compare ratios). Whole benchmark: "
             f"{r['total_minutes']} min.", "",
             f"Command: `{r['command']}`", "",
             "## Corpus", "",
             f"{c['docs']:,} real text documents collected from this machine (`collect()` in "
             f"`benchmarks/minhash_realtext.py`, {c['files']} Parquet files, rows shuffled with seed {c['seed']}): "
             "`*.md`, `*.rst`, `*.txt` and `*.dist-info/METADATA` (package metadata and long description, "
             "i.e. the README) from every site-packages / dist-packages folder, and `README*`, `NEWS*`, "
             "`changelog*` from /usr/share/doc (gzip decompressed). Licence and copyright files, manual pages, "
             "files under 300 bytes or over 2 MiB and binary files are left out; a file mirrored at the same "
             "relative path with the same bytes by another Python's copy of a package is kept once; "
             "byte-identical files at different paths (vendored copies) and differing versions stay.", "",
             f"Size (UTF-8 bytes): min {b['min']:,}, median {b['median']:,}, mean {b['mean']:,}, "
             f"p99 {b['p99']:,}, max {b['max']:,}; {b['total_mib']} MiB in all.", "",
             "| type | docs |", "|---|---:|"]
    lines += [f"| {k} | {n:,} |" for k, n in c["docs_by_type"].items()]
    lines += ["", "| package (first part of the path in its folder) | docs |", "|---|---:|"]
    lines += [f"| `{k}` | {n:,} |" for k, n in c["docs_by_package_top15"].items()]
    lines += [f"| (others) | {sum(c['docs_by_type'].values()) - sum(c['docs_by_package_top15'].values()):,} |"]
    lines += ["", "| folder | docs |", "|---|---:|"]
    lines += [f"| `{k}` | {n:,} |" for k, n in c["docs_by_folder"].items() if n]
    lines += ["", "Left out: " + ", ".join(f"{k.replace('_', ' ')} {n:,}" for k, n in c["skipped"].items()) + ".", "",
              "## Ground truth", "",
              f"Exact Jaccard on word 5-gram sets of thresher's normalisation over {g['pairs_checked']:,} candidate "
              "pairs: every pair sharing a band key of a high-recall LSH (256 permutations, 64 bands x 4 rows: "
              f"{g['pairs_by_source']['high_recall_lsh']:,} pairs) and every pair inside any engine's clusters "
              "(" + ", ".join(f"{k[9:]} {n:,}" for k, n in g["pairs_by_source"].items() if k.startswith("reported:"))
              + f"). {g['pairs_at_or_above_threshold']:,} pairs have Jaccard >= 0.8 ({g['of_which_jaccard_1']:,} "
              f"of them 1.0 after normalisation; {g['of_which_same_file_name']:,} between files of the same name); "
              f"{g['positives_missed_by_high_recall_lsh']:,} of them came from a reported cluster only. "
              f"{g['truth_positive_docs']:,} of {g['docs']:,} documents are near-duplicates "
              f"({100 * g['truth_positive_docs'] / g['docs']:.1f}%).", ""]
    nc = r.get("normalisation_check")
    if nc:
        lines += [f"Normalisation check (untimed): thresher's normalised text (Spark) equals the Python copy "
                  f"the truth uses on {nc['equal']:,} of {nc['docs']:,} documents.", ""]
    lines += ["## Results", "",
              f"Each engine ran {r['settings']['repeats']} times, round robin, each try a fresh process; the table "
              "shows its fastest try (every try is under the table and in the JSON).", "",
              "| engine | wall s end to end | internal s | CPU s | peak RSS MiB | peak PSS MiB | precision | recall "
              "| F1 | wall / datasketch's |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in ENGINES:
        x = runs[name]
        q = x["quality"]
        lines.append(f"| {LABEL[name]} | {x['wall_s']:.1f} | {x['internal_s']:.1f} | {x['cpu_s']:.0f} | "
                     f"{x['peak_rss_mib']:,} | {x['peak_pss_mib']:,} | {q['precision']:.4f} | {q['recall']:.4f} | "
                     f"{q['f1']:.4f} | "
                     f"{x['wall_s'] / ds_wall:.2f}x |")
    lines += ["", "Tries (wall s end to end / internal s / 1-minute load average before -> after): " + "; ".join(
        f"{LABEL[n]} " + ", ".join(f"{t['wall_s']:.1f}/{t['internal_s']:.1f}/{t['loadavg_before'][0]:.1f}->"
                                   f"{t['loadavg_after'][0]:.1f}" for t in runs[n]["tries"]) for n in ENGINES) + ".",
              "", "Precision / recall / F1 are over documents (a document is predicted positive when the engine "
              "puts it in a cluster of two or more), from each engine's first try.", ""]
    t = runs["thresher-verify-true"]
    f1_ok, wall_ok = t["quality"]["f1"] >= 0.97, t["wall_s"] <= ds_wall
    lines += ["## Goals (issue 16, thresher with `verify: true`)", "",
              f"* F1 >= 0.97: F1 {t['quality']['f1']:.4f} -> {_goal(f1_ok)}.",
              f"* wall time end to end, Spark start included, <= datasketch's: {t['wall_s']:.1f} s vs "
              f"{ds_wall:.1f} s ({t['wall_s'] / ds_wall:.2f}x) -> {_goal(wall_ok)}.", "",
              f"For information: CPU seconds of the whole process tree, thresher (verify true) {t['cpu_s']:.0f} vs "
              f"datasketch {runs['datasketch']['cpu_s']:.0f} ({t['cpu_s'] / runs['datasketch']['cpu_s']:.2f}x); "
              f"thresher (verify false) {runs['thresher-verify-false']['wall_s']:.1f} s end to end "
              f"({runs['thresher-verify-false']['wall_s'] / ds_wall:.2f}x datasketch's), CPU "
              f"{runs['thresher-verify-false']['cpu_s'] / runs['datasketch']['cpu_s']:.2f}x, F1 "
              f"{runs['thresher-verify-false']['quality']['f1']:.4f}.", "",
              "## Where the time goes", ""]
    notes = r.get("notes") or []
    for name in ENGINES[:2]:
        x = runs[name]
        d = x["details"]
        stages = ", ".join(f"{k[8:]} {v:.1f}" for k, v in d.items() if k.startswith("seconds_"))
        lines.append(f"* {LABEL[name]} (fastest try): {x['wall_s']:.1f} s end to end = Spark start-up "
                     f"{x['spark_startup_s']:.1f} s + `run()` {x['internal_s']:.1f} s + the rest "
                     f"{x['wall_s'] - x['spark_startup_s'] - x['internal_s']:.1f} s (interpreter start and imports, "
                     "writing the answer, Spark's stop and JVM exit). In `run()`: the step "
                     f"{x['step_seconds']:.1f} s; stage seconds {stages}. "
                     + ", ".join(f"{k.replace('_', ' ')} {_n(d[k])}" for k in COUNTS if k in d) + ".")
    x = runs["datasketch"]
    lines += [f"* datasketch (fastest try): {x['wall_s']:.1f} s end to end, of which its own timing "
              f"{x['internal_s']:.1f} s: " + ", ".join(f"{k} {v:.1f}" for k, v in x["phase_seconds"].items())
              + f"; the rest {x['wall_s'] - x['internal_s']:.1f} s is interpreter start, imports and writing the "
              "answer.", ""]
    if notes:
        lines += ["## Notes on this run", ""] + [f"* {n}" for n in notes] + [""]
    lines += ["## What is timed", "",
              "* wall s end to end: from `Popen` to the process's exit, measured by the benchmark around the "
              "whole engine process: interpreter start, imports, (thresher) the JVM's and SparkSession's start, "
              "the run, writing `(id, cluster)` of every document to Parquet, Spark's stop. No warm-up run: "
              "every try is a cold process (the OS file cache is warm after the first try).",
              "* internal s: the engine's own timing. thresher: `run(recipe)` (reading the Parquet, the unique-id "
              "check, normalising, signatures, band keys, candidate edges, [verify], components, keepers, the "
              "join back and the runner's counts), Spark's start-up not included. datasketch: reading the "
              "Parquet to every document's cluster (signatures in a pool of 2, MinHashLSH insert and query, "
              "union-find).",
              "* CPU s, peak RSS and PSS: of the engine's whole process tree (Spark's JVM and Python workers, "
              "datasketch's pool), sampled every 0.25 s over the whole process (`minhash.TreeSampler`); CPU s "
              "is less sensitive than wall time to other work on the machine.",
              f"* thresher: `minhash_dedup` threshold 0.8, ngram 5, 128 permutations, mode mark, `local[2]`, "
              f"{t['shuffle_partitions']} shuffle partitions, Spark {t['spark']}; bands by default "
              "(recall-tuned 16 x 6 with verify true, 9 x 13 with verify false). datasketch: "
              "`minhash_datasketch.py` as it is (threshold 0.8, 128 permutations, 9 x 13, pool of 2).", ""]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-docs", type=int, default=None, help="first N rows of the corpus (trying the script)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--work", default=str(WORK))
    ap.add_argument("--results", default=str(HERE / "results"))
    ap.add_argument("--name", default="minhash_realtext")
    ap.add_argument("--no-norm-check", action="store_true")
    ap.add_argument("--render", metavar="RESULTS_JSON",
                    help="only re-render the Markdown of a results file (with its hand-written 'notes' list, if any)")
    a = ap.parse_args(argv)
    if a.render:
        path = Path(a.render)
        path.with_suffix(".md").write_text(render(json.loads(path.read_text())))
        return 0
    t_all = time.perf_counter()
    work, results = Path(a.work), Path(a.results)
    work.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    data = corpus(work, a.max_docs)
    run_dir = work / f"run-{a.max_docs or 'all'}"
    run_dir.mkdir(exist_ok=True)
    report = {"benchmark": "minhash_realtext", "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
              "command": shlex.join([".venv/bin/python", "benchmarks/minhash_realtext.py", *sys.argv[1:]]),
              "machine": machine(), "loadavg_before": os.getloadavg(),
              "corpus": json.loads((data / "_manifest.json").read_text()),
              "settings": {"threshold": 0.8, "ngram": 5, "num_perm": 128, "repeats": a.repeats}}
    jobs = {"thresher-verify-true": lambda rep: thresher_try(True, data, run_dir, rep),
            "thresher-verify-false": lambda rep: thresher_try(False, data, run_dir, rep),
            "datasketch": lambda rep: datasketch_try(data, run_dir, rep)}
    tries: dict[str, list] = {name: [] for name in jobs}
    for rep in range(a.repeats):  # round robin: a noisy spell hits one try of each
        for name, job in jobs.items():
            tries[name].append(job(rep))
    report["runs"] = [best_of(tries[name]) for name in jobs]

    print(f"[{time.strftime('%H:%M:%S')}] ground truth ...", flush=True)
    cols = {"thresher-verify-true": "dup_cluster", "thresher-verify-false": "dup_cluster", "datasketch": "cluster"}
    truth = ground_truth(data, {name: (tries[name][0]["predictions"], cols[name]) for name in jobs})
    report["ground_truth"] = truth["info"]
    for run in report["runs"]:
        q = minhash_truth.score(truth, run["name"])
        q.pop("by_planted_kind")
        run["quality"] = q
    report["normalisation_check"] = (None if a.no_norm_check else
                                     norm_check(data, run_dir, report["corpus"]["docs"]))
    report["versions"] = {"thresher": minhash._v("thresher"), "pyspark": minhash._v("pyspark"),
                          "numba": minhash._v("numba"), "numpy": minhash._v("numpy"),
                          "pyarrow": minhash._v("pyarrow"), "datasketch": minhash._v("datasketch"),
                          "java": minhash._java()}
    report["loadavg_after"] = os.getloadavg()
    report["total_minutes"] = round((time.perf_counter() - t_all) / 60, 1)
    (results / f"{a.name}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    text = render(report)
    (results / f"{a.name}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
