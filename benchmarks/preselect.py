"""PreSelect with a known answer, and the throughput of ``lm_loss``.

    .venv/bin/python benchmarks/preselect.py                  # ~8 min on 2 shared cores
    .venv/bin/python benchmarks/preselect.py --quick          # smaller, ~3 min
    .venv/bin/python benchmarks/preselect.py --device cuda    # throughput on a GPU too

1. **Planted losses.** A pool of documents from four domains with their own vocabularies
   (``scorers/preselect/synthetic.py``). Four "models" with benchmark scores; a sample of
   the pool gets BPCs that follow the benchmark order on ``astronomy`` only (random
   order elsewhere). Through Spark, as recipe steps: ``predictive_strength`` ->
   ``preselect_train`` (PreSelect's defaults: epoch 3, lr 0.1, wordNgrams 2) ->
   ``fasttext_score``. Reported: the AUC of the selector's probability for "the
   document is from astronomy" on the pool outside the sample (goal >= 0.95), and who
   became positives and negatives.
2. **Trained LMs.** The same with real losses: four tiny GPT-2s (same start, same
   steps) trained on mixes with a growing share of astronomy (the rest the other
   domains), scored with ``lm_loss`` on the sample in Spark. The better "benchmark"
   model has seen more astronomy, so its BPC is lower there and higher elsewhere.
3. **Throughput** of ``lm_loss``'s scorer in process (tokens/s), for a tiny GPT-2 and a
   GPT-2-small-sized one (12 layers, 768 wide, 50,257 tokens, random weights), on the
   CPU with 1 and 2 threads (and ``--device``), plus ``lm_loss`` through Spark
   ``local[2]`` end to end for the tiny models of part 2.

Writes benchmarks/results/preselect.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
WORK = HERE / "work" / "preselect"

DOMAINS = ["cooking", "astronomy", "law", "sports"]
TARGET = "astronomy"
BENCH = {"m1": 0.30, "m2": 0.36, "m3": 0.41, "m4": 0.47}  # worst to best
MIX = {"m1": 0.10, "m2": 0.30, "m3": 0.55, "m4": 0.80}      # astronomy share of training


def spark_session():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from thresher.operators.session import get_or_create_session

    return get_or_create_session(master="local[2]", app_name="bench-preselect",
                                 conf={"spark.sql.shuffle.partitions": "4"})


def write_pool(docs, bpc, path: Path, sample: set | None) -> None:
    import pandas as pd

    rows = []
    for d, b in zip(docs, bpc or [None] * len(docs)):
        row = {"id": d["id"], "text": d["text"], "domain": d["domain"]}
        if b is not None:
            row.update({f"{m}_bpc": (b[m] if d["id"] in sample else None) for m in BENCH})
        rows.append(row)
    path.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(path / "pool.parquet")


def run_selection(spark, pool: Path, steps_before: list, name: str) -> dict:
    """Run the recipe (steps_before + strength, train, score); AUC and who was labelled."""
    import thresher.jobs.builtins  # noqa: F401  - the operators, without installed entry points
    from thresher.operators.recipe import Recipe
    from thresher.operators.runner import run
    from thresher.scorers.preselect.synthetic import auc

    model = str(WORK / f"{name}_selector.bin")
    steps = steps_before + [
        {"predictive_strength": {"benchmarks": BENCH, "correlation": "spearman"}},
        {"preselect_train": {"model": model}},
        {"fasttext_score": {"model": model, "label": "pos", "output": "selector"}}]
    recipe = Recipe.from_dict({
        "name": f"bench_{name}", "input": {"format": "parquet", "path": str(pool),
                                           "id_column": "id"},
        "steps": steps, "output": {"format": "parquet", "path": str(WORK / f"{name}_out"),
                                   "mode": "overwrite"}})
    t = time.perf_counter()
    result = run(recipe, spark=spark, echo=lambda s: None)
    seconds = time.perf_counter() - t
    df = result.output.toPandas()
    held_out = df[df["predictive_strength"].isna()]
    sample = df[df["predictive_strength"].notna()]
    is_target = lambda frame: (frame["domain"] == TARGET).tolist()  # noqa: E731
    labels = {lab: sample[sample["preselect_label"] == lab]["domain"].value_counts().to_dict()
              for lab in ("pos", "neg")}
    report = json.loads(Path(model + ".eval.json").read_text())
    out = {"docs": len(df), "sample": len(sample), "held_out": len(held_out),
           "auc_selector_held_out": auc(held_out["selector"].tolist(), is_target(held_out)),
           "auc_selector_sample": auc(sample["selector"].tolist(), is_target(sample)),
           "auc_strength_sample": auc(sample["predictive_strength"].tolist(), is_target(sample)),
           "labels": labels, "selector_eval_accuracy": report["eval"]["accuracy"],
           "strength_mean_by_domain": sample.groupby("domain")["predictive_strength_norm"]
           .mean().round(3).to_dict(),
           "seconds": round(seconds, 1),
           "steps": {s.op + (f"#{s.step}" if s.op == "lm_loss" else ""): round(s.seconds, 2)
                     for s in result.steps}}
    if steps_before:  # lm_loss through Spark: tokens scored per second of its steps
        tokens = int(sum(sample[f"{m}_tokens"].sum() for m in BENCH))
        lm_seconds = sum(s.seconds for s in result.steps if s.op == "lm_loss")
        out["lm_loss_spark"] = {"tokens": tokens, "seconds": round(lm_seconds, 2),
                                "tokens_per_s": round(tokens / lm_seconds)}
    return out


def planted(spark, docs) -> dict:
    from thresher.scorers.preselect.synthetic import planted_bpc

    rng = random.Random(1)
    sample = {d["id"] for d in docs if rng.random() < 0.25}
    bpc = planted_bpc(docs, target=TARGET, models=list(BENCH), seed=1)
    write_pool(docs, bpc, WORK / "planted", sample)
    return run_selection(spark, WORK / "planted", [], "planted")


def trained(spark, docs, steps: int) -> dict:
    import torch

    from thresher.scorers.lm_loss.tiny import save, tiny_gpt2, train_lm, train_tokenizer

    torch.set_num_threads(1)  # tiny matrices: a second thread only waits on a busy machine
    rng = random.Random(2)
    texts = [d["text"] for d in docs]
    tok = train_tokenizer(texts[:400], vocab_size=512)
    by_domain = {dom: [d["text"] for d in docs if d["domain"] == dom] for dom in DOMAINS}
    others = [dom for dom in DOMAINS if dom != TARGET]
    t = time.perf_counter()
    for name, share in MIX.items():
        mix = [rng.choice(by_domain[TARGET]) if rng.random() < share
               else rng.choice(by_domain[rng.choice(others)]) for _ in range(3000)]
        model = tiny_gpt2(tok, n_positions=256, seed=7)
        train_lm(model, tok, mix, steps=steps, seed=7)
        save(model, tok, str(WORK / "lms" / name))
    train_s = time.perf_counter() - t
    write_pool(docs, None, WORK / "trained", set())
    lm = [{"lm_loss": {"model": str(WORK / "lms" / m), "prefix": m, "block_size": 256,
                       "stride": 128, "sample": 0.25, "device": "cpu"}} for m in BENCH]
    out = run_selection(spark, WORK / "trained", lm, "trained")
    out["lm_training"] = {"steps": steps, "batch": "16 x 64 tokens", "mix": MIX,
                          "seconds": round(train_s, 1)}
    return out


def throughput(device: str, threads: list[int], quick: bool) -> list[dict]:
    import torch

    from thresher.scorers.lm_loss.scorer import LMLossScorer, resolve_dtype
    from thresher.scorers.lm_loss.tiny import tiny_gpt2, train_tokenizer
    from thresher.scorers.preselect.synthetic import domain_corpus

    docs = domain_corpus(DOMAINS, per_domain=60, seed=9, words=(500, 700))
    texts = [d["text"] for d in docs]
    tok = train_tokenizer(texts[:100], vocab_size=512)
    sizes = {"tiny (2 x 32, 512 tokens)": dict(n_layer=2, n_embd=32, n_head=2),
             "gpt2-small size (12 x 768, 50,257 tokens)":
                 dict(n_layer=12, n_embd=768, n_head=12, vocab_size=50257)}
    rows = []
    for label, size in sizes.items():
        small = "small" in label
        n_docs = (4 if quick else 6) if small else (60 if quick else 240)
        # "all": every position projected to the vocabulary, as models without
        # logits_to_keep are (and as lm_loss did before), side by side with "scored".
        runs = [("cpu", n, 512, "scored") for n in threads] + [("cpu", 1, 512, "all"), ("cpu", 1, 1024, "scored")]
        runs += [(device, 1, s, p) for s, p in ((512, "scored"), (512, "all"), (1024, "scored"))] \
            if device != "cpu" else []
        for dev, n_threads, stride, projected in runs:
            torch.set_num_threads(n_threads)
            model = tiny_gpt2(tok, n_positions=1024, seed=0, **size).to(
                dev, dtype=resolve_dtype("auto", torch.device(dev)))  # bf16 on a GPU
            scorer = LMLossScorer(model, tok, block_size=1024, stride=stride,
                                  batch_size=4 if small and dev == "cpu" else 16)
            scorer._keep_mask = scorer._keep_mask and projected == "scored"
            scorer.score(texts[:2])  # warm-up
            t, cpu = time.perf_counter(), time.process_time()
            result = scorer.score(texts[:n_docs])
            wall, cpu = time.perf_counter() - t, time.process_time() - cpu
            tokens = int(result.tokens.sum())
            rows.append({"model": label, "device": dev, "threads": n_threads,
                         "stride": stride, "projected": projected if scorer._keep_mask or projected == "all"
                         else "all (no logits_to_keep)",
                         "dtype": str(next(model.parameters()).dtype).replace("torch.", ""),
                         "docs": n_docs, "tokens": tokens, "seconds": round(wall, 2),
                         "tokens_per_s": round(tokens / wall),
                         "tokens_per_cpu_s": round(tokens / cpu) if cpu else None})
            print(rows[-1], flush=True)
    return rows


def machine() -> dict:
    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "")
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "python": platform.python_version(),
            "torch": torch.__version__,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def _projection_note(rows: list[dict]) -> str:
    """What projecting only the scored positions bought, from the side-by-side rows."""
    notes = []
    for model in dict.fromkeys(t["model"] for t in rows):
        pick = {t.get("projected", "all"): t["tokens_per_s"] for t in rows
                if t["model"] == model and t["threads"] == 1 and t["stride"] == 512 and t["device"] == "cpu"}
        if "scored" in pick and "all" in pick:
            notes.append(f"{model.split(' (')[0]}: {pick['scored'] / pick['all']:.2f}x")
    return ("Scored positions only, against all, at stride 512 on one thread: " + "; ".join(notes)
            + " (the layers, not the projection, dominate on the CPU):") if notes else ":"


def markdown(r: dict) -> str:
    m = r["machine"]
    lines = [f"# PreSelect: a known answer, and lm_loss throughput ({r['date']})", "",
             f"Machine: {m['cpus']} cores ({m['cpu_model']}), GPU: {m['gpu'] or 'none'}; "
             f"Python {m['python']}, torch {m['torch']}. Load average before "
             f"{r['loadavg_before']}, after {r['loadavg_after']} (other jobs share the "
             f"machine). Total {r['total_s']} s.", "",
             f"Pool: {r['pool']['docs']:,} generated documents, {r['pool']['per_domain']:,} "
             f"per domain ({', '.join(DOMAINS)}); target domain `{TARGET}`. Benchmark "
             f"scores {BENCH} (m1 worst). Sample: 25% of the pool (planted: seeded random; "
             "trained: `lm_loss`'s `sample: 0.25`, a hash of the id).", "",
             "| run | sample | held-out pool | selector AUC, held-out pool | selector AUC, "
             "sample | strength AUC, sample | positives (domain: n) | negatives | goal |",
             "|---|---:|---:|---:|---:|---:|---|---|---|"]
    for name in ("planted", "trained"):
        x = r.get(name)
        if not x:
            continue
        fmt = lambda d: ", ".join(f"{k}: {v}" for k, v in sorted(d.items()))  # noqa: E731
        ok = "met" if x["auc_selector_held_out"] >= 0.95 else "not met"
        lines.append(f"| {name} | {x['sample']:,} | {x['held_out']:,} | "
                     f"**{x['auc_selector_held_out']:.4f}** | {x['auc_selector_sample']:.4f} | "
                     f"{x['auc_strength_sample']:.4f} | {fmt(x['labels']['pos'])} | "
                     f"{fmt(x['labels']['neg'])} | >= 0.95: {ok} |")
    lines += ["", "Mean normalised predictive strength on the sample, by domain: " + "; ".join(
        f"{n}: {r[n]['strength_mean_by_domain']}" for n in ("planted", "trained") if r.get(n)), ""]
    if r.get("trained"):
        t = r["trained"]
        lines += [f"Trained LMs: GPT-2, 2 layers x 32, 512-token BPE, {t['lm_training']['steps']} "
                  f"steps each (batch {t['lm_training']['batch']}), astronomy share "
                  f"{t['lm_training']['mix']}; training took {t['lm_training']['seconds']} s. "
                  f"`lm_loss` through Spark `local[2]` (4 steps, staged): "
                  f"{t['lm_loss_spark']['tokens']:,} tokens in {t['lm_loss_spark']['seconds']} s"
                  f" = **{t['lm_loss_spark']['tokens_per_s']:,} tokens/s** (Python workers' "
                  "start and model loading included).", ""]
    lines += ["`lm_loss` scorer in process, tokens scored per second (block 1024; documents "
              "of ~1,000-1,500 tokens; random weights). With stride 512 every window after "
              "the first recomputes 512 tokens of context, so a document costs ~2x its "
              "tokens; stride 1024 (windows step by 1023) is the cheapest. "
              "`projected`: which positions go through the vocabulary projection: the scored "
              "ones only (`logits_to_keep`), or all, context included (models without it). "
              + _projection_note(r["throughput"]),
              "", "| model | device | dtype | threads | stride | projected | docs | tokens | s | tokens/s | "
              "tokens per CPU-s |", "|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for t in r["throughput"]:
        per_cpu = f"{t['tokens_per_cpu_s']:,}" if t["tokens_per_cpu_s"] else ""
        lines.append(f"| {t['model']} | {t['device']} | {t['dtype']} | {t['threads']} | "
                     f"{t['stride']} | {t.get('projected', 'all')} | {t['docs']} | {t['tokens']:,} | {t['seconds']} | "
                     f"**{t['tokens_per_s']:,}** | {per_cpu} |")
    lines += ["", "GPU: " + ("measured above." if r["machine"]["gpu"] else
                             "not measured (no GPU here); `--device cuda` runs the throughput "
                             "part on one (bfloat16)."), ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller pool and models")
    ap.add_argument("--device", default="cpu", help="also measure throughput here (cuda)")
    ap.add_argument("--skip-trained", action="store_true", help="planted losses only")
    args = ap.parse_args()
    from thresher.scorers.preselect.synthetic import domain_corpus

    WORK.mkdir(parents=True, exist_ok=True)
    per_domain = 300 if args.quick else 1000
    t0 = time.perf_counter()
    r = {"date": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC", "machine": machine(),
         "loadavg_before": tuple(round(x, 2) for x in os.getloadavg()),
         "pool": {"docs": per_domain * len(DOMAINS), "per_domain": per_domain}}
    docs = domain_corpus(DOMAINS, per_domain=per_domain, seed=0)
    spark = spark_session()
    r["planted"] = planted(spark, docs)
    print("planted", r["planted"], flush=True)
    if not args.skip_trained:
        r["trained"] = trained(spark, docs, steps=80 if args.quick else 200)
        print("trained", r["trained"], flush=True)
    r["throughput"] = throughput(args.device, [1, 2], args.quick)
    r["loadavg_after"] = tuple(round(x, 2) for x in os.getloadavg())
    r["total_s"] = round(time.perf_counter() - t0, 1)
    results = HERE / "results"
    (results / "preselect.json").write_text(json.dumps(r, indent=2, default=str) + "\n")
    (results / "preselect.md").write_text(markdown(r))
    print(markdown(r))


if __name__ == "__main__":
    main()
