"""Markdown for benchmarks/results/minhash.md from the report dict that minhash.py builds."""
from __future__ import annotations

LABELS = {
    "thresher-verify-false": "thresher (verify false)",
    "thresher-verify-true": "thresher (verify true)",
    "datatrove-spacy": "DataTrove (spaCy words)",
    "datatrove-whitespace": "DataTrove (whitespace words)",
    "text-dedup": "text-dedup",
    "datasketch": "datasketch",
}

SHINGLES = {
    "thresher": "NFKC, lower case, `\\p{P}` -> space, whitespace collapsed; words split on ' '",
    "datasketch": "the same as thresher (the script calls a Python copy of it)",
    "datatrove-spacy": "DataTrove `simplify_text` (lower case, its punctuation set -> space, diacritics "
                       "folded, whitespace collapsed; `norm_numbers` off) then spaCy `blank(\"en\")` tokens",
    "datatrove-whitespace": "DataTrove `simplify_text` as above, then `str.split()`",
    "text-dedup": "`re.split(r\"\\W\", text.lower())`: every non-word character splits, empty tokens "
                  "kept (`\"a, b\"` -> `a`, ``, `b`); no Unicode normalisation",
}

HASHES = {
    "thresher": "MurmurHash3 x86_32 per shingle, datasketch's affine32 permutations (seed 1)",
    "datasketch": "sha1_hash32 per shingle (datasketch's default), affine32 permutations (seed 1)",
    "datatrove-spacy": "xxhash64 per shingle, 117 = 9 x 13 permutations mod 2^61-1 (its defaults)",
    "datatrove-whitespace": "as above",
    "text-dedup": "xxh3 (32-bit) per shingle, its own permutations (seed 42)",
}


def label(name: str) -> str:
    return LABELS.get(name, name)


def _f(x, nd=0):
    return "-" if x is None else f"{x:,.{nd}f}"


