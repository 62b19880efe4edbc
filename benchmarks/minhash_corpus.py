"""Corpus for the MinHash dedup benchmark: ~1 KB English-like documents with planted
near-duplicates at known word-5-gram Jaccard levels and natural exact duplicates.

Base documents are the heuristics benchmark's ``pass`` documents (``gen_docs.build`` with
``gen_pass``'s parameters: unigram text over CPython's documentation vocabulary, sentences,
commas, line and paragraph breaks, a few bullets, numbers and ellipses), so two independent
documents share almost no word 5-gram. Then, as fractions of ``--docs``:

* near-duplicate groups: for each level in ``LEVELS`` (0.95 ... 0.6, with 0.82 / 0.78 on
  either side of the 0.8 threshold), 0.8% of ``docs`` groups of one base document plus 1, 2,
  3 or 5 copies (p = .6/.25/.1/.05). Each copy is the base with random word edits
  (60% substitutions, 20% deletions, 20% insertions of corpus words), as many as bring its
  exact Jaccard with the base closest to the level (bisection over the number of edits);
  the achieved Jaccard is recorded. Copies of one base are edited independently, so two
  copies are less similar to each other than to their base.
* exact-duplicate groups (1%): a base plus 1-3 byte-identical copies;
* formatting groups (0.5%): a base plus one copy that differs only in case, whitespace and
  punctuation after words, i.e. is identical after normalisation (Jaccard 1).
* every other document is a singleton.

Jaccard here is always on the shingle sets the benchmark scores against: word 5-grams
(``thresher.dedup.minhash.reference.reference_shingles``) of :func:`normalise`, a pure-Python copy of
thresher's default ``minhash_dedup`` normalisation (NFKC, lower case, ``\\p{P}`` -> space,
whitespace collapsed, trimmed).

Output (``<out>/``): ``data/part-0000{0..7}.parquet`` (``id`` string, ``text`` string; rows in
a random order, ids ``%08d`` in that order, so groups are spread over files and partitions; the
folder every engine reads), ``truth.parquet`` (``id, group, kind, level, jaccard_to_base``; group -1 for singletons)
and ``_manifest.json``. Deterministic from ``--seed`` and ``--docs`` (a fixed number of
chunks gets its own RNG stream, so the result does not depend on ``--procs``).

    .venv/bin/python benchmarks/minhash_corpus.py --docs 200000 --out benchmarks/work/mh-docs-200000
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import gen_docs  # noqa: E402

LEVELS = (0.95, 0.9, 0.85, 0.82, 0.78, 0.75, 0.7, 0.6)
GROUPS_PER_LEVEL = 0.008
COPIES, COPIES_P = (1, 2, 3, 5), (0.6, 0.25, 0.1, 0.05)
EXACT_GROUPS, FORMAT_GROUPS = 0.01, 0.005
EDIT_P = (0.6, 0.2, 0.2)  # substitute, delete, insert
CHUNKS = 64               # RNG streams for the edits (fixed: output independent of --procs)
FILES = 8


# ---------------------------------------------------------------------------------------------
# Normalisation and shingles (thresher's defaults, in Python)

def _char_class(pred) -> str:
    """A regex character class of every code point for which ``pred(ch)`` holds."""
    ranges, start = [], None
    for cp in range(sys.maxunicode + 2):
        hit = cp <= sys.maxunicode and pred(chr(cp))
        if hit and start is None:
            start = cp
        elif not hit and start is not None:
            ranges.append((start, cp - 1))
            start = None
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                   for a, b in ranges)


_PUNCT = re.compile(f"[{_char_class(lambda c: unicodedata.category(c).startswith('P'))}]+")
# Java's \s (ASCII only), \x1c-\x1f, \x85 and \p{Z}: thresher's whitespace class.
_SPACE = re.compile("[ \t\n\x0b\f\r\x1c-\x1f\x85"
                    f"{_char_class(lambda c: unicodedata.category(c).startswith('Z'))}]+")


def normalise(text: str) -> str:
    """thresher's ``minhash_dedup`` text before shingling (lsh.normalized, default switches)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip(" ")


def shingles(text: str, ngram: int = 5) -> set[bytes]:
    """Word n-gram shingles of the raw ``text`` after :func:`normalise` (thresher's sets)."""
    from thresher.dedup.minhash.config import MinHashConfig
    from thresher.dedup.minhash.reference import reference_shingles

    cfg = _CFG.get(ngram) or _CFG.setdefault(ngram, MinHashConfig(ngram=ngram))
    return reference_shingles(normalise(text), cfg)


_CFG: dict = {}


