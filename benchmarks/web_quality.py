"""Web-text rules, thresher vs DataTrove, on the same documents and the same 2 cores (issue 17).

    .venv/bin/python benchmarks/web_quality.py --docs 100000

1. Generates web-page-like documents with the failure modes planted (``web_docs.py``; cached
   under benchmarks/work/web-<docs>, with the block lists it draws URLs from).
2. For each rule, on its own: thresher (a one-step recipe through ``thresher.operators.runner.run``,
   Spark ``local[2]``, kept + rejects written as Parquet; timed around ``run()``, Spark's
   start-up timed apart), then DataTrove (``web_quality_dt.py`` in its own venv,
   LocalPipelineExecutor(tasks=2, workers=2), kept + excluded written as Parquet).
3. Compares per document: the verdict (kept / dropped), the drop reason where both drop, and
   for the rewrites (C4, PII) the resulting text where both keep.
4. Writes benchmarks/results/web_quality.json and .md; the disagreements (every one, with what
   was planted in the document) go to benchmarks/work/web_quality-disagreements.jsonl.

Rules: C4QualityFilter with FineWeb's settings (filter_no_terminal_punct=False) and with its
defaults vs ``c4_filter``; FineWebQualityFilter vs ``fineweb_filter``; URLFilter vs
``url_filter`` on the same generated lists (DataTrove's bundled lists, banned words and
soft-banned words off); PIIFormatter vs ``pii_redact`` (phones off; one placeholder each).
See NOTES-web_quality.md for what differs and why.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from heuristics import machine  # noqa: E402
from web_docs import lists_dir  # noqa: E402
from web_quality_dt import EMAIL_PLACEHOLDER, IP_PLACEHOLDER, STOP_CHARS  # noqa: E402

DT_PYTHON = HERE / "work" / "dt-venv" / "bin" / "python"
DT_EXTRA_PINS = ["tldextract==5.4.0", "fasteners", "pyahocorasick"]  # URLFilter's dependencies


def thresher_steps(rule: str, data: Path) -> list[dict]:
    if rule == "c4_fineweb":
        return [{"c4_filter": {"filter_no_terminal_punct": False}}]
    if rule == "c4_default":
        return [{"c4_filter": {}}]
    if rule == "fineweb":
        return [{"fineweb_filter": {"stop_chars": list(STOP_CHARS)}}]
    if rule == "url":
        lists = Path(lists_dir(data))
        domains = lists / "block_domains_all.txt"  # DataTrove gets domains + subdomains as one set
        domains.write_text((lists / "block_domains.txt").read_text()
                           + (lists / "block_subdomains.txt").read_text())
        return [{"url_filter": {"column": "url", "domains_file": str(domains),
                                "urls_file": str(lists / "block_urls.txt"),
                                "substrings_file": str(lists / "block_substrings.txt")}}]
    if rule == "pii":
        return [{"pii_redact": {"phone": False, "email_placeholders": EMAIL_PLACEHOLDER,
                                "ip_placeholders": IP_PLACEHOLDER}}]
    raise SystemExit(f"unknown rule {rule}")


RULES = ("c4_fineweb", "c4_default", "fineweb", "url", "pii")
DT_NAMES = {"c4_fineweb": "C4QualityFilter(filter_no_terminal_punct=False)",
            "c4_default": "C4QualityFilter()", "fineweb": "FineWebQualityFilter(stop_chars=. ' \" ! ?)",
            "url": "URLFilter(extra lists only)", "pii": "PIIFormatter"}
# DataTrove's reasons in thresher's words (where both name one).
REASON_MAP = {"domain": "blocked_domain", "subdomain": "blocked_domain", "url": "blocked_url",
              "blacklisted_subword": "banned_substring"}
REWRITES = ("c4_fineweb", "c4_default", "pii")


def corpus(docs: int, work: Path) -> Path:
    out = work / f"web-{docs}"
    if not (out / "_manifest.json").exists():
        subprocess.run([sys.executable, str(HERE / "web_docs.py"), "--docs", str(docs),
                        "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return out


def ensure_dt_venv() -> Path:
    if not DT_PYTHON.exists():
        from heuristics import ensure_datatrove_venv
        ensure_datatrove_venv()
    probe = subprocess.run([str(DT_PYTHON), "-c", "import tldextract, fasteners, ahocorasick"],
                           capture_output=True)
    if probe.returncode:
        subprocess.run([str(DT_PYTHON), "-m", "pip", "install", "-q", *DT_EXTRA_PINS], check=True)
    return DT_PYTHON


def run_thresher(spark, rule: str, data: Path, out: Path) -> dict:
    import thresher.jobs.builtins  # noqa: F401
    from thresher import Recipe, run

    recipe = Recipe.from_dict({
        "name": f"bench-web-{rule}",
        "input": {"format": "parquet", "path": str(data), "id_column": "id"},
        "steps": thresher_steps(rule, data),
        "output": {"format": "parquet", "path": str(out / "kept"), "rejects": str(out / "rejects"),
                   "mode": "overwrite"},
        "execution": {"mode": "fused"},
    })
    load0 = os.getloadavg()
    t = time.perf_counter()
    result = run(recipe, spark=spark, echo=lambda s: None)
    wall = time.perf_counter() - t
    drops: dict[str, int] = {}
    for s in result.steps:
        drops.update({k.split(":", 1)[-1]: v for k, v in s.dropped_by_reason.items()})
    n = result.steps[0].rows_in
    return {"engine": "thresher", "rule": rule, "steps": thresher_steps(rule, data),
            "docs_in": n, "docs_kept": result.steps[-1].rows_out, "wall_s": round(wall, 3),
            "docs_per_s": round(n / wall, 1), "drops": drops,
            "loadavg_before": [round(x, 2) for x in load0],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()]}


def run_datatrove(rule: str, data: Path, out: Path, sentences: str = "datatrove") -> dict:
    js = out.with_suffix(".json")
    cmd = [str(DT_PYTHON), str(HERE / "web_quality_dt.py"), "--rule", rule, "--data", str(data),
           "--out", str(out), "--json", str(js), "--sentences", sentences]
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode:
        raise RuntimeError(f"DataTrove {rule} failed:\n{proc.stderr[-4000:]}")
    return json.loads(js.read_text())


def _read(path: Path, columns: list[str]) -> dict[str, tuple]:
    import pyarrow.dataset as ds
    if not path.exists():
        return {}
    t = ds.dataset(str(path), format="parquet").to_table(columns=columns).to_pydict()
    return {i: tuple(t[c][k] for c in columns[1:]) for k, i in enumerate(t["id"])}


def compare(rule: str, data: Path, th_out: Path, dt_out: Path, sink) -> dict:
    """Per-document agreement; every disagreement is written to ``sink`` (a jsonl file)."""
    cols = ["id", "text"]
    th_kept, dt_kept = _read(th_out / "kept", cols), _read(dt_out / "kept", cols)
    th_rej = _read(th_out / "rejects", ["id", "drop_reason", "drop_detail"])
    dt_rej = _read(dt_out / "rejects", ["id", "reason"])
    source = _read(data, ["id", "planted", "url"])
    n = len(source)
    assert len(th_kept) + len(th_rej) == n and len(dt_kept) + len(dt_rej) == n, "rows lost"
    both_kept = th_kept.keys() & dt_kept.keys()
    both_drop = th_rej.keys() & dt_rej.keys()
    verdict = {"only_thresher_kept": sorted(th_kept.keys() - dt_kept.keys()),
               "only_datatrove_kept": sorted(dt_kept.keys() - th_kept.keys())}
    reason_diff = sorted(i for i in both_drop
                         if th_rej[i][0].split(":", 1)[-1] != REASON_MAP.get(dt_rej[i][0], dt_rej[i][0]))
    text_diff = sorted(i for i in both_kept if th_kept[i][0] != dt_kept[i][0]) \
        if rule in REWRITES else []
    for kind, ids in (*verdict.items(), ("reason", reason_diff), ("text", text_diff)):
        for i in ids:
            rec = {"rule": rule, "kind": kind, "id": i, "planted": source[i][0], "url": source[i][1],
                   "thresher": th_rej.get(i) or "kept", "datatrove": dt_rej.get(i, ("kept",))[0]}
            if kind == "text":
                rec.update(thresher_text=th_kept[i][0], datatrove_text=dt_kept[i][0])
            sink.write(json.dumps(rec) + "\n")
    disagree = len(verdict["only_thresher_kept"]) + len(verdict["only_datatrove_kept"])
    out = {"docs": n, "thresher_kept": len(th_kept), "datatrove_kept": len(dt_kept),
           "both_kept": len(both_kept), "both_dropped": len(both_drop),
           "only_thresher_kept": len(verdict["only_thresher_kept"]),
           "only_datatrove_kept": len(verdict["only_datatrove_kept"]),
           "verdict_agreement": round((n - disagree) / n, 6),
           "reason_differs_where_both_drop": len(reason_diff)}
    if rule in REWRITES:
        out["text_differs_where_both_keep"] = len(text_diff)
        out["verdict_and_text_agreement"] = round((n - disagree - len(text_diff)) / n, 6)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--rules", default=",".join(RULES))
    ap.add_argument("--work", default=str(HERE / "work"))
    ap.add_argument("--results", default=str(HERE / "results"))
    ap.add_argument("--no-results", action="store_true", help="do not write benchmarks/results")
    ap.add_argument("--regex-sentences", action="store_true", help="also run DataTrove's C4 with "
                    "thresher's sentence regex monkeypatched in (diagnosis, not timed against)")
    args = ap.parse_args(argv)
    work, results = Path(args.work), Path(args.results)
    work.mkdir(parents=True, exist_ok=True)
    ensure_dt_venv()
    data = corpus(args.docs, work)

    from thresher.operators.session import get_or_create_session
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    t = time.perf_counter()
    spark = get_or_create_session(master="local[2]", conf={"spark.sql.shuffle.partitions": 4})
    startup = time.perf_counter() - t
    report = {"benchmark": "web_quality", "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "machine": machine(), "loadavg_before": os.getloadavg(),
              "spark_startup_s": round(startup, 1),
              "corpus": json.loads((data / "_manifest.json").read_text()), "rules": {}}
    sink_path = work / f"web_quality-disagreements-{args.docs}.jsonl"
    with open(sink_path, "w") as sink:
        for rule in args.rules.split(","):
            th_out, dt_out = work / f"th-web-{rule}", work / f"dt-web-{rule}"
            th = run_thresher(spark, rule, data, th_out)
            dt = run_datatrove(rule, data, dt_out)
            entry = {"datatrove_rule": DT_NAMES[rule], "thresher": th, "datatrove": dt,
                     "speedup_thresher_over_datatrove": round(th["docs_per_s"] / dt["docs_per_s"], 2),
                     "agreement": compare(rule, data, th_out, dt_out, sink)}
            if args.regex_sentences and rule.startswith("c4"):
                rx_out = work / f"dt-web-{rule}-regex"
                entry["datatrove_regex_sentences"] = run_datatrove(rule, data, rx_out, "regex")
                with open(work / f"web_quality-disagreements-{args.docs}-{rule}-regex.jsonl", "w") as s2:
                    entry["agreement_with_regex_sentences"] = compare(rule, data, th_out, rx_out, s2)
            report["rules"][rule] = entry
            print(rule, json.dumps(entry["agreement"]), th["docs_per_s"], dt["docs_per_s"], flush=True)
    report["loadavg_after"] = os.getloadavg()
    report["disagreements_file"] = str(sink_path)
    spark.stop()
    text = render(report)
    if not args.no_results:
        results.mkdir(parents=True, exist_ok=True)
        (results / "web_quality.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
        (results / "web_quality.md").write_text(text)
    print(text)
    return 0


def render(r: dict) -> str:
    m, c = r["machine"], r["corpus"]
    lines = [f"# Web-text rules: thresher vs DataTrove ({r['date']})", "",
             f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['memory_gib']} GiB, Python "
             f"{m['python']}; load average before {tuple(round(x, 2) for x in r['loadavg_before'])}, "
             f"after {tuple(round(x, 2) for x in r['loadavg_after'])}. Spark start-up "
             f"{r['spark_startup_s']} s (not in the timings).", "",
             f"Corpus: {c['docs']:,} documents from `benchmarks/web_docs.py` (seed {c['seed']}), "
             f"{c['text_bytes'] / 1e6:.1f} MB of text, {c['files']} files. thresher: one-step "
             "recipe, `local[2]`, fused, kept + rejects to Parquet. DataTrove 0.10.1: "
             "LocalPipelineExecutor(tasks=2, workers=2), kept + excluded to Parquet.", "",
             "| rule (DataTrove / thresher) | verdict agreement | only thresher kept | only DataTrove "
             "kept | reason differs (both drop) | text differs (both keep) | thresher docs/s | "
             "DataTrove docs/s | thresher / DataTrove |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for rule, e in r["rules"].items():
        a, th, dt = e["agreement"], e["thresher"], e["datatrove"]
        step = next(iter(th["steps"][0]))
        lines.append(f"| `{e['datatrove_rule']}` / `{step}` ({rule}) | {a['verdict_agreement']:.4%} | "
                     f"{a['only_thresher_kept']:,} | {a['only_datatrove_kept']:,} | "
                     f"{a['reason_differs_where_both_drop']:,} | "
                     f"{a.get('text_differs_where_both_keep', '-')} | {th['docs_per_s']:,.0f} | "
                     f"{dt['docs_per_s']:,.0f} | {e['speedup_thresher_over_datatrove']}x |")
    lines += ["", "| rule | thresher kept | DataTrove kept | thresher wall s | DataTrove wall s | "
              "thresher drops | DataTrove drops |", "|---|---:|---:|---:|---:|---|---|"]
    for rule, e in r["rules"].items():
        a, th, dt = e["agreement"], e["thresher"], e["datatrove"]
        lines.append(f"| {rule} | {a['thresher_kept']:,} | {a['datatrove_kept']:,} | {th['wall_s']:.1f} | "
                     f"{dt['wall_s']:.1f} | {th['drops']} | {dt['drops']} |")
    extra = [(rule, e) for rule, e in r["rules"].items() if "agreement_with_regex_sentences" in e]
    if extra:
        lines += ["", "DataTrove's C4 with thresher's sentence regex monkeypatched in (diagnosis):", ""]
        for rule, e in extra:
            a = e["agreement_with_regex_sentences"]
            dt = e["datatrove_regex_sentences"]
            lines.append(f"* {rule}: verdict agreement {a['verdict_agreement']:.4%} (only thresher kept "
                         f"{a['only_thresher_kept']}, only DataTrove kept {a['only_datatrove_kept']}), "
                         f"text differs where both keep: {a['text_differs_where_both_keep']}; DataTrove "
                         f"so patched: {dt['docs_per_s']:,.0f} docs/s, thresher / it = "
                         f"{e['thresher']['docs_per_s'] / dt['docs_per_s']:.2f}x.")
    lines += ["", "Goals (issue 17): verdict agreement >= 99.9% per rule, thresher >= 2x DataTrove "
              "docs/s. Every disagreement is explained in `benchmarks/NOTES-web_quality.md`."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