def render(r: dict) -> str:
    m, c = r["machine"], r["corpus"]
    runs = r["runs"]
    thr = {x["name"]: x for x in runs if x["engine"] == "thresher"}
    peers = [x for x in runs if x["engine"] != "thresher"]
    ref = thr.get("thresher-verify-true") or next(iter(thr.values()), None)
    v = r.get("versions", {})
    lines = [f"# Near-duplicate dedup (MinHash LSH): thresher vs DataTrove vs text-dedup vs datasketch "
             f"({r['date']})", "",
             f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['memory_gib']} GiB, Python {m['python']}, "
             f"Java {v.get('java')}, pyspark {v.get('pyspark')}, numba {v.get('numba')}, datasketch "
             f"{v.get('datasketch')}. Load average before {tuple(round(x, 2) for x in r['loadavg_before'])}, "
             f"after {tuple(round(x, 2) for x in r['loadavg_after'])} (the 2 cores were shared with other "
             f"work: expect noise, compare ratios). Whole benchmark: {r['total_minutes']} min.", "",
             f"Corpus: {c['docs']:,} documents of ~{c['mean_doc_chars']:.0f} characters "
             f"(`minhash_corpus.py`, seed {c['seed']}, {c['files']} Parquet files): "
             + ", ".join(f"{k} {n:,}" for k, n in c["docs_by_kind"].items())
             + " (near: planted copies at target Jaccard levels; exact: byte-identical copies; format: "
             "copies that differ only in case, whitespace and punctuation). Every engine: word 5-grams, "
             "threshold 0.8 (bands 9 x rows 13), 128 permutations, 2 cores.", "",
             f"Each engine ran {r['settings'].get('repeats', 1)} times, round robin; the table shows its fastest "
             "try (every try is in the JSON and under the table).", "",
             "| engine | docs/s | wall s | thresher (verify true) speed-up | CPU s | docs per CPU s "
             "| peak RSS MiB | peak PSS MiB | precision | recall | F1 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for x in runs:
        q, mem = x["quality"], x["memory"]
        ratio = ref["docs_per_s"] / x["docs_per_s"] if ref else None
        per_cpu = x["docs_in"] / mem["cpu_s"] if mem.get("cpu_s") else None
        lines.append(f"| {label(x['name'])} | {_f(x['docs_per_s'])} | {x['wall_s']:.1f} | {_f(ratio, 2)}x | "
                     f"{_f(mem.get('cpu_s'), 1)} | {_f(per_cpu)} | {_f(mem['peak_rss_mib'])} | "
                     f"{_f(mem['peak_pss_mib'])} | {q['precision']:.4f} | {q['recall']:.4f} | {q['f1']:.4f} |")
    lines += ["", "Tries (wall s / CPU s / 1-minute load average after): " + "; ".join(
        f"{label(x['name'])} " + ", ".join(f"{t['wall_s']:.1f}/{t['cpu_s']:.0f}/{t['loadavg_after'][0]:.1f}"
                                          for t in x.get("tries", []))
        for x in runs) + "."]
    lines += ["", *goal(thr, peers), ""]
    if r.get("recheck"):
        lines += recheck(r["recheck"])
    if r.get("notes"):
        lines += ["## Notes on this run", "", *(f"* {n}" for n in r["notes"]), ""]
    lines += timing_notes(r, thr)
    lines += ["", "## Recall by planted kind (fraction of those documents each engine put in a cluster)", "",
              "Ground truth column: the fraction that really has a partner with Jaccard >= 0.8 "
              "(copies of one base are edited independently, so not every copy at level 0.82 is >= 0.8 "
              "from every other document, and a few at 0.78 are).", ""]
    kinds = list(runs[0]["quality"]["by_planted_kind"]) if runs else []
    lines += ["| planted | docs | truth | " + " | ".join(label(x["name"]) for x in runs) + " |",
              "|---|---:|---:|" + "---:|" * len(runs)]
    for k in kinds:
        b0 = runs[0]["quality"]["by_planted_kind"][k]
        lines.append(f"| {k} | {b0['docs']:,} | {b0['truth_positive']:.3f} | "
                     + " | ".join(f"{x['quality']['by_planted_kind'][k]['predicted_positive']:.3f}" for x in runs)
                     + " |")
    lines += ["", "All engines use the same S-curve (9 bands of 13 rows), whose probability of making a "
              "pair a candidate is 0.51 at Jaccard 0.82, 0.69 at 0.85 and 0.93 at 0.9: the recall lost "
              "between 0.8 and 0.9 is LSH's, not the clustering's. Without verification the same curve "
              "lets through ~30% of pairs at 0.78 (precision); thresher's `verify: true` removes them."]
    if r.get("scaling_command"):
        lines += ["", f"The scaling runs below came from a second invocation, `{r['scaling_command']}` "
                  f"({r['scaling_date']}, load average after {tuple(round(x, 2) for x in r['scaling_loadavg'])}), "
                  "with each size in a fresh Spark process (no size inherits another's JVM heap or "
                  "caches)."]
    if r.get("scaling_error"):
        lines += ["", f"Scaling failed: `{r['scaling_error'][:300]}`"]
    for s in r.get("scaling") or []:
        lines += ["", *scaling(s)]
    lines += ["", *truth_notes(r), "", *engine_notes(runs)]
    return "\n".join(lines) + "\n"


def recheck(c: dict) -> list[str]:
    """A second, shorter run of thresher and the fastest peer (``c``: that run's report)."""
    out = [f"## Re-check: thresher vs the fastest peer only ({c['date']}, {c['settings']['repeats']} tries each)", "",
           f"`{c['command']}`; load average before {tuple(round(x, 2) for x in c['loadavg_before'])}, after "
           f"{tuple(round(x, 2) for x in c['loadavg_after'])}.", "",
           "| engine | docs/s | wall s | CPU s | docs per CPU s | tries (wall s) | F1 |", "|---|---:|---:|---:|---:|---|---:|"]
    for x in c["runs"]:
        cpu = x["memory"]["cpu_s"]
        walls = ", ".join(f"{t['wall_s']:.1f}" for t in x["tries"])
        out.append(f"| {label(x['name'])} | {x['docs_per_s']:,.0f} | {x['wall_s']:.1f} | {cpu:.1f} | "
                   f"{x['docs_in'] / cpu:,.0f} | {walls} | {x['quality']['f1']:.4f} |")
    return out + [""]


