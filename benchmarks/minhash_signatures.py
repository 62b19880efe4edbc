"""Micro-benchmark of MinHash signatures, single thread: thresher's numba kernel vs
datasketch vs rensa, on the same pre-normalised ~1 KB English documents.

    python benchmarks/minhash_signatures.py [--docs 20000] [--num-perm 128] [--ngram 5]

Documents: windows of ~170 words of the bundled corpus (data/quickstart), lower-cased
with whitespace collapsed (what Spark hands the kernel), ~3% of words replaced at random;
deterministic (``--seed``). Word 5-gram shingles, 128 permutations, seed 1.

What is timed, per engine (all from the normalised Python/Arrow text to signatures):

* thresher: ``compute_signatures`` on one Arrow array: shingling + MurmurHash3 + permutations
  + min, in numba. JIT compile excluded (one warm-up call first; its time is reported).
* datasketch: per document, Python shingling (split/join/encode), ``MinHash(permutations=
  shared)`` (no per-document RandomState) and ``update_batch`` with its default sha1_hash32.
* rensa: Python shingling + ``RMinHash.digest_matrix_from_token_sets`` (batch) and, as a
  second variant, one ``RMinHash`` per document; the faster of the two is "rensa".
* rensa, shingles prebuilt: only ``digest_matrix_from_token_sets`` on token lists built
  beforehand (rensa's hashing + permutations, no Python shingling): rensa's floor.

Single thread: RAYON_NUM_THREADS=1 and RENSA_PIPELINE_QUEUE_CAP=0 (rensa's helper thread off)
are set before rensa loads; the numba kernel is single-threaded by design. Best of
``--repeats`` runs (the machine may be shared); medians are in the JSON.
Writes benchmarks/results/minhash_signatures.{json,md}.
"""
from __future__ import annotations

import os

for _var in ("RAYON_NUM_THREADS", "NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
             "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["RENSA_PIPELINE_QUEUE_CAP"] = "0"

import argparse  # noqa: E402
import glob  # noqa: E402
import importlib.metadata as md  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from datasketch import MinHash  # noqa: E402
from rensa import RMinHash  # noqa: E402

from thresher.dedup.minhash import MinHashConfig, compute_signatures, reference_shingles, shingle_hash32  # noqa: E402
from thresher.dedup.minhash.permutations import permutations  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def make_docs(n: int, words_per_doc: int, seed: int) -> list[str]:
    """n windows of the normalised corpus, ~3% of words replaced by random corpus words."""
    files = sorted(glob.glob(str(ROOT / "data" / "quickstart" / "*.parquet")))
    texts = pq.read_table(files, columns=["text"])["text"].to_pylist()
    words = " ".join(" ".join(t.lower().split()) for t in texts if t).split(" ")
    rng = np.random.default_rng(seed)
    docs = []
    for start in rng.integers(0, len(words) - words_per_doc, n):
        doc = words[start:start + words_per_doc]
        for i in rng.choice(words_per_doc, words_per_doc // 33, replace=False):
            doc[i] = words[rng.integers(len(words))]
        docs.append(" ".join(doc))
    return docs


def shingles(text: str, n: int) -> list[str]:
    """Word n-grams of a normalised text, as str (the whole text if shorter)."""
    w = text.split(" ")
    return [text] if len(w) < n else [" ".join(w[i:i + n]) for i in range(len(w) - n + 1)]


def timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                  if line.startswith("model name")), platform.processor())
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gib": round(mem, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "versions": {p: md.version(p) for p in ("numba", "numpy", "pyarrow", "datasketch", "rensa")}}


