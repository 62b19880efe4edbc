"""The DataTrove side of the heuristics benchmark: Gopher quality + repetition filters over Parquet.

Runs DataTrove's own pipeline, unmodified::

    ParquetReader(data, glob_pattern="*.parquet")          # every row of every part file
      -> GopherQualityFilter(**THRESHOLDS["quality"])
      -> GopherRepetitionFilter(**THRESHOLDS["repetition"])
      -> ParquetWriter(out)  (--sink parquet, default)  or nothing (--sink count)
      -> _Meter  (counts what reached the end, records each task's CPU time)

under ``LocalPipelineExecutor(tasks=2, workers=2)`` (the 2 cores), with a fresh logging
folder and ``skip_completed=False`` so that nothing is skipped from an earlier run.  Wall-clock is
taken around ``executor.run()`` in this process, so it includes starting the worker processes,
loading spaCy in each, reading, filtering, writing and merging stats.  The run fails if the
reader saw a different number of documents than the Parquet footers hold (no sampling, no limit).

DataTrove runs in its own virtualenv (``benchmarks/work/dt-venv``, see NOTES-datatrove.md) and
this file imports nothing from thresher, so call it as a subprocess::

    benchmarks/work/dt-venv/bin/python benchmarks/datatrove_side.py \\
        --data benchmarks/work/docs-1m --json benchmarks/work/dt-1m.json

or, from any venv (this module imports DataTrove only inside functions)::

    sys.path.insert(0, "benchmarks"); import datatrove_side
    result = datatrove_side.run_subprocess("benchmarks/work/docs-1m", tokenizer="spacy")

The result has docs_in (checked against the Parquet footers), docs_kept, wall_s, docs_per_s
(= docs_in / wall_s), task_cpu_s (CPU seconds of the task processes, summed: on a busy machine
docs_in / task_cpu_s * cores estimates the uncontended rate), drops per rule, load averages.

``--tokenizer spacy`` (default) is DataTrove's English word tokenizer (spaCy ``blank("en")``,
no model download).  ``--tokenizer whitespace`` passes a ``str.split()`` WordTokenizer to both
filters instead: the same rules on whitespace words, as thresher splits words, and faster.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

# The Gopher thresholds (Rae et al. 2021, table A1), spelled out rather than left to defaults so
# that a change of DataTrove's defaults cannot silently change the benchmark.  These are
# DataTrove 0.10.1's defaults.
THRESHOLDS = {
    "quality": dict(
        min_doc_words=50, max_doc_words=100_000,
        min_avg_word_length=3, max_avg_word_length=10,
        max_symbol_word_ratio=0.1,
        max_bullet_lines_ratio=0.9, max_ellipsis_lines_ratio=0.3,
        max_non_alpha_words_ratio=0.8,
        min_stop_words=2,
        stop_words=["the", "be", "to", "of", "and", "that", "have", "with"],
    ),
    "repetition": dict(
        dup_line_frac=0.3, dup_para_frac=0.3,
        dup_line_char_frac=0.2, dup_para_char_frac=0.2,
        top_n_grams=((2, 0.2), (3, 0.18), (4, 0.16)),
        dup_n_grams=((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)),
    ),
}


def _parquet_files(data: str) -> list[str]:
    return sorted(os.path.join(root, f) for root, _, fs in os.walk(data) for f in fs
                  if f.endswith(".parquet"))


def _footer_rows(data: str) -> int:
    import pyarrow.parquet as pq
    return sum(pq.ParquetFile(p).metadata.num_rows for p in _parquet_files(data))


def _repetition() -> dict:
    """Repetition thresholds; DT_NO_DUP_NGRAMS=1 leaves out the duplicated 5..10-gram rules,
    which thresher does not implement, so both engines run the same rules."""
    rules = dict(THRESHOLDS["repetition"])
    if os.environ.get("DT_NO_DUP_NGRAMS") == "1":
        rules["dup_n_grams"] = ()
    return rules


def _build_pipeline(data: str, tokenizer: str, sink: str, out: str | None):
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter
    from datatrove.pipeline.readers import ParquetReader
    from datatrove.utils.typeshelper import Languages
    from datatrove.utils.word_tokenizers import WordTokenizer

    class WhitespaceSplit(WordTokenizer):
        """Words are str.split() tokens (thresher's definition)."""

        def word_tokenize(self, text: str) -> list[str]:
            return text.split()

        def sent_tokenize(self, text: str) -> list[str]:
            return [s for s in text.splitlines() if s.strip()]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            raise NotImplementedError

    class _Meter(PipelineStep):
        """Last step: consumes the stream, counts documents, records the task's CPU seconds."""
        name = "meter"
        type = "⏱ - METER"

        def run(self, data, rank: int = 0, world_size: int = 1):
            cpu0, wall0 = time.process_time(), time.perf_counter()
            n = 0
            for _ in data:
                n += 1
            self.stat_update("kept", value=n)
            self.stat_update("task_cpu_s", value=time.process_time() - cpu0)
            self.stat_update("task_wall_s", value=time.perf_counter() - wall0)
            return
            yield  # a generator, like every step

    # One tokenizer object shared by both filters: DataTrove caches split_into_words() on
    # (text, mode, language), so the repetition filter reuses the quality filter's words.
    lang = WhitespaceSplit() if tokenizer == "whitespace" else Languages.english
    steps = [
        ParquetReader(data, glob_pattern="*.parquet", text_key="text", id_key="id"),
        GopherQualityFilter(**THRESHOLDS["quality"], language=lang),
        GopherRepetitionFilter(**_repetition(), language=lang),
    ]
    if sink == "parquet":
        from datatrove.pipeline.writers import ParquetWriter
        steps.append(ParquetWriter(out, output_filename="${rank}.parquet"))
    steps.append(_Meter())
    return steps


def _stat_total(step: dict, key: str) -> float:
    v = step["stats"].get(key)
    if v is None:
        return 0
    return v["total"] if isinstance(v, dict) else v


def run_datatrove(data: str, tasks: int = 2, workers: int = 2, tokenizer: str = "spacy",
                  sink: str = "parquet", workdir: str | None = None,
                  out: str | None = None) -> dict:
    """Run the pipeline once over every row of ``data``; return timings and counts.

    With ``sink="parquet"`` the kept documents are written to ``out`` (kept there, replaced
    if it exists) or to a scratch folder that is deleted afterwards."""
    import datatrove
    from datatrove.executor import LocalPipelineExecutor

    expected = _footer_rows(data)
    n_files = len(_parquet_files(data))
    if n_files < tasks:
        raise SystemExit(f"{data} has {n_files} parquet files: fewer than tasks={tasks}, "
                         "some tasks would get no input")
    base = workdir or os.path.join(os.path.dirname(os.path.abspath(__file__)), "work")
    os.makedirs(base, exist_ok=True)
    run_dir = tempfile.mkdtemp(prefix="dt-run-", dir=base)
    if out:
        if os.path.isdir(out):
            stray = [f for f in os.listdir(out) if not f.endswith(".parquet")]
            if stray:
                raise SystemExit(f"--out {out} holds files other than *.parquet ({stray[:3]}); "
                                 "not replacing it")
            shutil.rmtree(out)
    else:
        out = os.path.join(run_dir, "out")
    try:
        executor = LocalPipelineExecutor(
            pipeline=_build_pipeline(data, tokenizer, sink, out), tasks=tasks, workers=workers,
            logging_dir=os.path.join(run_dir, "logs"), skip_completed=False)
        load0 = os.getloadavg()
        t0 = time.perf_counter()
        executor.run()
        wall = time.perf_counter() - t0
        load1 = os.getloadavg()
        with open(os.path.join(run_dir, "logs", "stats.json")) as f:
            stats = json.load(f)
        # Stats names are "<type>: <name>", e.g. "🔻 - FILTER: 🥇 Gopher Quality".
        reader = next(s for s in stats if "READER" in s["name"])
        docs_in = int(_stat_total(reader, "documents"))
        if docs_in != expected:
            raise RuntimeError(f"reader saw {docs_in} documents, the Parquet footers hold {expected}")
        meter = next(s for s in stats if "METER" in s["name"])
        kept = int(_stat_total(meter, "kept"))
        drops = {}
        for s in stats:
            for key, label in (("quality", "Gopher Quality"), ("repetition", "Gopher Repetition")):
                if label in s["name"]:
                    d = {k[len("dropped_"):]: int(_stat_total(s, k))
                         for k in sorted(s["stats"]) if k.startswith("dropped_")}
                    drops[key] = {"total": int(_stat_total(s, "dropped")), **d}
        kept_written = None
        if sink == "parquet":
            import pyarrow.parquet as pq
            kept_written = sum(pq.ParquetFile(p).metadata.num_rows for p in _parquet_files(out))
        cpu = _stat_total(meter, "task_cpu_s")
        return {
            "engine": "datatrove", "datatrove_version": datatrove.__version__
            if hasattr(datatrove, "__version__") else _dist_version("datatrove"),
            "spacy_version": _dist_version("spacy"),
            "data": os.path.abspath(data), "docs_in": docs_in, "docs_kept": kept,
            "docs_written": kept_written, "tasks": tasks, "workers": workers,
            "tokenizer": tokenizer, "sink": sink,
            "wall_s": round(wall, 3), "docs_per_s": round(docs_in / wall, 1),
            "task_cpu_s": round(cpu, 2), "docs_per_cpu_s": round(docs_in / cpu, 1) if cpu else None,
            "task_wall_s": round(_stat_total(meter, "task_wall_s"), 2),
            "drops": drops,
            "loadavg_before": [round(x, 2) for x in load0],
            "loadavg_after": [round(x, 2) for x in load1],
            "cpus": os.cpu_count(),
        }
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


DT_PYTHON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "work", "dt-venv", "bin",
                         "python")


