"""The cost model of ``minhash_scaling.py`` (see docs/scale.md): the predicted shuffle
rows and bytes per thresher stage, the fitted exponents, the extrapolation to 10B
documents, and the rendering of results/minhash_scaling.md and docs/scale.md's tables.
"""
from __future__ import annotations

import json
from pathlib import Path

STAGES = ("bands", "edges", "estimated", "verified", "components", "clusters", "report", "other")
TABLE_BEGIN, TABLE_END = "<!-- scaling-check:begin -->", "<!-- scaling-check:end -->"
EXTRA_BEGIN, EXTRA_END = "<!-- scaling-extrapolation:begin -->", "<!-- scaling-extrapolation:end -->"
RUNS_BEGIN, RUNS_END = "<!-- scaling-runs:begin -->", "<!-- scaling-runs:end -->"
# Assumptions of the extrapolation (not measurements): a node, and what it sustains.
TARGET_DOCS = 10_000_000_000
NODE_CORES, NODE_MEMORY_GB = 16, 128
NODE_SHUFFLE_MB_S = 500          # assumed sustained shuffle write + read per node (NVMe, 25 Gbit/s)
STORAGE_SHARE = 0.6 * 0.9        # spark.memory.fraction of a heap of ~90% of the node
DRIVER_MAX_EDGES = 5_000_000     # minhash_dedup's driver_components_max_edges default
BROADCAST_BYTES = 10 * 2**20     # spark.sql.autoBroadcastJoinThreshold default
PARTITION_TARGET = 200 * 2**20   # shuffle bytes per reduce task to aim at


def fit(points: list[tuple[float, float]]) -> dict:
    import minhash

    points = [(x, y) for x, y in points if y and y > 0]
    return minhash.fit_exponent(points) if len(points) > 1 else {"exponent": None, "pairwise_exponents": []}


