"""The DataTrove side of benchmarks/web_quality.py: one web-text rule over a Parquet folder.

Runs in DataTrove's own venv (benchmarks/work/dt-venv, NOTES-datatrove.md; URLFilter also needs
tldextract, fasteners, pyahocorasick) and imports nothing from thresher::

    ParquetReader(data, glob_pattern="*.parquet")       # id, text; url -> metadata["url"]
      -> the rule (a filter, with exclusion_writer=ParquetWriter(out/rejects), or PIIFormatter)
      -> ParquetWriter(out/kept)

under LocalPipelineExecutor(tasks=2, workers=2), fresh logging folder, skip_completed=False.
Both writers write id, text and (rejects) the filter's reason.  Wall-clock is taken around
executor.run() (worker start-up, spaCy loading, reading, filtering, writing).

    benchmarks/work/dt-venv/bin/python benchmarks/web_quality_dt.py --rule c4_fineweb \\
        --data benchmarks/work/web-100000 --out benchmarks/work/dt-c4_fineweb --json r.json

Rules: c4_fineweb (C4QualityFilter(filter_no_terminal_punct=False)), c4_default
(C4QualityFilter()), fineweb (FineWebQualityFilter(stop_chars=thresher's . ' " ! ?)), url
(URLFilter on the block lists in <data>-lists/block_*.txt only: use_integrated_lists=False, no banned
words, no soft-banned words; tldextract on its bundled suffix snapshot, no download), pii
(PIIFormatter, one e-mail and one IP placeholder).  ``--sentences regex`` swaps DataTrove's
sentence splitter for thresher's regex in the C4 rules (diagnosis only).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from datatrove_side import _dist_version, _footer_rows, _stat_total  # noqa: E402

EMAIL_PLACEHOLDER = "email@example.com"
IP_PLACEHOLDER = "22.214.171.124"
STOP_CHARS = (".", "'", '"', "!", "?")  # thresher's fineweb_filter default (FineWeb's list)


def read_list(path: str) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [ln.strip() for ln in fh if ln.strip() and not ln.startswith("#")]


def make_rule(rule: str, data: str, rejects_writer, sentences: str):
    from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, URLFilter
    from datatrove.pipeline.formatters import PIIFormatter

    c4_class = C4QualityFilter
    if sentences == "regex":
        class C4RegexSentences(C4QualityFilter):
            """The same filter; its module's split_into_sentences is thresher's regex count
            (patched inside the worker process, where the filter runs)."""

            def filter(self, doc):
                import datatrove.pipeline.filters.c4_filters as c4
                brk = re.compile(r"[.?!\u2026]+[\"'\u201d\u2019)\]]*\s+(?=\S)")
                c4.split_into_sentences = lambda text, language=None: [None] * (
                    len(brk.findall(text)) + 1)
                return super().filter(doc)
        c4_class = C4RegexSentences
    if rule == "c4_fineweb":
        return c4_class(exclusion_writer=rejects_writer, filter_no_terminal_punct=False)
    if rule == "c4_default":
        return c4_class(exclusion_writer=rejects_writer)
    if rule == "fineweb":
        return FineWebQualityFilter(exclusion_writer=rejects_writer, stop_chars=STOP_CHARS)
    if rule == "url":
        lists = {k: read_list(os.path.join(os.path.normpath(data) + "-lists", f"block_{k}.txt"))
                 for k in ("domains", "subdomains", "urls", "substrings")}
        f = URLFilter(extra_domains=lists["domains"] + lists["subdomains"], extra_urls=lists["urls"],
                      banned_subwords=lists["substrings"], banned_words=None, soft_banned_words=None,
                      use_integrated_lists=False, exclusion_writer=rejects_writer)
        from tldextract import TLDExtract
        f.tldextractor = TLDExtract(suffix_list_urls=(), cache_dir=None)  # bundled snapshot, offline
        return f
    if rule == "pii":
        return PIIFormatter(email_replacement=EMAIL_PLACEHOLDER, ip_replacement=IP_PLACEHOLDER)
    raise SystemExit(f"unknown rule {rule}")


def _adapter(self, doc) -> dict:
    return {"id": doc.id, "text": doc.text, "reason": doc.metadata.get("filter_reason") or ""}


def run(rule: str, data: str, out: str, tasks: int = 2, workers: int = 2,
        sentences: str = "datatrove") -> dict:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import ParquetReader
    from datatrove.pipeline.writers import ParquetWriter

    expected = _footer_rows(data)
    shutil.rmtree(out, ignore_errors=True)
    run_dir = tempfile.mkdtemp(prefix="dt-web-", dir=os.path.dirname(os.path.abspath(out)))
    try:
        rejects = ParquetWriter(os.path.join(out, "rejects"), output_filename="${rank}.parquet",
                                adapter=_adapter)
        steps = [ParquetReader(data, glob_pattern="*.parquet", text_key="text", id_key="id"),
                 make_rule(rule, data, rejects, sentences),
                 ParquetWriter(os.path.join(out, "kept"), output_filename="${rank}.parquet",
                               adapter=_adapter)]
        executor = LocalPipelineExecutor(pipeline=steps, tasks=tasks, workers=workers,
                                         logging_dir=os.path.join(run_dir, "logs"),
                                         skip_completed=False)
        load0 = os.getloadavg()
        t0 = time.perf_counter()
        executor.run()
        wall = time.perf_counter() - t0
        load1 = os.getloadavg()
        with open(os.path.join(run_dir, "logs", "stats.json")) as fh:
            stats = json.load(fh)
        reader = next(s for s in stats if "READER" in s["name"])
        docs_in = int(_stat_total(reader, "documents"))
        if docs_in != expected:
            raise RuntimeError(f"reader saw {docs_in} documents, the footers hold {expected}")
        drops = {}
        for s in stats:
            if "FILTER" in s["name"]:
                drops = {k[len("dropped_"):]: int(_stat_total(s, k)) for k in s["stats"]
                         if k.startswith("dropped_")}
        return {"engine": "datatrove", "rule": rule, "datatrove_version": _dist_version("datatrove"),
                "spacy_version": _dist_version("spacy"), "tldextract_version": _dist_version("tldextract"),
                "sentences": sentences, "docs_in": docs_in, "tasks": tasks, "workers": workers,
                "wall_s": round(wall, 3), "docs_per_s": round(docs_in / wall, 1), "drops": drops,
                "loadavg_before": [round(x, 2) for x in load0],
                "loadavg_after": [round(x, 2) for x in load1]}
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rule", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tasks", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sentences", choices=["datatrove", "regex"], default="datatrove")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    result = run(a.rule, a.data, a.out, a.tasks, a.workers, a.sentences)
    text = json.dumps(result, indent=2)
    if a.json:
        with open(a.json, "w") as fh:
            fh.write(text + "\n")
    print(text)