def goal(thr: dict, peers: list[dict]) -> list[str]:
    if not thr or not peers:
        return []
    fastest = max(peers, key=lambda x: x["docs_per_s"])
    best_f1 = max(peers, key=lambda x: x["quality"]["f1"])
    out = [f"**Goal** (issue 3): thresher >= 1.5x the fastest peer's docs/s with F1 at least as high. "
           f"Fastest peer: {label(fastest['name'])}, {fastest['docs_per_s']:,.0f} docs/s, "
           f"F1 {fastest['quality']['f1']:.4f}; best peer F1: {label(best_f1['name'])} "
           f"{best_f1['quality']['f1']:.4f}.", ""]
    for name, x in thr.items():
        speed = x["docs_per_s"] / fastest["docs_per_s"]
        f1_ok = x["quality"]["f1"] >= fastest["quality"]["f1"]
        met = speed >= 1.5 and f1_ok
        out.append(f"* {label(name)}: {speed:.2f}x the fastest peer's docs/s, F1 {x['quality']['f1']:.4f} "
                   f"({'>=' if f1_ok else '<'} its {fastest['quality']['f1']:.4f}; "
                   f"{'>=' if x['quality']['f1'] >= best_f1['quality']['f1'] else '<'} the best peer F1) "
                   f"-> **goal {'met' if met else 'NOT met'}**.")
    return out


def timing_notes(r: dict, thr: dict) -> list[str]:
    out = ["## What is timed", "",
           "* docs/s = documents / wall seconds from reading the Parquet to every document's cluster. "
           "Interpreter start and imports are outside every engine's timing. CPU s = user + system CPU "
           "seconds of the engine's whole process tree in that time (sampled; less sensitive than wall "
           "time to other work on the machine, which was running tests during the benchmark).",
           "* thresher: `run(recipe)` (no output: mode `mark`, the answer is the runner's cached, counted "
           "result) - reading, the unique-id check, normalising, signatures, band keys, candidate edges, "
           "[verify], connected components, keepers, the join back and the per-reason counts. Spark's "
           "start-up and one 2,000-document warm-up run (JVM JIT, numba cache) are NOT included:"]
    for name, x in thr.items():
        d = x["details"]
        stages = ", ".join(f"{k[8:]} {v:.1f}" for k, v in d.items() if k.startswith("seconds_"))
        out.append(f"  * {label(name)}: Spark start-up {x['startup_s']:.1f} s, warm-up {x['warmup_s']:.1f} s; "
                   f"with start-up included {x['docs_in'] / (x['wall_s'] + x['startup_s']):,.0f} docs/s. "
                   f"Stage seconds: {stages}; the step in all {x['step_seconds']:.1f} s of {x['wall_s']:.1f} s. "
                   f"Candidate pairs {d.get('candidate_pairs', 0):,.0f}"
                   + (f", after verify {d['pairs_after_verify']:,.0f}" if "pairs_after_verify" in d else "")
                   + f", clusters {d.get('clusters', 0):,.0f}, largest {d.get('largest_cluster', 0):,.0f}.")
    out += ["* DataTrove: its four `LocalPipelineExecutor` runs (worker start-up included), the last one writing "
            "kept and removed documents with their cluster ids to Parquet (its way to deliver the answer).",
            "* text-dedup: its `main` (loading the Parquet into a `datasets` Arrow cache, hashing, clustering, "
            "filtering, `save_to_disk` of the kept rows, its union-find dump).",
            "* datasketch: reading with pyarrow, signatures in a pool of 2 processes, MinHashLSH insert and "
            "query in one process, union-find.",
            "* Memory: the highest sum over the engine's process tree (sampled every 0.25 s during the timed "
            "part) of RSS, and of PSS (shared pages split between processes; fairer for forked workers). "
            "thresher's JVM has `spark.driver.memory` 4g (thresher's local default) and keeps what it took."]
    return out


