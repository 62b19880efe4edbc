"""Table containment end to end: thresher's three pruning stages vs a brute-force exact check.

    .venv/bin/python benchmarks/containment.py                      # the committed results (~15 min)
    .venv/bin/python benchmarks/containment.py --tables 1000 --seed 0 --brute-pairs 400
    .venv/bin/python benchmarks/containment.py --smoke              # ~3 min, results in /tmp

1. A lake from ``containment_lake.py`` (``--tables``, ``--seed``, ``--bases``; cached under
   benchmarks/work/): base tables with realistic column types, projections, filters,
   both, chains, format copies (Parquet file or dataset, Delta, CSV), re-ordered and
   re-cased columns, widened types, and decoys (one changed value, a renamed column,
   other rows).
2. Ground truth (``containment_truth.Oracle``): the brute-force all-pairs exact check in
   NumPy over every schema-compatible pair, independent of thresher; the pairs known by
   construction (lineage) must all be in it and no decoy pair may be.
3. thresher: ``find_containment`` over the lake (exact verification, default options, a
   fresh CSV statistics cache) on ``local[2]``, after a warm-up run on one base's tables.
   Precision and recall of ``contained`` against the truth, candidate pairs after each
   stage, bytes read and seconds.
4. The baseline: a Spark ``EXCEPT`` of canonical rows per schema-compatible pair
   (``containment_truth.brute_force_spark``). All pairs would take hours, so it runs on a
   uniform random sample of ``--brute-pairs`` of them (all when there are fewer) and its
   time is extrapolated; its bytes are the least an exact check of every pair must read
   (footers plus the pair's column chunks, whole CSV files; ``ScanModel``), checked against
   what Spark read on the sample. Its verdicts on the sample are checked against the truth.
   The same model gives the bounds: reading every table of the true pairs (or of the pairs
   left after stage 2) once, on the columns those pairs need.
5. thresher again with every pair through the sample test first (``sample_above_bytes=0``;
   by default pairs of small tables skip it), for its bytes and seconds.
6. Writes ``containment.json`` and ``containment.md`` to ``--results``
   (``python benchmarks/containment_report.py RESULTS.json`` re-renders the Markdown).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import containment_lake  # noqa: E402
import containment_lineage  # noqa: E402
import containment_report  # noqa: E402
import containment_truth  # noqa: E402
import heuristics  # noqa: E402  (machine())


def lake(work: Path, tables: int, seed: int, bases: int | None) -> tuple[Path, dict, float]:
    """The lake's folder and manifest, generated unless an identical one is cached."""
    root = work / f"containment-lake-{tables}-s{seed}-b{bases or 'auto'}"
    manifest = root / "_manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("generator") == \
            containment_lake.generator_hash():
        return root, json.loads(manifest.read_text()), 0.0
    shutil.rmtree(root, ignore_errors=True)
    t = time.perf_counter()
    containment_lake.build_lake(root, tables=tables, seed=seed, bases=bases)
    return root, json.loads(manifest.read_text()), time.perf_counter() - t


def truth(root: Path, manifest: dict) -> dict:
    """The all-pairs exact check, and how it squares with the lake's construction."""
    t = time.perf_counter()
    oracle = containment_truth.Oracle(root, manifest["specs"])
    pairs = oracle.schema_pairs()
    contained = oracle.contained_pairs(pairs)
    seconds = time.perf_counter() - t
    specs = _specs_from(root, manifest)
    lineage, decoys = containment_lineage.lineage_pairs(specs)
    decoy_kinds = {s.name for s in specs if s.decoy}
    extra = contained - lineage
    return {"oracle": oracle, "schema_pairs": pairs, "contained": contained, "decoy_pairs": decoys,
            "summary": {
                "seconds": round(seconds, 2), "schema_compatible_pairs": len(pairs),
                "contained_pairs": len(contained), "by_construction": len(lineage),
                "by_construction_missing_from_truth": sorted(lineage - contained)[:20],
                "decoy_pairs": len(decoys), "decoy_pairs_in_truth": sorted(set(decoys) & contained)[:20],
                "decoy_pairs_by_kind": dict(Counter(decoys.values())),
                "beyond_construction": len(extra),
                "beyond_construction_child_or_parent_decoy": sum(
                    1 for c, p in extra if c in decoy_kinds or p in decoy_kinds)}}


