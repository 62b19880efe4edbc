"""Heuristic filters, thresher vs DataTrove, side by side on the same Parquet and the same cores.

    .venv/bin/python benchmarks/heuristics.py --docs 1000000 [--peer-docs 100000]

1. Generates the corpus with ``gen_docs.py`` (deterministic; cached under benchmarks/work/).
2. thresher: one recipe with the Gopher quality + repetition rules, ``local[2]``,
   ``execution: fused`` (one Spark plan), output Parquet. Timed around ``run()``,
   i.e. read, filter, count per reason and write; Spark's start-up is timed apart.
   Its text metrics run as Java UDFs (the default); on the peer corpus it also runs
   with them as Spark SQL expressions (``spark.thresher.textUdfs=off``), for the record.
3. DataTrove: its own pipeline (ParquetReader -> GopherQualityFilter ->
   GopherRepetitionFilter -> ParquetWriter) under LocalPipelineExecutor(tasks=2,
   workers=2), in its own venv (see NOTES-datatrove.md), via ``datatrove_side.py``.
4. Writes docs/s for both, their ratio and the agreement of the kept sets to
   ``benchmarks/results/heuristics.json`` and ``.md``, with the machine it ran on.

DataTrove is ~100x slower, so ``--peer-docs`` lets it run on a smaller corpus of the
same generator; thresher then runs on that corpus too, and the ratio is taken on it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import datatrove_side  # noqa: E402

# The same rules and thresholds as datatrove_side.THRESHOLDS (Gopher, Rae et al. 2021).
STEPS = [
    {"word_count_filter": {"min": 50, "max": 100_000}},
    {"mean_word_length_filter": {"min": 3, "max": 10}},
    {"symbol_ratio_filter": {"max_ratio": 0.1}},
    {"bullet_line_filter": {"max_ratio": 0.9}},
    {"line_end_ellipsis_filter": {"max_ratio": 0.3}},
    {"alpha_ratio_filter": {"min_ratio": 0.8}},
    {"stopword_filter": {"min_stopwords": 2}},
    {"duplicate_line_fraction_filter": {"unit": "line", "max_fraction": 0.3, "max_char_fraction": 0.2}},
    {"duplicate_line_fraction_filter": {"unit": "paragraph", "max_fraction": 0.3,
                                        "max_char_fraction": 0.2}},
    {"top_ngram_repetition_filter": {"max_fractions": {2: 0.20, 3: 0.18, 4: 0.16}}},
]


def corpus(docs: int, work: Path) -> Path:
    out = work / f"docs-{docs}"
    if not (out / "_manifest.json").exists():
        subprocess.run([sys.executable, str(HERE / "gen_docs.py"), "--docs", str(docs), "--out", str(out)],
                       check=True)
    return out


DATATROVE_PINS = ["datatrove==0.10.1", "spacy==3.8.18", "regex", "pyarrow==26.0.1", "numpy==2.4.6"]


def ensure_datatrove_venv() -> str:
    """DataTrove gets a venv of its own (NOTES-datatrove.md): created once, then reused."""
    python = datatrove_side.DT_PYTHON
    if not os.path.exists(python):
        venv = os.path.dirname(os.path.dirname(python))
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", *DATATROVE_PINS], check=True)
    return python


def run_thresher(spark, data: Path, out: Path, engine: str = "jvm") -> dict:
    """``engine``: ``jvm`` (the text metrics as Java UDFs, the default path) or ``sql``
    (the same metrics as Spark SQL expressions: spark.thresher.textUdfs=off)."""
    import thresher.jobs.builtins  # noqa: F401
    from thresher import Recipe, run
    from thresher.operators.text import udfs

    recipe = Recipe.from_dict({
        "name": "bench-heuristics",
        "input": {"format": "parquet", "path": str(data), "id_column": "id"},
        "steps": STEPS,
        "output": {"format": "parquet", "path": str(out), "mode": "overwrite"},
        "execution": {"mode": "fused"},
    })
    spark.conf.set(udfs.CONF, "on" if engine == "jvm" else "off")
    try:
        t = time.perf_counter()
        result = run(recipe, spark=spark, echo=lambda s: None)
        wall = time.perf_counter() - t
    finally:
        spark.conf.unset(udfs.CONF)
    steps = result.steps
    drops: dict[str, int] = {}
    for s in steps:
        drops.update(s.dropped_by_reason)
    return {"engine": "thresher", "text_metrics": engine, "docs_in": steps[0].rows_in, "docs_kept": steps[-1].rows_out,
            "wall_s": round(wall, 3), "docs_per_s": round(steps[0].rows_in / wall, 1), "drops": drops}


def kept_ids(path: Path) -> set[str]:
    import pyarrow.dataset as ds

    return set(ds.dataset(str(path), format="parquet").to_table(columns=["id"]).column("id").to_pylist())


def agreement(n: int, a: set[str], b: set[str]) -> dict:
    both = len(a & b)
    return {"both_kept": both, "only_thresher_kept": len(a - b), "only_datatrove_kept": len(b - a),
            "agreement": round((n - len(a ^ b)) / n, 4)}


def machine() -> dict:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gib": round(mem, 1),
            "python": platform.python_version(), "platform": platform.platform()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--peer-docs", type=int, default=None, help="DataTrove's corpus size (default --docs)")
    ap.add_argument("--tokenizers", default="spacy,whitespace",
                    help="DataTrove word tokenizers to run: spacy (its English default) and/or "
                    "whitespace (str.split(), thresher's words: the same rules, stricter target)")
    ap.add_argument("--work", default=str(HERE / "work"))
    ap.add_argument("--results", default=str(HERE / "results"))
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--skip-sql", action="store_true",
                    help="do not also time thresher's SQL-expression path on the peer corpus")
    args = ap.parse_args(argv)
    work, results = Path(args.work), Path(args.results)
    work.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    peer_docs = args.peer_docs or args.docs

    from thresher.operators.session import get_or_create_session

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ["DT_NO_DUP_NGRAMS"] = "1"  # DataTrove runs exactly thresher's rule set
    t = time.perf_counter()
    spark = get_or_create_session(master="local[2]", conf={"spark.sql.shuffle.partitions": 4})
    startup = time.perf_counter() - t
    report = {"benchmark": "heuristics", "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "machine": machine(), "loadavg_before": os.getloadavg(), "spark_startup_s": round(startup, 1),
              "rules": STEPS, "runs": []}

    big = corpus(args.docs, work)
    report["runs"].append(dict(run_thresher(spark, big, work / "thresher-out-big"), data=str(big)))
    if not args.skip_peer:
        small = corpus(peer_docs, work)
        if peer_docs != args.docs:
            report["runs"].append(dict(run_thresher(spark, small, work / "thresher-out"), data=str(small)))
        ours = report["runs"][-1]
        if not args.skip_sql:
            report["runs"].append(dict(run_thresher(spark, small, work / "thresher-out-sql", "sql"),
                                       data=str(small)))
        out_same = work / ("thresher-out" if peer_docs != args.docs else "thresher-out-big")
        report["speedup_vs_datatrove"], report["agreement_on_peer_corpus"] = {}, {}
        for tokenizer in args.tokenizers.split(","):
            dt_out = work / f"datatrove-out-{tokenizer}"
            peer = datatrove_side.run_subprocess(str(small), python=ensure_datatrove_venv(),
                                                 tokenizer=tokenizer, sink="parquet",
                                                 out=str(dt_out), workdir=str(work))
            report["runs"].append(peer)
            report["speedup_vs_datatrove"][tokenizer] = round(ours["docs_per_s"] / peer["docs_per_s"], 2)
            report["agreement_on_peer_corpus"][tokenizer] = agreement(
                ours["docs_in"], kept_ids(out_same), kept_ids(dt_out))
    report["loadavg_after"] = os.getloadavg()
    spark.stop()

    (results / "heuristics.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (results / "heuristics.md").write_text(render(report))
    print(render(report))
    return 0


def render(r: dict) -> str:
    m = r["machine"]
    lines = [f"# Heuristic filters: thresher vs DataTrove ({r['date']})", "",
             f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['memory_gib']} GiB, Python {m['python']}; "
             f"load average before {tuple(round(x, 2) for x in r['loadavg_before'])}, after "
             f"{tuple(round(x, 2) for x in r['loadavg_after'])}. Spark start-up {r['spark_startup_s']} s "
             "(not in the timings).", "",
             "| engine | corpus | docs in | kept | wall s | docs/s |", "|---|---|---:|---:|---:|---:|"]
    for run in r["runs"]:
        name = run["engine"] + (f" ({run['tokenizer']} words)" if run["engine"] == "datatrove"
                                 else f" ({run.get('text_metrics', 'sql')} metrics)")
        lines.append(f"| {name} | {Path(run['data']).name} | {run['docs_in']:,} | {run['docs_kept']:,} | "
                     f"{run['wall_s']:.1f} | {run['docs_per_s']:,.0f} |")
    for tokenizer, speedup in r.get("speedup_vs_datatrove", {}).items():
        a = r["agreement_on_peer_corpus"][tokenizer]
        lines += ["", f"**thresher / DataTrove ({tokenizer} words) docs/s on the same corpus: "
                  f"{speedup}x** (goal: >= 2x). Same verdict for {a['agreement']:.2%} of documents; "
                  f"kept by both {a['both_kept']:,}, only by thresher {a['only_thresher_kept']:,}, "
                  f"only by DataTrove {a['only_datatrove_kept']:,}."]
    if r.get("speedup_vs_datatrove"):
        lines += ["", "DataTrove ran without its duplicated 5..10-gram rules, which thresher does not "
                  "have, so both ran the same rule set. `spacy` is DataTrove's default English word "
                  "tokenizer; `whitespace` runs DataTrove's same filter code on str.split() words, "
                  "as thresher splits words. Verdict differences come from tokenisation and the rule "
                  "details in NOTES-datatrove.md."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
