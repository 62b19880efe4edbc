"""The DataTrove side of the MinHash dedup benchmark: its own four-step MinHash pipeline.

Runs DataTrove's documented MinHash recipe, unmodified, each step under
``LocalPipelineExecutor(workers=2)`` with a fresh logging folder and ``skip_completed=False``:

1. ``ParquetReader -> MinhashDedupSignature``            tasks=2 (files round-robin)
2. ``MinhashDedupBuckets``                                tasks=num_buckets (one per band)
3. ``MinhashDedupCluster(save_cluster_id, save_cluster_size)``   tasks=1 (DataTrove's design)
4. ``ParquetReader -> MinhashDedupFilter(load_cluster_ids, load_cluster_sizes,
   exclusion_writer=ParquetWriter) -> ParquetWriter``  tasks=2

``MinhashConfig(n_grams=5, num_buckets=9, hashes_per_bucket=13)``: thresher's and datasketch's
bands x rows for threshold 0.8 and 128 permutations (DataTrove has no threshold parameter and
computes buckets x rows = 117 hashes). Hashes: DataTrove's default ``HashConfig`` (xxhash,
64-bit). Text: ``TextNormConfig(norm_numbers=False)`` (lower case, punctuation -> space,
whitespace collapsed, diacritics folded; numbers are NOT replaced by 0, as thresher keeps
them), then words from ``--tokenizer``: ``spacy`` (DataTrove's English default, spaCy
``blank("en")``) or ``whitespace`` (``str.split()``, thresher's words).

Wall-clock is taken around the four ``executor.run()`` calls: starting worker processes,
reading, shingling, hashing, sorting and merging buckets, clustering, and filtering with the
kept and removed documents written to Parquet (DataTrove's way of delivering the answer).
Then, untimed, ``id`` and ``minhash_cluster_id`` / ``minhash_cluster_size`` are read back from
both outputs into ``--predictions`` (``id, cluster``; cluster -1: not in any cluster).

Runs in DataTrove's own venv (benchmarks/work/dt-venv, NOTES-datatrove.md; plus ``xxhash``)::

    benchmarks/work/dt-venv/bin/python benchmarks/minhash_datatrove.py --data DIR --json out.json
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from datatrove_side import _dist_version, _footer_rows, _parquet_files  # noqa: E402

BANDS, ROWS, NGRAM = 9, 13, 5


def _language(tokenizer: str):
    from datatrove.utils.typeshelper import Languages
    from datatrove.utils.word_tokenizers import WordTokenizer

    if tokenizer == "spacy":
        return Languages.english

    class Split(WordTokenizer):
        def word_tokenize(self, text: str) -> list[str]:
            return text.split()

        def sent_tokenize(self, text: str) -> list[str]:
            return [text]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            raise NotImplementedError

    return Split()


def run(data: str, tokenizer: str, workdir: str, tasks: int = 2, workers: int = 2) -> dict:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets,
                                                   MinhashDedupCluster, MinhashDedupFilter,
                                                   MinhashDedupSignature)
    from datatrove.pipeline.readers import ParquetReader
    from datatrove.pipeline.writers import ParquetWriter
    from datatrove.utils.text import TextNormConfig

    if len(_parquet_files(data)) < tasks:
        raise SystemExit(f"{data} has fewer parquet files than tasks={tasks}")
    cfg = MinhashConfig(n_grams=NGRAM, num_buckets=BANDS, hashes_per_bucket=ROWS,
                        norm_config=TextNormConfig(norm_numbers=False))
    lang = _language(tokenizer)
    run_dir = tempfile.mkdtemp(prefix="dt-mh-", dir=workdir)
    d = {k: os.path.join(run_dir, k) for k in ("sigs", "buckets", "remove", "kept", "removed", "logs")}

    def reader():
        return ParquetReader(data, glob_pattern="*.parquet", text_key="text", id_key="id")

    steps = {
        "signatures": ([reader(), MinhashDedupSignature(output_folder=d["sigs"], config=cfg, language=lang)],
                       tasks),
        "buckets": ([MinhashDedupBuckets(input_folder=d["sigs"], output_folder=d["buckets"], config=cfg)],
                    BANDS),
        "cluster": ([MinhashDedupCluster(input_folder=d["buckets"], output_folder=d["remove"], config=cfg,
                                         save_cluster_id=True, save_cluster_size=True)], 1),
        "filter": ([reader(),
                    MinhashDedupFilter(input_folder=d["remove"], load_cluster_ids=True, load_cluster_sizes=True,
                                       exclusion_writer=ParquetWriter(d["removed"])),
                    ParquetWriter(d["kept"])], tasks),
    }
    secs = {}
    start = time.time()
    t0 = time.perf_counter()
    for name, (pipeline, n_tasks) in steps.items():
        t = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=n_tasks, workers=min(workers, n_tasks),
                              logging_dir=os.path.join(d["logs"], name), skip_completed=False).run()
        secs[name] = round(time.perf_counter() - t, 2)
    wall = time.perf_counter() - t0
    end = time.time()
    return {"wall_s": round(wall, 3), "seconds": secs, "t_start": start, "t_end": end,
            "run_dir": run_dir, "kept": d["kept"], "removed": d["removed"]}


def predictions(kept: str, removed: str):
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids, clusters, sizes = [], [], []
    for folder in (kept, removed):
        for path in _parquet_files(folder):
            t = pq.read_table(path, columns=["id", "metadata"])
            meta = t.column("metadata").combine_chunks()
            ids += t.column("id").to_pylist()
            clusters += meta.field("minhash_cluster_id").to_pylist()
            sizes += meta.field("minhash_cluster_size").to_pylist()
    return pa.table({"id": ids, "cluster": clusters, "cluster_size": sizes})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--tokenizer", choices=["spacy", "whitespace"], default="spacy")
    ap.add_argument("--tasks", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--predictions", default=None)
    a = ap.parse_args(argv)
    import pyarrow.parquet as pq

    os.makedirs(a.workdir, exist_ok=True)
    expected = _footer_rows(a.data)
    r = run(a.data, a.tokenizer, a.workdir, a.tasks, a.workers)
    try:
        pred = predictions(r["kept"], r["removed"])
        if pred.num_rows != expected:
            raise RuntimeError(f"DataTrove returned {pred.num_rows} documents, the input has {expected}")
        if a.predictions:
            pq.write_table(pred, a.predictions)
    finally:
        shutil.rmtree(r["run_dir"], ignore_errors=True)
    report = {"engine": "datatrove", "tokenizer": a.tokenizer, "version": _dist_version("datatrove"),
              "spacy_version": _dist_version("spacy"), "docs_in": expected, "tasks": a.tasks,
              "workers": a.workers, "bands_rows": [BANDS, ROWS], "wall_s": r["wall_s"],
              "docs_per_s": round(expected / r["wall_s"], 1), "seconds": r["seconds"],
              "t_start": r["t_start"], "t_end": r["t_end"], "loadavg_after": os.getloadavg()}
    with open(a.json, "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