def _specs_from(root: Path, manifest: dict) -> list:
    """The specs again (with row positions) for the lineage: planned in memory, same seed."""
    _, specs = containment_lake.plan_lake(tables=manifest["tables"], seed=manifest["seed"],
                                          bases=manifest["bases"])
    names = [s["name"] for s in manifest["specs"]]
    assert [s.name for s in specs] == names, "the lake generator is not deterministic"
    return specs


def spark_session():
    from thresher.operators.session import get_or_create_session
    t = time.perf_counter()
    # Parquet's vectored reads (on by default with Spark 4's Hadoop) bypass the file system
    # statistics that Spark's inputBytes come from: with them on, a scan of a Parquet file
    # reports its footer only. Off, thresher's and the baseline's bytes read are real.
    spark = get_or_create_session(master="local[2]", app_name="containment-bench",
                                  conf={"spark.sql.shuffle.partitions": "4",
                                        "spark.default.parallelism": "4",
                                        "spark.hadoop.parquet.hadoop.vectored.io.enabled": "false"})
    spark.range(1).collect()
    return spark, time.perf_counter() - t


def run_thresher(spark, root: Path, work: Path, sample_rows: int, sources: list[str] | None = None,
                 **options) -> dict:
    from thresher.dedup.containment import find_containment

    out = work / "containment-out"
    cache = Path(tempfile.mkdtemp(prefix="cbench-csv-cache-"))  # fresh: CSV stats computed in the run
    try:
        t = time.perf_counter()
        result = find_containment(sources or [str(root)], out=str(out), spark=spark,
                                  stats_cache=str(cache), sample_rows=sample_rows, **options)
        wall = time.perf_counter() - t
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {"result": result, "wall_s": wall}


def score(result, root: Path, manifest: dict, tr: dict) -> dict:
    rel = lambda p: os.path.relpath(p, root)  # noqa: E731
    base_of = {s["name"]: s["base"] for s in manifest["specs"]}
    reported = {(rel(c), rel(p)) for c, p in result.contained}
    truth_set, decoys = tr["contained"], tr["decoy_pairs"]
    tp = len(reported & truth_set)
    cands = [e for e in result.edges if e.decided_at != "schema"]
    within = [e for e in cands if base_of[rel(e.child)] == base_of[rel(e.parent)]]
    after_stats = lambda es: sum(1 for e in es if e.decided_at != "stats")  # noqa: E731
    decided = {(rel(e.child), rel(e.parent)): e.decided_at for e in result.edges}
    decoy_stage: dict[str, Counter] = {}
    for pair, kind in decoys.items():  # a pair that is no candidate fell at the schema stage
        decoy_stage.setdefault(kind, Counter())[decided.get(pair, "schema")] += 1
    stages = {s["stage"]: s for s in result.stages["stages"]}
    before, after = stages["schema"]["pairs_after"], stages["stats"]["pairs_after"]
    return {
        "reported_contained": len(reported), "true_positives": tp,
        "precision": tp / len(reported) if reported else 1.0,
        "recall": tp / len(truth_set) if truth_set else 1.0,
        "false_positives": sorted(reported - truth_set)[:20],
        "false_negatives": sorted(truth_set - reported)[:20],
        "decoy_pairs_reported": sorted(reported & set(decoys))[:20],
        "decoy_pairs_decided_at": {k: dict(v) for k, v in sorted(decoy_stage.items())},
        "errors": sum(1 for e in result.edges if e.verdict == "error"),
        "skipped": result.skipped,
        "schema_pairs_match_oracle": {(rel(e.child), rel(e.parent)) for e in cands} == set(tr["schema_pairs"]),
        "stages_1_2_removed": 1 - after / before if before else 0.0,
        "pruning_split": {
            "within_base_family": {"schema_compatible": len(within), "after_stats": after_stats(within)},
            "across_families": {"schema_compatible": len(cands) - len(within),
                                "after_stats": after_stats(cands) - after_stats(within)}},
        "pruned_at": dict(Counter(e.decided_at for e in cands)),
        "stats_rules": dict(Counter(e.rule for e in cands if e.decided_at == "stats")),
        "content_rules": dict(Counter(e.rule for e in cands if e.decided_at == "content")),
    }


