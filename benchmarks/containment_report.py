"""Renders the containment benchmark's JSON (``containment.py``) as Markdown.

    .venv/bin/python benchmarks/containment_report.py benchmarks/results/containment.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def _mb(b) -> str:
    return "?" if b is None else f"{b / 1e6:,.1f} MB"


def _goal(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def _counts(d: dict) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(d.items(), key=lambda kv: -kv[1])) or "-"


def _removed(d: dict) -> str:
    n = d["schema_compatible"]
    return f"{1 - d['after_stats'] / n:.1%}" if n else "-"


def _header(r: dict) -> list[str]:
    m, a = r["machine"], r["args"]
    versions = ", ".join(f"{k} {v}" for k, v in r["versions"].items())
    load = ", ".join(f"{x:.1f}" for x in m["loadavg_before"])
    return [
        "# Table containment: thresher vs a brute-force exact check", "",
        f"Run {r['date']} on {m['cpu_model']}, {m['cpus']} cores, {m['memory_gib']} GiB RAM "
        f"({m['platform']}); Python {m['python']}, {versions}. Spark {r['spark']['master']}, "
        f"{r['spark']['shuffle_partitions']} shuffle partitions, Parquet vectored reads off (so that "
        f"Spark counts the bytes its Parquet scans read). Load average before the run: {load}: the "
        "machine is shared, other benchmarks and tests ran beside this one, so seconds are noisy.", "",
        f"Command: `.venv/bin/python benchmarks/containment.py --tables {a['tables']} --seed {a['seed']} "
        f"--brute-pairs {a['brute_pairs']}`", "",
    ]


def _lake(r: dict) -> list[str]:
    lk, tr = r["lake"], r["truth"]
    missing = tr["by_construction_missing_from_truth"]
    return [
        "## The lake and its ground truth",
        f"{lk['tables']:,} tables ({lk['rows']:,} rows, {_mb(lk['bytes'])}) from {lk['bases']} base tables "
        f"(`benchmarks/containment_lake.py`). Kinds: {_counts(lk['kinds'])}. Formats: {_counts(lk['formats'])}.",
        "",
        f"The brute-force all-pairs exact check (`containment_truth.Oracle`: NumPy, independent of "
        f"thresher's code) over all {tr['schema_compatible_pairs']:,} schema-compatible pairs finds "
        f"**{tr['contained_pairs']:,} contained pairs** in {tr['seconds']} s. The {tr['by_construction']:,} "
        "pairs known by construction (row and column lineage) are "
        + ("all among them" if not missing else f"NOT all among them: {missing}")
        + (f"; the other {tr['beyond_construction']} are true by content "
           f"({tr['beyond_construction_child_or_parent_decoy']} involve a decoy, e.g. two renamed copies of "
           "one table)" if tr["beyond_construction"] else ", and there are no others")
        + ". No decoy pair is contained"
        + ("" if not tr["decoy_pairs_in_truth"] else f" except {tr['decoy_pairs_in_truth']}")
        + f" ({tr['decoy_pairs']:,} pairs that would be but for the damage: "
        f"{_counts(tr['decoy_pairs_by_kind'])}).", "",
    ]


def _results(r: dict) -> list[str]:
    th, bf, b = r["thresher"], r["brute_force"], r["bounds"]
    schema, stats = (next(s for s in th["stages"] if s["stage"] == k) for k in ("schema", "stats"))
    ratio = bf["bytes_model_all_pairs"] / th["bytes_read"] if th["bytes_read"] else 0.0
    ceiling = bf["bytes_model_all_pairs"] / b["bytes_true_pairs_tables_once"]
    time_ratio = bf["estimated_seconds"] / th["wall_s"]
    exact = th["precision"] == 1.0 and th["recall"] == 1.0
    removed = th["stages_1_2_removed"]
    n, k = schema["pairs_after"], r["truth"]["contained_pairs"]
    removed_false = (n - stats["pairs_after"]) / (n - k) if n > k else 1.0
    return [
        "## Results against the issue's goals",
        "| | goal | thresher | | ceiling on this lake |",
        "|---|---|---|---|---|",
        f"| precision / recall of `contained` | 1.0 / 1.0 | {th['precision']:.4f} / {th['recall']:.4f} "
        f"| {_goal(exact)} | 1.0 / 1.0 |",
        f"| schema-compatible pairs removed by stages 1-2 | >= 95% | {removed:.1%} "
        f"({schema['pairs_after']:,} -> {stats['pairs_after']:,}) | {_goal(removed >= 0.95)} "
        f"| {b['max_removable_by_sound_pruning']:.1%} (sound rules keep the true pairs) |",
        f"| the same, of the pairs that are not contained | | {removed_false:.1%} "
        f"({n - k:,} -> {stats['pairs_after'] - k:,}) | | 100% |",
        f"| bytes read, brute force / thresher | >= 20x | {ratio:.1f}x ({_mb(bf['bytes_model_all_pairs'])} "
        f"/ {_mb(th['bytes_read'])}) | {_goal(ratio >= 20)} | {ceiling:.1f}x (nothing read but each "
        "table of a true pair, once) |",
        f"| wall time, brute force (extrapolated) / thresher | | {time_ratio:.1f}x "
        f"({bf['estimated_seconds'] / 60:,.0f} / {th['wall_s'] / 60:.0f} min) | | |",
        "",
        f"thresher reported {th['reported_contained']:,} contained pairs, {th['true_positives']:,} of them true: "
        f"false positives {th['false_positives'] or 'none'}, false negatives {th['false_negatives'] or 'none'}, "
        f"decoy pairs reported {th['decoy_pairs_reported'] or 'none'}, errors {th['errors']}. Its "
        f"schema-compatible pairs are {'exactly' if th['schema_pairs_match_oracle'] else 'NOT'} the "
        "oracle's. Where the decoy pairs fell: "
        + "; ".join(f"{k}: {_counts(v)}" for k, v in th["decoy_pairs_decided_at"].items()) + ".", "",
    ]


def _stages(r: dict) -> list[str]:
    th, b = r["thresher"], r["bounds"]
    n = next(s for s in th["stages"] if s["stage"] == "schema")["pairs_after"]
    k = r["truth"]["contained_pairs"]
    split = th["pruning_split"]
    w, x = split["within_base_family"], split["across_families"]
    rows = ["| stage | pairs in | pairs out | seconds | bytes read |", "|---|---:|---:|---:|---:|"]
    for s in th["stages"]:
        rows.append(f"| {s['stage']} | {s.get('pairs_before', '')} | {s.get('pairs_after', '')} | "
                    f"{s['seconds']:.1f} | {_mb(s['bytes_read'])} |")
    return [
        f"## thresher's stages ({th['wall_s'] / 60:.1f} min in all; Spark started and warmed up before)",
        *rows, "",
        "`inspect` reads Parquet footers, Delta logs, the page headers of Parquet column chunks (Delta's "
        "data files' too: dictionary sizes bound distinct values), and each CSV file whole (its statistics are "
        "computed once by Spark); `content`'s seconds include Spark opening every table (file listing, "
        f"schema) and checking the column types it reads. Stage 2 pruned by {_counts(th['stats_rules'])}; stage 3 (before "
        f"verification) by {_counts(th['content_rules']) if th['content_rules'] else 'none (below)'}.", "",
        f"**Why stages 1-2 stop at {th['stages_1_2_removed']:.1%}.** Across base tables only shared column "
        f"names (`id`, `created_at`, `status`, ...) make pairs compatible, and value ranges tell them apart: "
        f"{x['schema_compatible']:,} -> {x['after_stats']:,} ({_removed(x)} removed). Within a base "
        f"table's family {w['schema_compatible']:,} -> {w['after_stats']:,} ({_removed(w)}): most survivors "
        f"there are true containments, which no sound rule may prune, and the {b['false_stats_survivors']:,} "
        f"false survivors ({_counts(b['false_stats_survivors_by_child_kind'])}, by the child's kind) share "
        "their parent's ranges, nulls and counts: filters on one column keep the others' extremes, a changed "
        "value stays in range, other rows have the same ranges, and a child with fewer rows than its "
        "parent has no more distinct values than the parent can hold. Metadata cannot tell them apart.", "",
        "**The 95% goal cannot be met on this lake by any sound rule**: its true containments are "
        f"{k / n:.1%} of the schema-compatible pairs, so at most {1 - k / n:.1%} can go. Whether the "
        "goal is reachable depends on the lake's shape, not on the rules: "
        "`benchmarks/results/containment_shapes.md` sweeps the number of base tables.", "",
        _bytes(r), "",
    ]


def _sample_first(r: dict) -> str:
    alt = r.get("sample_first")
    if not alt:
        return ""
    stages = {s["stage"]: s for s in alt["stages"]}
    c, v = stages["content"], stages["verified"]
    ratio = r["brute_force"]["bytes_model_all_pairs"] / alt["bytes_read"]
    return (f" Sent through the test first (`sample_above_bytes=0`), the same run read "
            f"{_mb(c['bytes_read'])} to disprove {alt['content_rules'].get('sample_miss', 0):,} pairs and "
            f"verification {_mb(v['bytes_read'])} for the other {v['pairs_before']:,}: "
            f"{_mb(alt['bytes_read'])} in all with `inspect` ({ratio:.1f}x under the brute force), in "
            f"{alt['wall_s'] / 60:.1f} min, precision / recall {alt['precision']:.4f} / {alt['recall']:.4f}.")


def _bytes(r: dict) -> str:
    th, b = r["thresher"], r["bounds"]
    stages = {s["stage"]: s for s in th["stages"]}
    content, verified = stages["content"], stages["verified"]
    sampled, direct = content.get("sampled_pairs", 0), content.get("direct_pairs", 0)
    if sampled:
        sample = (f"The sample test ran on {sampled:,} pairs (pairs whose tables hold at least "
                  f"`sample_above_bytes` together take it first; {direct:,} went straight to "
                  f"verification): it read {_mb(content['bytes_read'])} and disproved "
                  f"{th['content_rules'].get('sample_miss', 0):,} pairs.")
    else:
        sample = ("No pair took the sample test: every pair's tables hold less than `sample_above_bytes` "
                  f"({th['config']['sample_above_bytes'] / 2**20:,.0f} MiB) together, so all went straight "
                  "to verification, which reads each table no more often than the test would (the test "
                  "pays where it spares shuffling big tables' values, not reads)."
                  + _sample_first(r))
    return (
        f"**Bytes.** Verification reads each table that survives stage 2 once for all of its pairs (one "
        "Spark job scanning the tables as a union, `dedup/containment/shared_scan.py`) and decides every "
        "pair from one group-by on canonical row values (`exact_check.py`): it read "
        f"{_mb(verified['bytes_read'])} for {verified['pairs_before']:,} pairs. The scan model puts reading "
        f"those pairs' tables once, on the columns the pairs need, at "
        f"{_mb(b['bytes_stats_survivors_tables_once'])}, and verifying them pair by pair (the brute "
        f"force's measure) at {_mb(b['bytes_verifying_stats_survivors'])}. {sample} The floor for any "
        f"exact method is reading each table of a true pair once: {_mb(b['bytes_true_pairs_tables_once'])} "
        f"({r['brute_force']['bytes_model_all_pairs'] / b['bytes_true_pairs_tables_once']:.1f}x under the "
        f"brute force; pair by pair, the true pairs alone cost {_mb(b['bytes_verifying_true_pairs_only'])}). "
        f"`inspect`'s {_mb(stages['inspect']['bytes_read'])} (footers, Delta logs, page headers, and the CSV files "
        "read whole once for their statistics) come on top.")


def _brute(r: dict) -> list[str]:
    bf = r["brute_force"]
    measured = bf["measured_over_model"]
    how = (f"it ran on all {bf['pairs']:,} pairs" if bf["all_pairs_run"] else
           f"all {bf['pairs']:,} pairs would take about {bf['estimated_seconds'] / 60:,.0f} min, so it ran on "
           f"a uniform random sample of {bf['sampled_pairs']} pairs ({bf['sample_seconds']} s, "
           f"{bf['seconds_per_pair']} s a pair) and its time is extrapolated from that")
    return [
        "## The brute force",
        "A Spark `EXCEPT` of canonical rows per schema-compatible pair, 16 pairs a Spark job "
        f"(`containment_truth.brute_force_spark`), in the same session: {how}. "
        "Its bytes for all pairs are the least an exact check of each pair must read: the footers and "
        "the pair's column chunks of both tables (from the Parquet footers), CSV files whole "
        f"(`ScanModel`): {_mb(bf['bytes_model_all_pairs'])}. On the sample Spark read "
        f"{_mb(bf['sample_bytes_measured'])}, {measured}x that model, so the ratios above, which use the "
        "model, favour the brute force. Its verdicts on the sample "
        f"({bf['sample_contained']} contained) "
        + ("agree with the ground truth." if not bf["sample_disagreements_with_truth"]
           else f"disagree with the ground truth on {bf['sample_disagreements_with_truth']}."),
        "",
    ]


def render(r: dict) -> str:
    return "\n".join(_header(r) + _lake(r) + _results(r) + _stages(r) + _brute(r))


if __name__ == "__main__":
    doc = json.loads(Path(sys.argv[1]).read_text())
    out = Path(sys.argv[1]).with_suffix(".md")
    out.write_text(render(doc))
    print(out)