def scaling(s: dict | None) -> list[str]:
    if not s:
        return []
    out = [f"## thresher scaling (verify {str(s['verify']).lower()}; each size in a fresh Spark process after "
           "a warm-up run; fastest of the tries)", "",
           "| docs | wall s | docs/s | CPU s | bands s | edges s | verified s | components s | clusters s "
           "| peak RSS MiB | tries (wall s) |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for x in s["runs"]:
        d = x["details"]
        stages = ("bands", "edges", "verified", "components", "clusters")
        out.append(f"| {x['docs_in']:,} | {x['wall_s']:.1f} | {x['docs_per_s']:,.0f} | {x['memory']['cpu_s']:.0f} | "
                   + " | ".join(_f(d.get("seconds_" + k), 1) for k in stages)
                   + f" | {x['memory']['peak_rss_mib']:,} | "
                   + ", ".join(f"{t['wall_s']:.1f}" for t in x.get("tries", [])) + " |")
    e = s["exponent"]
    out += ["", f"Fitted exponent (slope of log time on log documents, least squares): **{e}** "
            f"(goal <= 1.1: {'met' if e is not None and e <= 1.1 else 'NOT met'}); between consecutive sizes: "
            f"{', '.join(str(x) for x in s['pairwise_exponents'])}. Fixed costs (Spark job scheduling, "
            "a few seconds per run) flatten the small end, so the last pairwise exponent is the honest one "
            "for large inputs."]
    if s.get("cpu_exponent") is not None:
        out += ["", f"The same fit on CPU seconds (steadier on a shared machine): {s['cpu_exponent']}; between "
                f"consecutive sizes: {', '.join(str(x) for x in s['cpu_pairwise_exponents'])}."]
    return out


def truth_notes(r: dict) -> list[str]:
    g = r["ground_truth"]
    src = ", ".join(f"{k} {v:,}" for k, v in g["pairs_by_source"].items())
    out = ["## Ground truth", "",
           "A document is a near-duplicate when another document has exact Jaccard >= 0.8 with it on word "
           "5-gram sets after thresher's normalisation (exact and formatting copies count). All pairs of "
           f"{g['docs']:,} documents cannot be checked, so the exact Jaccard was computed for the union "
           f"({g['pairs_checked']:,} distinct pairs) of: every pair inside a planted group; every pair inside "
           "any engine's reported clusters; and every candidate of a high-recall LSH (256 permutations, 64 "
           "bands of 4 rows, another seed: a pair of Jaccard 0.5 is a candidate with probability 0.984, of "
           "0.8 with probability 1 - 4e-15). Pairs by source: " + src + ".",
           "", f"{g['pairs_at_or_above_threshold']:,} pairs are at or above 0.8; "
           f"{g['positives_missed_by_high_recall_lsh']} of them were missed by the high-recall LSH (found only "
           f"through planted groups or an engine). {g['truth_positive_docs']:,} documents are near-duplicates, "
           f"{g['truth_positive_docs_outside_planted_groups']} of them outside the planted groups. "
           "A document is predicted a near-duplicate when the engine put it in a cluster of 2 or more; "
           "precision, recall and F1 are over documents."]
    nc = r.get("normalisation_check")
    if nc:
        out += ["", f"Normalisation check: on {nc['docs']:,} documents thresher's normalised text (Spark) equals "
                f"the Python copy the ground truth and the datasketch script use for {nc['equal']:,}."]
    return out


def engine_notes(runs: list[dict]) -> list[str]:
    out = ["## Engines, settings and normalisation", "",
           "| engine | version | shingle text | hashing | parallelism |", "|---|---|---|---|---|"]
    seen = set()
    for x in runs:
        key = "thresher" if x["engine"] == "thresher" else x["name"]
        if key in seen:
            continue
        seen.add(key)
        ver = {"thresher": f"Spark {x.get('spark')}, shuffle partitions {x.get('shuffle_partitions')}",
               "datasketch": x.get("version")}.get(key, x.get("version"))
        par = {"thresher": "local[2]", "datasketch": "signatures: pool of 2; LSH: 1 process",
               "text-dedup": "datasets num_proc 2; buckets and union-find: 1 process"}.get(
                   key, "tasks 2 (buckets: 9), workers 2; clustering: 1 task")
        out.append(f"| {label(x['name']) if key != 'thresher' else 'thresher'} | {ver} | "
                   f"{SHINGLES.get(key, '')} | {HASHES.get(key, '')} | {par} |")
    out += ["", "Every engine's shingles are word 5-grams of its own normalised text; the scores are always "
            "against the ground truth on thresher's normalisation. The corpus is ASCII apart from `•` and "
            "`…`, so the normalisations differ mainly in punctuation handling (text-dedup's empty tokens, "
            "DataTrove not treating `•` as punctuation)."]
    return out


if __name__ == "__main__":
    import json
    import sys
    from pathlib import Path

    src = Path(sys.argv[1])
    src.with_suffix(".md").write_text(render(json.loads(src.read_text())))