def _model_bytes(model, specs: dict, pairs) -> int:
    return sum(model.pair_bytes(c, p, sorted(specs[c]["families"])) for c, p in pairs)


def _once_bytes(model, specs: dict, pairs) -> int:
    """Bytes of reading each table of ``pairs`` once, on every column its pairs need (a child
    all of its columns, a parent its children's): the least any exact check of those pairs
    reads when it shares each table's scan among the table's pairs."""
    need: dict[str, set] = {}
    for c, p in pairs:
        keys = set(specs[c]["families"])
        need.setdefault(c, set()).update(keys)
        need.setdefault(p, set()).update(keys)
    return sum(model.table_bytes(t, sorted(keys)) for t, keys in need.items())


def bounds(result, root: Path, manifest: dict, tr: dict, model) -> dict:
    """What the lake allows any sound method, and what thresher's content stage bought."""
    specs = {s["name"]: s for s in manifest["specs"]}
    rel = lambda p: os.path.relpath(p, root)  # noqa: E731
    cands = [e for e in result.edges if e.decided_at != "schema"]
    survivors = [(rel(e.child), rel(e.parent)) for e in cands if e.decided_at != "stats"]
    sampled_out = [(rel(e.child), rel(e.parent)) for e in cands if e.decided_at == "content"]
    false_survivors = [p for p in survivors if p not in tr["contained"]]
    n = len(tr["schema_pairs"])
    return {
        "max_removable_by_sound_pruning": 1 - len(tr["contained"]) / n if n else 0.0,
        "bytes_verifying_true_pairs_only": _model_bytes(model, specs, tr["contained"]),
        "bytes_true_pairs_tables_once": _once_bytes(model, specs, tr["contained"]),
        "bytes_verifying_stats_survivors": _model_bytes(model, specs, survivors),
        "bytes_stats_survivors_tables_once": _once_bytes(model, specs, survivors),
        "bytes_verifying_pairs_the_sample_disproved": _model_bytes(model, specs, sampled_out),
        "false_stats_survivors": len(false_survivors),
        "false_stats_survivors_by_child_kind": dict(Counter(specs[c]["kind"] for c, _ in false_survivors)),
    }