def jaccard(a: set, b: set) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


# ---------------------------------------------------------------------------------------------
# Generation

def _base_tokens(rng, n: int) -> gen_docs.Tokens:
    # gen_docs.gen_pass's documents, as tokens so that copies can be edited word by word
    return gen_docs.build(rng, n, 140, 200, sent_len=18, comma_p=0.03, number_p=0.01,
                          bullet_line_p=0.2, ell_line_p=0.05, max_marked_lines=0.25)


def _render(cols: tuple[list, list, list, list]) -> str:
    w, cap, suf, pre = (np.array(c, dtype=np.int64) for c in cols)
    return gen_docs.Tokens(w, cap, suf, pre, np.array([0, len(w)])).render()[0]


def _edited(cols, ops, k: int):
    w, cap, suf, pre = (list(c) for c in cols)
    for kind, u, word in ops[:k]:
        i = int(u * len(w))
        if kind == 0:
            w[i] = word
        elif kind == 1 and len(w) > 10:
            for c in (w, cap, suf, pre):
                del c[i]
        else:
            w.insert(i, word), cap.insert(i, 0), suf.insert(i, gen_docs.SP), pre.insert(i, 0)
    return w, cap, suf, pre


def near_copy(rng, cols, base_shingles: set, target: float) -> tuple[str, float]:
    """The base edited until its Jaccard with the base is closest to ``target``."""
    m = len(cols[0])
    ops = list(zip(rng.choice(3, m, p=EDIT_P).tolist(), rng.random(m).tolist(),
                   gen_docs.VOCAB.sample(rng, gen_docs.VOCAB.cdf_all, m).tolist()))
    cache: dict[int, tuple[str, float]] = {}

    def at(k):
        if k not in cache:
            text = _render(_edited(cols, ops, k))
            cache[k] = (text, jaccard(shingles(text), base_shingles))
        return cache[k]

    lo, hi = 0, m  # J(lo) > target >= J(hi), J roughly decreasing in k
    if at(hi)[1] > target:
        return at(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if at(mid)[1] > target else (lo, mid)
    return min((at(lo), at(hi)), key=lambda r: abs(r[1] - target))


def format_copy(rng, text: str) -> str:
    """Same text after normalisation: case, whitespace and punctuation after words change."""
    words = text.split(" ")
    out = []
    for w in words:
        r = rng.random()
        if r < 0.1:
            w = w.upper()
        elif r < 0.2:
            w = w.capitalize()
        elif r < 0.25 and w and w[-1].isalnum():
            w = w + ","
        out.append(w)
    sep = [" " if r > 0.05 else ("  " if r > 0.02 else "\n") for r in rng.random(len(out)).tolist()]
    return "".join(w + s for w, s in zip(out, sep)).rstrip(" \n") + " "


def _edit_chunk(job):
    seed, chunk, items = job
    rng = np.random.default_rng([seed, 1, chunk])
    out = []
    for base_cols, base_text, level, copies in items:
        base = shingles(base_text)
        out.append([near_copy(rng, base_cols, base, level) for _ in range(copies)])
    return out


def plan(docs: int, seed: int) -> list[tuple[str, float, int]]:
    """Groups as (kind, level, copies): near (by level), exact, format."""
    rng = np.random.default_rng([seed, 0])
    groups = []
    per_level = max(1, round(docs * GROUPS_PER_LEVEL))
    for level in LEVELS:
        groups += [("near", level, int(c)) for c in rng.choice(COPIES, per_level, p=COPIES_P)]
    groups += [("exact", 1.0, int(c)) for c in rng.integers(1, 4, max(1, round(docs * EXACT_GROUPS)))]
    groups += [("format", 1.0, 1)] * max(1, round(docs * FORMAT_GROUPS))
    if sum(1 + c for _, _, c in groups) > docs // 2:
        raise SystemExit(f"--docs {docs} is too small for the planted groups")
    return groups


def generate(out: str, docs: int, seed: int = 0, procs: int = 2) -> dict:
    t0 = time.perf_counter()
    if gen_docs.VOCAB is None:
        gen_docs.VOCAB = gen_docs.Vocab()
    groups = plan(docs, seed)
    n_base = docs - sum(c for _, _, c in groups)
    tokens = _base_tokens(np.random.default_rng([seed, 2]), n_base)
    base_texts = tokens.render()
    off = tokens.off.tolist()

    def cols(i):
        a, b = off[i], off[i + 1]
        return tuple(x[a:b].tolist() for x in (tokens.w, tokens.cap, tokens.suf, tokens.pre))

    near = [(g, level, c) for g, (kind, level, c) in enumerate(groups) if kind == "near"]
    items = [(cols(g), base_texts[g], level, c) for g, level, c in near]
    bounds = np.linspace(0, len(items), CHUNKS + 1).astype(int)
    jobs = [(seed, k, items[bounds[k]:bounds[k + 1]]) for k in range(CHUNKS)]
    if procs > 1:
        with mp.get_context("fork").Pool(procs) as pool:
            edited = [x for part in pool.map(_edit_chunk, jobs, chunksize=1) for x in part]
        # gen_docs.VOCAB is inherited by the forked workers
    else:
        edited = [x for part in map(_edit_chunk, jobs) for x in part]
    near_copies = {g: copies for (g, _, _), copies in zip(near, edited)}

    fmt_rng = np.random.default_rng([seed, 3])
    texts, group, kind, level, jac = [], [], [], [], []
    for i, text in enumerate(base_texts):
        g = i if i < len(groups) else -1
        k = groups[i][0] if g >= 0 else "single"
        texts.append(text), group.append(g), kind.append(k), level.append(groups[g][1] if g >= 0 else None)
        jac.append(1.0 if g >= 0 else None)
        if g < 0:
            continue
        if k == "near":
            copies = near_copies[g]
        elif k == "exact":
            copies = [(text, 1.0)] * groups[g][2]
        else:
            copy = format_copy(fmt_rng, text)
            if normalise(copy) != normalise(text):
                raise RuntimeError(f"formatting copy of group {g} changes the normalised text")
            copies = [(copy, 1.0)]
        for t, j in copies:
            texts.append(t), group.append(g), kind.append(k), level.append(groups[g][1]), jac.append(round(j, 6))
    assert len(texts) == docs, (len(texts), docs)
    perm = np.random.default_rng([seed, 4]).permutation(docs)
    ids = pa.array([f"{r:08d}" for r in range(docs)], pa.string())
    order = pa.array(perm)
    corpus = pa.table({"id": ids, "text": pa.array(texts, pa.string()).take(order)})
    truth = pa.table({"id": ids, "group": pa.array(group, pa.int64()).take(order),
                      "kind": pa.array(kind, pa.string()).take(order),
                      "level": pa.array(level, pa.float64()).take(order),
                      "jaccard_to_base": pa.array(jac, pa.float64()).take(order)})
    data = os.path.join(out, "data")
    os.makedirs(data, exist_ok=True)
    for old in Path(data).glob("part-*.parquet"):
        old.unlink()
    bounds = np.linspace(0, docs, FILES + 1).astype(int)
    for f in range(FILES):
        pq.write_table(corpus.slice(bounds[f], bounds[f + 1] - bounds[f]),
                       os.path.join(data, f"part-{f:05d}.parquet"), row_group_size=65536,
                       compression="snappy")
    pq.write_table(truth, os.path.join(out, "truth.parquet"))
    kinds = {k: kind.count(k) for k in ("single", "near", "exact", "format")}
    achieved = {}
    for lv in LEVELS:
        js = [j for j, k, l_ in zip(jac, kind, level) if k == "near" and l_ == lv and j != 1.0]
        achieved[str(lv)] = {"copies": len(js), "mean": round(float(np.mean(js)), 4),
                             "min": round(min(js), 4), "max": round(max(js), 4)}
    manifest = {"docs": docs, "seed": seed, "files": FILES, "groups": len(groups),
                "docs_by_kind": kinds, "near_copy_jaccard_to_base": achieved,
                "text_bytes": int(corpus.column("text").nbytes),
                "mean_doc_chars": round(float(np.mean([len(t) for t in texts])), 1),
                "vocab_sha256": gen_docs.VOCAB.sha256, "python": sys.version.split()[0],
                "generator": "benchmarks/minhash_corpus.py", "seconds": round(time.perf_counter() - t0, 1)}
    with open(os.path.join(out, "_manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    return manifest


def corpus(docs: int, work: Path, seed: int = 0, procs: int = 2) -> Path:
    """The corpus folder for ``docs`` documents under ``work``, generated on first use."""
    out = work / f"mh-docs-{docs}-s{seed}"
    manifest = out / "_manifest.json"
    if not manifest.exists():
        print(f"generating {docs:,} documents into {out} ...", flush=True)
        m = generate(str(out), docs, seed, procs)
        print(f"  done in {m['seconds']} s", flush=True)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--procs", type=int, default=2)
    a = ap.parse_args(argv)
    print(json.dumps(generate(a.out, a.docs, a.seed, a.procs), indent=2))


if __name__ == "__main__":
    main()