def model(run: dict, id_bytes: int = 8) -> dict:
    """Predicted shuffle rows and bytes per thresher stage from the code's row layouts
    (uncompressed UnsafeRow sizes, before Spark's lz4 shuffle compression); docs/scale.md
    derives each term. ``{stage: {"rows", "bytes", "term"}}`` plus ``layout``.

    UnsafeRow: an 8-byte null word, 8 bytes per field, the variable part (strings,
    arrays) padded to 8 bytes; an array is 8 bytes of length, a null word per 64
    elements and the elements, padded to 8.
    """
    n = run["docs"]
    d = run["details"]
    bands, _rows = run.get("bands_rows", (16, 6))
    num_perm = run.get("params", {}).get("num_perm", 128)
    pairs = d.get("candidate_pairs", 0)
    est = d.get("pairs_after_estimate", pairs)
    ver = d.get("pairs_after_verify", est)
    clustered = d.get("clusters", 0) + d.get("near_duplicates", 0)   # C: documents in clusters
    # E, documents on an estimated pair: the clustered documents per verified pair, times
    # the estimated pairs (C <= E <= 2 P_e)
    ends = min(n, 2 * est, round(clustered * est / ver)) if ver else min(n, 2 * est)
    spark_cc = run.get("params", {}).get("driver_components_max_edges", DRIVER_MAX_EDGES) == 0 \
        or ver > DRIVER_MAX_EDGES
    s_id = 8 + ((id_bytes + 7) // 8) * 8

    def arr(k: int, width: int) -> int:
        return 8 + 8 + 8 * ((k + 63) // 64) + ((k * width + 7) // 8) * 8
    mean_chars = run["corpus"]["mean_doc_chars"]
    shingles = max(1, round(mean_chars / 6.0 - 4))   # ~6 bytes a word with its space; 5-grams
    lay = {"keys_row": 8 + s_id + arr(bands, 8) + arr(num_perm, 4),
           "member_row": 8 + 8 + 8 + s_id + arr(1, s_id),   # band, key, id, partial collect_list
           "pair_row": 8 + 2 * s_id, "sigs_row": 8 + s_id + arr(num_perm, 4),
           "set_row": 8 + s_id + arr(shingles, 8), "doc_row": 8 + s_id + 8 + ((int(mean_chars) + 7) // 8) * 8,
           "edge_row": 8 + 2 * s_id + 8, "shingles_per_doc": shingles}
    # Join strategies are Spark's choice (static size estimates at planning, then AQE,
    # which turns a sort-merge join into a broadcast only after both sides' map stages ran):
    # the model takes, of the options the code allows, the one whose row count is nearest
    # to the run's shuffle rows, and predicts the bytes for it.
    meas = run.get("stages", {})

    def pick(stage: str, options: list[tuple[str, float, float]]) -> dict:
        rows = meas.get(stage, {}).get("shuffleWriteRecords", 0)
        term, r_, b_ = min(options, key=lambda o: abs(o[1] - rows))
        return {"rows": r_, "bytes": b_, "term": term}
    # x2: the plan reads the exchange twice (bucket_pairs' union with the hot rows reads
    # `buckets` twice; verify_edges' two joins read `sets` twice) and Spark re-runs it
    # (two map stages of equal bytes in every run's stage list): no exchange reuse.
    out = {"edges": {"rows": 2 * n * bands + pairs,
                     "bytes": 2 * n * bands * lay["member_row"] + pairs * lay["pair_row"],
                     "term": "2 N b member rows (x2: re-run) + P pairs"}}
    sig, pr, st = lay["sigs_row"], lay["pair_row"], lay["set_row"]
    out["estimated"] = pick("estimated", [
        ("pairs broadcast: 0", 0, 0),
        ("N sigs + P (pair, sig): join 1 broadcast, join 2 sort-merge", n + pairs, n * sig + pairs * (pr + sig)),
        ("2 N sigs + P pairs + P (pair, sig): two sort-merge joins", 2 * n + 2 * pairs,
         2 * n * sig + pairs * (2 * pr + sig))])
    sets = 2 * ends * (st + s_id + 8)   # sets and the distinct ends, x2 (re-run)
    out["verified"] = pick("verified", [
        ("2 E (end, set) (x2: re-run); joins broadcast", 4 * ends, sets),
        ("2 E (end, set) + P_e (pair, set): join 2 sort-merge", 4 * ends + est, sets + est * (pr + st)),
        ("2 E (end, set) + 2 N docs (semi-join) + P_e pairs + P_e (pair, set)", 4 * ends + 2 * n + 2 * est,
         sets + 2 * n * lay["doc_row"] + est * (2 * pr + st))])
    if spark_cc:
        out["components"] = {"rows": 4 * ver, "bytes": 4 * ver * lay["edge_row"],
                             "term": "4 P_v edge rows per round (one round)"}
    else:
        out["components"] = {"rows": 0, "bytes": 0, "term": "driver: 0"}
    out["clusters"] = {"rows": clustered, "bytes": clustered * (8 + 2 * s_id), "term": "C (node, component)"}
    out["other"] = pick("other", [
        ("N ids (the read step's unique-id check); join back broadcast", n, n * (8 + s_id)),
        ("N ids + N input rows + C (join back, sort-merge)", 2 * n + clustered,
         n * (8 + s_id) + n * lay["doc_row"] + clustered * (8 + 2 * s_id + 8))])
    out["layout"] = lay
    return out


CHECKED = ("edges", "estimated", "verified", "components", "clusters", "other")


def render(report: dict) -> str:
    runs = [r for r in report["runs"] if r["variant"] == "default"]
    extra = [r for r in report["runs"] if r["variant"] != "default"]
    lines = ["# MinHash dedup scaling, with Spark's metrics per stage", "",
             f"`{report['command']}` ({report['date']}). Machine: {report['machine']}. "
             "Corpus: `benchmarks/minhash_corpus.py` (~1 KB documents with planted near-duplicates). "
             "Each size in a fresh Spark process (local[2], 8 shuffle partitions) after a 2,000-document "
             "warm-up run; `minhash_dedup` with threshold 0.8, 5-grams, 128 permutations, verify true "
             "(recall-tuned bands 16 x 6), mode mark, through the runner. Shuffle and task figures are "
             "Spark's (UI REST API), summed per thresher stage; `other` is reading, the id check, the "
             "join back and the runner's counts; `report` is the step's stats.", "",
             "## Runs", "",
             "| docs | variant | wall s | CPU s | candidate pairs | after estimate | after verify | "
             "shuffle write MiB | shuffle read MiB | input MiB | tasks | peak RSS MiB | Spark local dir peak MiB | "
             "load before | load after | waited s (other minhash benchmarks left running) |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|"]
    mib = 2 ** 20
    for r in runs + extra:
        d, t = r["details"], r["totals"]
        lines.append(
            f"| {r['docs']:,} | {r['variant']} | {r['wall_s']:.1f} | {r['cpu_s']:.0f} | "
            f"{d.get('candidate_pairs', 0):,.0f} | {d.get('pairs_after_estimate', 0):,.0f} | "
            f"{d.get('pairs_after_verify', 0):,.0f} | {t['shuffleWriteBytes'] / mib:,.1f} | "
            f"{t['shuffleReadBytes'] / mib:,.1f} | {t['inputBytes'] / mib:,.0f} | {t['numTasks']:,} | "
            f"{r['peak_rss_mib']:,} | {r['disk']['peak_spark_local_bytes'] / mib:,.0f} | "
            f"{', '.join(f'{x:.1f}' for x in r['loadavg_before'])} | "
            f"{', '.join(f'{x:.1f}' for x in r['loadavg_after'])} | "
            f"{r.get('quiet_wait', {}).get('waited_s', '')} ({len(r.get('quiet_wait', {}).get('others_when_started', []))}) |")
    lines += ["", "## Per stage", "",
              "Seconds are thresher's own (`seconds_<stage>` of the step's details: materialising "
              "the stage); bytes and tasks are Spark's for the jobs run under that stage's job group; "
              "peak task memory is the largest peak execution memory of one task (taskSummary).", "",
              "| docs | variant | stage | seconds | shuffle write MiB | shuffle read MiB | input MiB | "
              "spill (disk) MiB | tasks | Spark stages | executor CPU s | peak task mem MiB |",
              "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs + extra:
        for s in STAGES:
            st = r["stages"][s]
            if not st.get("spark_stages") and st.get("seconds") is None:
                continue
            sec = "" if st.get("seconds") is None else f"{st['seconds']:.2f}"
            lines.append(
                f"| {r['docs']:,} | {r['variant']} | {s} | {sec} | {st.get('shuffleWriteBytes', 0) / mib:,.2f} | "
                f"{st.get('shuffleReadBytes', 0) / mib:,.2f} | {st.get('inputBytes', 0) / mib:,.1f} | "
                f"{st.get('diskBytesSpilled', 0) / mib:,.1f} | {st.get('numTasks', 0):,} | "
                f"{st.get('spark_stages', 0)} | {st.get('executorCpuTime', 0) / 1e9:,.1f} | "
                f"{st.get('max_task_peak_execution_memory', 0) / mib:,.1f} |")
    f = report["fits"]
    lines += ["", "## Fitted exponents (slope of log y on log documents, least squares; default variant)", "",
              "| quantity | exponent | between consecutive sizes |", "|---|---:|---|"]
    for key, label in (("wall_s", "wall seconds"), ("cpu_s", "CPU seconds"),
                       ("shuffle_write", "shuffle write bytes (all stages)"),
                       ("shuffle_edges", "shuffle write bytes, edges stage"),
                       ("candidate_pairs", "candidate pairs"),
                       *((f"seconds_{s}", f"seconds, {s}") for s in STAGES[:6])):
        if key in f and f[key]["exponent"] is not None:
            lines.append(f"| {label} | {f[key]['exponent']} | {', '.join(map(str, f[key]['pairwise_exponents']))} |")
    if report.get("skipped"):
        lines += ["", "## Skipped", ""] + [f"- {s}" for s in report["skipped"]]
    lines += ["", "## Cost model check", "", "See docs/scale.md for the derivation.", "", check_table(report), "",
              "## Extrapolation", "", extrapolation_table(report), ""]
    return "\n".join(lines)


def summary_table(report: dict) -> str:
    """Runs (docs, wall, CPU, pairs, shuffle, RSS) and the fitted exponents, for docs/scale.md."""
    mib = 2 ** 20
    rows = ["| docs | variant | wall s | CPU s | candidate pairs | after verify | shuffle write MiB | "
            "peak cached MiB | peak RSS MiB | Spark local dir MiB | load before |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in sorted(report["runs"], key=lambda r: (r["variant"] != "default", r["docs"])):
        d = r["details"]
        rows.append(f"| {r['docs']:,} | {r['variant']} | {r['wall_s']:.1f} | {r['cpu_s']:.0f} | "
                    f"{d.get('candidate_pairs', 0):,.0f} | {d.get('pairs_after_verify', 0):,.0f} | "
                    f"{r['totals']['shuffleWriteBytes'] / mib:,.1f} | {r['storage']['peak_cached_bytes'] / mib:,.0f} | "
                    f"{r['peak_rss_mib']:,} | {r['disk']['peak_spark_local_bytes'] / mib:,.0f} | "
                    f"{', '.join(f'{x:.1f}' for x in r['loadavg_before'])} |")
    f = report.get("fits") or fits(report)
    rows += ["", "| fitted exponent vs documents (default variant) | all sizes | between consecutive sizes |",
             "|---|---:|---|"]
    for key, label in (("wall_s", "wall seconds"), ("cpu_s", "CPU seconds"),
                       ("shuffle_write", "shuffle write bytes"), ("shuffle_edges", "edges shuffle bytes"),
                       ("candidate_pairs", "candidate pairs"), ("seconds_bands", "bands seconds")):
        if key in f and f[key]["exponent"] is not None:
            rows.append(f"| {label} | {f[key]['exponent']} | {', '.join(map(str, f[key]['pairwise_exponents']))} |")
    return "\n".join(rows)


def check_table(report: dict) -> str:
    """Predicted (model(), layout bytes) vs Spark's measured shuffle write, per stage;
    and the calibrated prediction: the layout times the measured/layout ratio of the
    smallest run of at least 100k documents of the same variant (``ref``)."""
    mib = 2 ** 20
    rows = ["| docs | variant | stage | term | rows predicted | rows measured | MiB layout | MiB measured | "
            "measured / layout | MiB calibrated | error vs calibrated |",
            "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    runs = sorted(report["runs"], key=lambda r: (r["variant"] != "default", r["variant"], r["docs"]))
    for r in runs:
        p = model(r)
        ref = next((x for x in runs if x["variant"] == r["variant"] and x["docs"] >= 100_000), None)
        pref = model(ref) if ref else None
        for s in CHECKED:
            meas = r["stages"][s].get("shuffleWriteBytes", 0)
            mrows = r["stages"][s].get("shuffleWriteRecords", 0)
            pred = p[s]["bytes"]
            ratio = meas / pred if pred else None
            cal, err = "", ""
            if pref and pref[s]["bytes"] and pred:
                k = ref["stages"][s].get("shuffleWriteBytes", 0) / pref[s]["bytes"]
                if r is ref:
                    cal, err = "ref", "ref"
                elif pref[s]["term"] == p[s]["term"]:
                    cal = f"{pred * k / mib:,.2f}"
                    err = f"{(meas / (pred * k) - 1) * 100:+.0f}%" if k else ""
            rows.append(f"| {r['docs']:,} | {r['variant']} | {s} | {p[s]['term']} | {p[s]['rows']:,.0f} | "
                        f"{mrows:,} | {pred / mib:,.2f} | {meas / mib:,.2f} | "
                        f"{'' if ratio is None else f'{ratio:.2f}'} | {cal} | {err} |")
    return "\n".join(rows)


def extrapolate(report: dict, target: int = TARGET_DOCS) -> dict:
    """10B documents from the largest default run (CPU, pairs per document, caches) and
    the cluster-shaped variant (shuffle bytes per document of each stage with no
    broadcast joins and Spark-side components), linearly in documents."""
    default = sorted((r for r in report["runs"] if r["variant"] == "default"), key=lambda r: r["docs"])
    if not default:
        return {}
    big = default[-1]
    shaped = next((r for r in sorted(report["runs"], key=lambda r: -r["docs"]) if r["variant"] == "cluster"), big)
    k = target / big["docs"]
    ks = target / shaped["docs"]
    d = big["details"]
    shuffle = {s: (shaped["stages"][s].get("shuffleWriteBytes", 0) + shaped["stages"][s].get("shuffleReadBytes", 0)) * ks
               for s in STAGES}
    shuffle_write = {s: shaped["stages"][s].get("shuffleWriteBytes", 0) * ks for s in STAGES}
    cpu_h = big["cpu_s"] * k / 3600
    cached = big["storage"]["peak_cached_bytes"] * k
    verified_per_doc = d.get("pairs_after_verify", 0) / big["docs"]
    pairs_per_doc = d.get("candidate_pairs", 0) / big["docs"]
    out = {"target_docs": target, "from_docs": big["docs"], "shaped_from": [shaped["docs"], shaped["variant"]],
           "cpu_hours": cpu_h, "shuffle_bytes_by_stage": shuffle, "shuffle_write_by_stage": shuffle_write,
           "shuffle_bytes_total": sum(shuffle.values()), "peak_cached_bytes": cached,
           "candidate_pairs": pairs_per_doc * target, "verified_edges": verified_per_doc * target,
           "driver_components_break_docs": DRIVER_MAX_EDGES / verified_per_doc if verified_per_doc else None,
           "edges_partitions": shuffle_write["edges"] / PARTITION_TARGET,
           "assumptions": {"node_cores": NODE_CORES, "node_memory_gb": NODE_MEMORY_GB,
                           "node_shuffle_mb_s": NODE_SHUFFLE_MB_S, "storage_share": STORAGE_SHARE},
           "clusters": []}
    for nodes in (16, 32, 64, 128, 256):
        cpu = cpu_h / (nodes * NODE_CORES)
        io = out["shuffle_bytes_total"] / (nodes * NODE_SHUFFLE_MB_S * 1e6) / 3600
        mem = cached / (nodes * NODE_MEMORY_GB * 2**30 * STORAGE_SHARE)
        out["clusters"].append({"nodes": nodes, "cpu_hours_wall": cpu, "shuffle_hours_wall": io,
                                "hours": cpu + io, "cache_share_of_storage_memory": mem})
    return out


def extrapolation_table(report: dict) -> str:
    x = extrapolate(report)
    if not x:
        return "(no runs)"
    tb = 1e12
    rows = [f"From the {x['from_docs']:,}-document run (CPU, pairs, caches) and the "
            f"{x['shaped_from'][0]:,}-document `{x['shaped_from'][1]}` run (shuffle per stage), "
            f"linear in documents, to {x['target_docs']:,} documents:", "",
            "| quantity | at 10B documents |", "|---|---:|",
            f"| CPU (2-core local runs' process-tree CPU seconds per document) | {x['cpu_hours']:,.0f} core-hours |",
            f"| candidate pairs / verified edges | {x['candidate_pairs']:.3g} / {x['verified_edges']:.3g} |",
            f"| documents at which verified edges pass driver_components_max_edges (5M) | {x['driver_components_break_docs']:,.0f} |",
            f"| peak cached (docs + stages, memory and disk) | {x['peak_cached_bytes'] / tb:,.1f} TB |",
            f"| shuffle write + read, all stages | {x['shuffle_bytes_total'] / tb:,.1f} TB |"]
    for s in STAGES:
        v = x["shuffle_bytes_by_stage"][s]
        if v > 1e9:
            rows.append(f"| ... {s} | {v / tb:,.2f} TB |")
    rows.append(f"| edges reduce tasks at {PARTITION_TARGET >> 20} MB each | {x['edges_partitions']:,.0f} |")
    rows += ["", f"| nodes ({NODE_CORES} cores, {NODE_MEMORY_GB} GB) | CPU-bound h | shuffle-bound h (assumed "
             f"{NODE_SHUFFLE_MB_S} MB/s/node) | total h | caches / storage memory |", "|---:|---:|---:|---:|---:|"]
    for c in x["clusters"]:
        rows.append(f"| {c['nodes']} | {c['cpu_hours_wall']:.1f} | {c['shuffle_hours_wall']:.1f} | "
                    f"{c['hours']:.1f} | {c['cache_share_of_storage_memory']:.2f} |")
    return "\n".join(rows)


def fits(report: dict) -> dict:
    runs = sorted((r for r in report["runs"] if r["variant"] == "default"), key=lambda r: r["docs"])
    pts = {"wall_s": [(r["docs"], r["wall_s"]) for r in runs],
           "cpu_s": [(r["docs"], r["cpu_s"]) for r in runs],
           "shuffle_write": [(r["docs"], r["totals"]["shuffleWriteBytes"]) for r in runs],
           "shuffle_edges": [(r["docs"], r["stages"]["edges"].get("shuffleWriteBytes", 0)) for r in runs],
           "candidate_pairs": [(r["docs"], r["details"].get("candidate_pairs", 0)) for r in runs]}
    for s in STAGES[:6]:
        pts[f"seconds_{s}"] = [(r["docs"], r["stages"][s].get("seconds") or 0) for r in runs]
    return {k: fit(v) for k, v in pts.items()}


def write(report: dict, results: Path, scale_doc: Path) -> None:
    """The results file and its .md; and the marked tables of ``scale_doc``."""
    report["fits"] = fits(report)
    (results / "minhash_scaling.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (results / "minhash_scaling.md").write_text(render(report))
    report["extrapolation"] = extrapolate(report)
    (results / "minhash_scaling.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    if scale_doc.exists():
        text = scale_doc.read_text()
        for begin, end, table in ((RUNS_BEGIN, RUNS_END, summary_table(report)),
                                  (TABLE_BEGIN, TABLE_END, check_table(report)),
                                  (EXTRA_BEGIN, EXTRA_END, extrapolation_table(report))):
            if begin in text and end in text:
                head, rest = text.split(begin, 1)
                _, tail = rest.split(end, 1)
                text = f"{head}{begin}\n{table}\n{end}{tail}"
        scale_doc.write_text(text)