def brute_force(spark, root: Path, manifest: dict, tr: dict, n: int, seed: int, model) -> dict:
    specs = {s["name"]: s for s in manifest["specs"]}
    pairs = tr["schema_pairs"]
    model_total = _model_bytes(model, specs, pairs)
    sample = sorted(random.Random(seed).sample(pairs, min(n, len(pairs))))
    run = containment_truth.brute_force_spark(spark, root, specs, sample)
    model_sample = _model_bytes(model, specs, sample)
    disagree = [p for p, v in run["verdicts"].items() if v != (p in tr["contained"])]
    per_pair = run["seconds"] / len(sample)
    return {"pairs": len(pairs), "sampled_pairs": len(sample), "all_pairs_run": len(sample) == len(pairs),
            "sample_seconds": round(run["seconds"], 2), "seconds_per_pair": round(per_pair, 4),
            "estimated_seconds": round(per_pair * len(pairs), 1),
            "sample_bytes_measured": run["bytes"], "sample_bytes_model": model_sample,
            "measured_over_model": round(run["bytes"] / model_sample, 3) if run["bytes"] else None,
            "bytes_model_all_pairs": model_total,
            "sample_contained": sum(run["verdicts"].values()),
            "sample_disagreements_with_truth": disagree[:20]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bases", type=int, default=None, help="base tables (default max(20, tables // 25))")
    ap.add_argument("--brute-pairs", type=int, default=400, help="pairs the Spark brute force runs on")
    ap.add_argument("--sample-rows", type=int, default=64)
    ap.add_argument("--smoke", action="store_true", help="60 tables from 4 bases, 60 brute-force pairs, "
                    "results to /tmp/cbench/results unless --results")
    ap.add_argument("--work", default=str(HERE / "work"))
    ap.add_argument("--results", default=None, help="default benchmarks/results")
    args = ap.parse_args(argv)
    if args.smoke:
        args.tables, args.bases, args.brute_pairs = 60, args.bases or 4, min(args.brute_pairs, 60)
    results = Path(args.results or ("/tmp/cbench/results" if args.smoke else HERE / "results"))
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    doc = {"benchmark": "containment", "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
           "machine": heuristics.machine() | {"loadavg_before": os.getloadavg()},
           "versions": {p: version(p) for p in ("pyspark", "pyarrow", "deltalake", "pandas", "numpy")},
           "args": vars(args)}
    root, manifest, gen_s = lake(work, args.tables, args.seed, args.bases)
    kinds = Counter(s["kind"] for s in manifest["specs"])
    doc["lake"] = {"path": str(root), "tables": len(manifest["specs"]), "bases": manifest["bases"],
                   "kinds": dict(kinds), "formats": dict(Counter(s["format"] for s in manifest["specs"])),
                   "rows": sum(s["rows"] for s in manifest["specs"]),
                   "bytes": sum(f.stat().st_size for f in root.rglob("*") if f.is_file()),
                   "generate_s": round(gen_s, 1)}
    print(f"lake: {doc['lake']}", flush=True)
    tr = truth(root, manifest)
    doc["truth"] = tr["summary"]
    print(f"truth: {doc['truth']}", flush=True)
    spark, start_s = spark_session()
    doc["spark"] = {"master": "local[2]", "startup_s": round(start_s, 1), "shuffle_partitions": 4}
    warm = sorted(str(p) for p in root.iterdir() if p.is_dir())[:1]
    doc["spark"]["warmup_s"] = round(run_thresher(spark, root, work, args.sample_rows, warm)["wall_s"], 1)
    th = run_thresher(spark, root, work, args.sample_rows)
    result = th["result"]
    print(result.summary(), flush=True)
    doc["thresher"] = {"wall_s": round(th["wall_s"], 1), "stages": result.stages["stages"],
                       "verdicts": result.stages["verdicts"], "tables": result.stages["tables"],
                       "bytes_read": sum(s["bytes_read"] or 0 for s in result.stages["stages"]),
                       "data_bytes": result.stages["data_bytes"], "config": result.stages["config"]} \
        | score(result, root, manifest, tr)
    print(f"thresher: precision {doc['thresher']['precision']:.4f} recall {doc['thresher']['recall']:.4f}",
          flush=True)
    # The road not taken by default: every pair through the sample test first.
    alt = run_thresher(spark, root, work, args.sample_rows, sample_above_bytes=0)
    alt_score = score(alt["result"], root, manifest, tr)
    doc["sample_first"] = {"wall_s": round(alt["wall_s"], 1), "stages": alt["result"].stages["stages"],
                           "bytes_read": sum(s["bytes_read"] or 0 for s in alt["result"].stages["stages"]),
                           "precision": alt_score["precision"], "recall": alt_score["recall"],
                           "content_rules": alt_score["content_rules"]}
    print(f"sample first: {doc['sample_first']['bytes_read']} bytes, {doc['sample_first']['wall_s']} s", flush=True)
    model = containment_truth.ScanModel(root, manifest["specs"])
    doc["bounds"] = bounds(result, root, manifest, tr, model)
    doc["brute_force"] = brute_force(spark, root, manifest, tr, args.brute_pairs, args.seed, model)
    print(f"brute force: {doc['brute_force']}", flush=True)
    doc["loadavg_after"] = os.getloadavg()
    (results / "containment.json").write_text(json.dumps(doc, indent=2, default=str))
    (results / "containment.md").write_text(containment_report.render(doc))
    print(f"wrote {results / 'containment.json'} and containment.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