def accuracy(docs: list[str], cfg: MinHashConfig, pairs: int, seed: int) -> dict:
    """Mean |estimated - exact Jaccard| of each engine on (doc, perturbed doc) pairs."""
    rng = np.random.default_rng(seed + 1)
    left, right = [], []
    for d in docs[:pairs]:
        w = d.split(" ")
        k = int(rng.integers(1, len(w) // 4))
        for i in rng.choice(len(w), k, replace=False):
            w[i] = "x" + str(rng.integers(10**6))
        left.append(d)
        right.append(" ".join(w))
    exact = np.array([len(a & b) / len(a | b) for a, b in
                      ((reference_shingles(x, cfg), reference_shingles(y, cfg)) for x, y in zip(left, right))])
    t = compute_signatures(pa.array(left + right), cfg)
    est_t = (t[:pairs] == t[pairs:]).mean(axis=1)
    r = RMinHash.digest_matrix_from_token_sets([shingles(x, cfg.ngram) for x in left + right],
                                               cfg.num_perm, cfg.seed).to_rows()
    r = np.array(r, dtype=np.uint32)
    est_r = (r[:pairs] == r[pairs:]).mean(axis=1)
    return {"pairs": pairs, "mean_exact_jaccard": round(float(exact.mean()), 4),
            "mean_abs_error": {"thresher": round(float(np.abs(est_t - exact).mean()), 4),
                               "rensa": round(float(np.abs(est_r - exact).mean()), 4)}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--datasketch-docs", type=int, default=2000, help="datasketch is slow: a subset")
    ap.add_argument("--words", type=int, default=170, help="words per document (~1 KB)")
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--ngram", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--out", type=Path, default=RESULTS / "minhash_signatures")
    args = ap.parse_args()

    cfg = MinHashConfig(num_perm=args.num_perm, ngram=args.ngram, tokenizer="word", seed=1)
    docs = make_docs(args.docs, args.words, args.seed)
    arr = pa.array(docs)
    n, nd = len(docs), min(args.datasketch_docs, len(docs))
    load_before = os.getloadavg()

    t0 = time.perf_counter()
    compute_signatures(arr[:100], cfg)  # JIT compile or load numba's on-disk cache
    warmup_s = time.perf_counter() - t0
    # the same work as datasketch: equal signatures with the same hash function
    sigs = compute_signatures(arr[:200], cfg)
    for i in range(200):
        m = MinHash(cfg.num_perm, seed=cfg.seed, hashfunc=shingle_hash32)
        m.update_batch(list(reference_shingles(docs[i], cfg)))
        if not np.array_equal(m.hashvalues, sigs[i]):
            raise SystemExit(f"thresher and datasketch disagree on document {i}")

    perms = np.array(permutations(cfg.num_perm, cfg.seed, cfg.scheme))

    def datasketch_run():
        for text in docs[:nd]:
            m = MinHash(cfg.num_perm, seed=cfg.seed, permutations=perms, scheme=cfg.scheme)
            m.update_batch([s.encode() for s in shingles(text, cfg.ngram)])

    def rensa_per_doc():
        for text in docs:
            m = RMinHash(cfg.num_perm, cfg.seed)
            m.update(shingles(text, cfg.ngram))
            m.digest()

    prebuilt = [shingles(t, cfg.ngram) for t in docs]
    runs = {
        "thresher": (n, "Arrow array -> shingles, MurmurHash3, permutations, min (numba)",
                     timed(lambda: compute_signatures(arr, cfg), args.repeats)),
        "rensa batch": (n, "Python shingling + RMinHash.digest_matrix_from_token_sets",
                        timed(lambda: RMinHash.digest_matrix_from_token_sets(
                            [shingles(t, cfg.ngram) for t in docs], cfg.num_perm, cfg.seed), args.repeats)),
        "rensa per doc": (n, "Python shingling + RMinHash(...).update(shingles).digest()",
                          timed(rensa_per_doc, args.repeats)),
        "datasketch": (nd, "Python shingling + MinHash(permutations=shared).update_batch (sha1_hash32)",
                       timed(datasketch_run, max(1, args.repeats // 2))),
        "rensa, shingles prebuilt": (n, "RMinHash.digest_matrix_from_token_sets only (no shingling)",
                                     timed(lambda: RMinHash.digest_matrix_from_token_sets(
                                         prebuilt, cfg.num_perm, cfg.seed), args.repeats)),
    }
    load_after = os.getloadavg()
    engines = {name: {"docs": k, "timed": what, "seconds": [round(s, 4) for s in secs],
                      "docs_per_s_best": round(k / min(secs)), "docs_per_s_median": round(k / statistics.median(secs))}
               for name, (k, what, secs) in runs.items()}
    rensa_best = max(engines["rensa batch"]["docs_per_s_best"], engines["rensa per doc"]["docs_per_s_best"])
    ours = engines["thresher"]["docs_per_s_best"]
    ratios = {"thresher / rensa (best end-to-end variant)": round(ours / rensa_best, 2),
              "thresher / datasketch": round(ours / engines["datasketch"]["docs_per_s_best"], 2),
              "thresher / rensa with shingles prebuilt": round(
                  ours / engines["rensa, shingles prebuilt"]["docs_per_s_best"], 2)}
    report = {
        "benchmark": "minhash_signatures",
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "machine": machine(), "loadavg_before": load_before, "loadavg_after": load_after,
        "config": {"docs": n, "mean_doc_bytes": round(sum(len(d.encode()) for d in docs) / n),
                   "words_per_doc": args.words, "num_perm": cfg.num_perm, "ngram": cfg.ngram,
                   "tokenizer": cfg.tokenizer, "scheme": cfg.scheme, "repeats": args.repeats,
                   "seed": args.seed},
        "thresher_warmup_s": round(warmup_s, 3), "engines": engines, "ratios": ratios,
        "goal": "thresher docs/s >= rensa single-thread docs/s (end to end)",
        "goal_met": ours >= rensa_best,
        "accuracy": accuracy(docs, cfg, 300, args.seed),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))


def markdown(r: dict) -> str:
    m, c = r["machine"], r["config"]
    lines = [
        f"# MinHash signatures: thresher vs datasketch vs rensa, single thread ({r['date']})", "",
        f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['memory_gib']} GiB, Python {m['python']}; "
        f"load average before {tuple(round(x, 2) for x in r['loadavg_before'])}, after "
        f"{tuple(round(x, 2) for x in r['loadavg_after'])}. "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".", "",
        f"{c['docs']:,} documents of ~{c['mean_doc_bytes']} bytes (windows of the normalised quickstart "
        f"corpus, ~3% words replaced); word {c['ngram']}-grams, num_perm {c['num_perm']}, "
        f"best of {c['repeats']} runs. Every engine starts from the normalised text and does "
        f"shingling + hashing + signature, except the last row.", "",
        "| engine | what is timed | docs | docs/s (best) | docs/s (median) |",
        "|---|---|---:|---:|---:|",
    ]
    for name, e in r["engines"].items():
        lines.append(f"| {name} | {e['timed']} | {e['docs']:,} | {e['docs_per_s_best']:,} | "
                     f"{e['docs_per_s_median']:,} |")
    lines += [""] + [f"**{k}: {v}x**" + (" (goal: >= 1x)" if k.startswith("thresher / rensa (") else "")
                     + "  " for k, v in r["ratios"].items()]
    a = r["accuracy"]
    lines += ["", f"thresher's JIT warm-up (compile, or load of numba's cache) took {r['thresher_warmup_s']} s, "
              "not in the timings. thresher's signatures equal datasketch's (MurmurHash3 shingle hash) "
              "on the first 200 documents; datasketch is timed with its default sha1_hash32.", "",
              f"Accuracy on {a['pairs']} (document, perturbed copy) pairs, mean exact Jaccard "
              f"{a['mean_exact_jaccard']}: mean |estimate - exact| thresher "
              f"{a['mean_abs_error']['thresher']}, rensa {a['mean_abs_error']['rensa']}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