def run_subprocess(data: str, python: str = DT_PYTHON, json_path: str | None = None,
                   **options) -> dict:
    """Run this file's CLI under DataTrove's venv and return its JSON result.

    Importable from any environment (this module imports DataTrove only inside functions), e.g.
    from thresher's venv in benchmarks/heuristics.py.  ``options``: tasks, workers, tokenizer,
    sink, runs, workdir, out (as the CLI flags)."""
    import subprocess
    if not os.path.exists(python):
        raise FileNotFoundError(f"{python} missing: create DataTrove's venv (NOTES-datatrove.md)")
    own_tmp = json_path is None
    if own_tmp:
        fd, json_path = tempfile.mkstemp(suffix=".json", prefix="dt-result-")
        os.close(fd)
    cmd = [python, os.path.abspath(__file__), "--data", data, "--json", json_path]
    for k, v in options.items():
        if v is not None:
            cmd += [f"--{k.replace('_', '-')}", str(v)]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode:
            raise RuntimeError(f"DataTrove run failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        with open(json_path) as f:
            return json.load(f)
    finally:
        if own_tmp:
            os.remove(json_path)


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description="DataTrove Gopher filters over a Parquet folder.")
    ap.add_argument("--data", required=True, help="folder of *.parquet with id, text")
    ap.add_argument("--tasks", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tokenizer", choices=["spacy", "whitespace"], default="spacy")
    ap.add_argument("--sink", choices=["parquet", "count"], default="parquet")
    ap.add_argument("--runs", type=int, default=1, help="repeat and report the median wall")
    ap.add_argument("--workdir", default=None, help="scratch folder (default benchmarks/work)")
    ap.add_argument("--out", default=None, help="keep the kept documents here (--sink parquet)")
    ap.add_argument("--json", default=None, help="write the result here as JSON")
    a = ap.parse_args(argv)
    runs = [run_datatrove(a.data, a.tasks, a.workers, a.tokenizer, a.sink, a.workdir, a.out)
            for _ in range(a.runs)]
    walls = [r["wall_s"] for r in runs]
    result = dict(runs[0])
    if a.runs > 1:
        med = statistics.median(walls)
        result.update(wall_s=med, docs_per_s=round(result["docs_in"] / med, 1), runs_wall_s=walls)
    text = json.dumps(result, indent=2)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")
    print(text, file=sys.stdout)


if __name__ == "__main__":
    main()
