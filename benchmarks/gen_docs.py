"""Generate a deterministic corpus of ~1 KB English-like documents for the heuristics benchmark.

Words come from real English: the word frequencies of CPython's own documentation text
(``pydoc_data.topics`` plus the docstrings of the top-level stdlib modules, parsed with ``ast``),
so documents have a Zipf-like word distribution, real stop words and real word lengths.
Documents are sampled as unigram text (no grammar) with sentences, commas, line and
paragraph breaks, a few numbers, bullets and line-end ellipses.

About 70% of documents are built to pass every Gopher rule (as DataTrove implements them and
as thresher implements them); the other 30% are split evenly over kinds that are each built to
trip one rule, far from its threshold.  The kind a document was built as is the suffix of its
id (``00001234-dup_line``): use it to check agreement, never as an input to a filter.
Some kinds trip a second rule too under some tokenisations (see NOTES-datatrove.md).

Output: ``<out>/part-00000.parquet`` ... (``id`` string, ``text`` string; snappy; row groups
of at most ``--row-group-rows`` rows) and ``<out>/_manifest.json`` (Spark and DataTrove's
ParquetReader(glob_pattern="*.parquet") both skip it).

Deterministic: the same ``--seed``, ``--docs`` and ``--files`` give the same bytes on the same
Python version (the vocabulary comes from that Python's stdlib; its sha256 is in the manifest).
Each file has its own RNG stream, so the output does not depend on ``--procs``.

    python benchmarks/gen_docs.py --docs 1000000 --out benchmarks/work/docs-1m
"""
from __future__ import annotations

import argparse
import ast
import collections
import glob
import hashlib
import json
import multiprocessing as mp
import os
import re
import sys
import sysconfig
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")

# Kinds of failing documents, each built to trip one Gopher rule.  Names follow the rule.
FAIL_KINDS = (
    # GopherQualityFilter rules
    "short_doc",            # < 50 words
    "low_mean_word_len",    # mean word length < 3
    "high_mean_word_len",   # mean word length > 10
    "hash_ratio",           # '#' per word > 0.1
    "ellipsis_ratio",       # '...' per word > 0.1
    "bullet_lines",         # > 90% of lines start with a bullet
    "ellipsis_lines",       # > 30% of lines end with an ellipsis
    "low_alpha",            # < 80% of words contain a letter
    "no_stopwords",         # < 2 distinct stop words
    # GopherRepetitionFilter rules
    "dup_para",             # > 30% of paragraphs are duplicates
    "dup_line",             # > 30% of lines are duplicates
    "dup_line_chars",       # > 20% of characters are in duplicate lines
    "top_ngram",            # top 2-gram covers > 20% of characters
    "dup_ngram",            # duplicated 5-grams cover > 15% of characters
)
KINDS = ("pass",) + FAIL_KINDS

# ---------------------------------------------------------------------------------------------
# Token table: every token is (word, capitalised?, suffix, prefix); a document is the
# concatenation of its tokens' strings, so documents are built by integer ops plus one
# str.join per document.
SUFFIXES = (" ", ", ", ". ", ".\n", ".\n\n", ".", "... ", "...\n", "\u2026\n", "...")
SP, COMMA, DOT, DOT_NL, DOT_PARA, END, ELL, ELL_NL, UELL_NL, ELL_END = range(len(SUFFIXES))
PREFIXES = ("", "#", "- ", "\u2022 ")
NO_PRE, HASH, DASH, BULLET = range(len(PREFIXES))
NS, NP = len(SUFFIXES), len(PREFIXES)


def _stdlib_text() -> str:
    import pydoc_data.topics as topics
    texts = [topics.topics[k] for k in sorted(topics.topics)]
    for path in sorted(glob.glob(os.path.join(sysconfig.get_paths()["stdlib"], "*.py"))):
        try:
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read())
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node, clean=False)
                if doc:
                    texts.append(doc)
    return "\n".join(texts)


class Vocab:
    """Words with their corpus frequencies, plus number tokens, plus the token string table."""

    def __init__(self, min_count: int = 3):
        counts = collections.Counter(re.findall(r"[a-z]+", _stdlib_text().lower()))
        words = sorted(w for w, c in counts.items()
                       if c >= min_count and (len(w) > 1 or w in ("a", "i")) and len(w) <= 18)
        self.words = words
        self.counts = np.array([counts[w] for w in words], dtype=np.float64)
        self.sha256 = hashlib.sha256("\n".join(f"{w}\t{counts[w]}" for w in words)
                                     .encode()).hexdigest()
        nrng = np.random.default_rng(12345)  # numbers do not depend on --seed
        numbers = sorted({str(x) for x in nrng.integers(0, 10000, 200)}
                         | {f"{x:.2f}" for x in nrng.random(100) * 100}
                         | {f"{x}%" for x in nrng.integers(1, 100, 50)}
                         | {str(x) for x in range(1950, 2026)})
        self.numbers = numbers
        self.n_words = len(words)
        self.n_numbers = len(numbers)
        lengths = np.array([len(w) for w in words])
        wid = {w: i for i, w in enumerate(words)}
        self.stop_ids = np.array([wid[s] for s in STOP_WORDS if s in wid])
        if len(self.stop_ids) != len(STOP_WORDS):
            raise RuntimeError("stop words missing from the vocabulary")

        def dist(mask):
            p = np.where(mask, self.counts, 0.0)
            return np.cumsum(p / p.sum())

        everything = np.ones(len(words), bool)
        self.cdf_all = dist(everything)
        self.cdf_no_stop = dist(~np.isin(np.arange(len(words)), self.stop_ids))
        # Short words: frequent (count >= 50) words of <= 3 letters; the frequency-weighted
        # mean length must stay well under 3.
        short = (lengths <= 3) & (self.counts >= 50)
        self.cdf_short = dist(short)
        p = np.diff(self.cdf_short, prepend=0.0)
        self.short_mean_len = float((p * lengths).sum())
        if self.short_mean_len > 2.7:
            raise RuntimeError(f"short-word mean length {self.short_mean_len:.2f} is too high")
        self.cdf_long = dist(lengths >= 11)
        # Candidate words for repeated 2-grams: mid-frequency, 6-9 letters.
        self.phrase_ids = np.flatnonzero((lengths >= 6) & (lengths <= 9) & (self.counts >= 10))
        all_words = words + numbers
        table = []
        for w in all_words:
            for form in (w, w[:1].upper() + w[1:]):
                for suf in SUFFIXES:
                    for pre in PREFIXES:
                        table.append(pre + form + suf)
        self.table = np.array(table, dtype=object)

    def sample(self, rng, cdf, n):
        return np.searchsorted(cdf, rng.random(n), side="right").clip(0, self.n_words - 1)


VOCAB: Vocab | None = None


class Tokens:
    """Flat token arrays for a batch of documents (doc i is tokens off[i]:off[i+1])."""

    def __init__(self, w, cap, suf, pre, off):
        self.w, self.cap, self.suf, self.pre, self.off = w, cap, suf, pre, off

    def render(self) -> list[str]:
        idx = ((self.w.astype(np.int64) * 2 + self.cap) * NS + self.suf) * NP + self.pre
        toks = VOCAB.table[idx].tolist()
        off = self.off.tolist()
        return ["".join(toks[a:b]) for a, b in zip(off[:-1], off[1:])]


def build(rng, n, lo, hi, cdf=None, *, sent_len=13.0, comma_p=0.06, number_p=0.0,
          breaks=(0.6, 0.3, 0.1), line_per_sentence=False, bullet_line_p=0.0,
          ell_line_p=0.0, ell_line_every=0, end=END, max_marked_lines=1.0) -> Tokens:
    """n documents of lo..hi words of unigram text: sentences of geometric length (mean
    sent_len) ending with '. ', '.\\n' or '.\\n\\n' (probabilities ``breaks``), commas, numbers.
    A line may start with a bullet (bullet_line_p) or end with an ellipsis (ell_line_p, or
    exactly every ``ell_line_every``-th line of a document, starting with the first); in a
    document where either would exceed ``max_marked_lines`` of its non-empty lines, none does."""
    v = VOCAB
    lens = rng.integers(lo, hi + 1, n)
    off = np.zeros(n + 1, np.int64)
    np.cumsum(lens, out=off[1:])
    total = int(off[-1])
    first = np.zeros(total, bool)
    first[off[:-1]] = True
    last = np.zeros(total, bool)
    last[off[1:] - 1] = True
    w = v.sample(rng, v.cdf_all if cdf is None else cdf, total)
    if number_p:
        m = rng.random(total) < number_p
        w[m] = v.n_words + rng.integers(0, v.n_numbers, int(m.sum()))
    sent_end = (rng.random(total) < 1.0 / sent_len) | last
    sent_start = np.roll(sent_end, 1) | first
    cap = sent_start.astype(np.int64)
    suf = np.where(rng.random(total) < comma_p, COMMA, SP)
    if line_per_sentence:
        suf[sent_end] = DOT_NL
    else:
        r = rng.random(total)
        b0, b1, _ = breaks
        suf[sent_end] = np.where(r < b0, DOT, np.where(r < b0 + b1, DOT_NL, DOT_PARA))[sent_end]
    line_end = sent_end & (suf != DOT)
    if ell_line_p:
        m = line_end & (rng.random(total) < ell_line_p)
        suf[m] = np.where(rng.random(total) < 0.5, ELL_NL, UELL_NL)[m]
    if ell_line_every:
        seen = np.cumsum(line_end) - line_end                # line ends before this token
        line_no = seen - np.repeat(seen[off[:-1]], lens)     # line number within the document
        m = line_end & (line_no % ell_line_every == 0)
        suf[m] = np.where(rng.random(total) < 0.5, ELL_NL, UELL_NL)[m]
    suf[last] = end
    pre = np.zeros(total, np.int64)
    if bullet_line_p:
        line_start = first | np.roll(line_end, 1)
        m = line_start & (rng.random(total) < bullet_line_p)
        pre[m] = np.where(rng.random(total) < 0.5, DASH, BULLET)[m]
    if max_marked_lines < 1.0 and (bullet_line_p or ell_line_p):
        doc = np.repeat(np.arange(n), lens)
        lines = np.bincount(doc, weights=line_end & ~last, minlength=n) + 1
        ell = np.bincount(doc, weights=(suf == ELL_NL) | (suf == UELL_NL), minlength=n)
        bul = np.bincount(doc, weights=pre != NO_PRE, minlength=n)
        suf[((ell > max_marked_lines * lines)[doc]) & ((suf == ELL_NL) | (suf == UELL_NL))] = DOT_NL
        pre[(bul > max_marked_lines * lines)[doc]] = NO_PRE
    return Tokens(w, cap, suf, pre, off)


# ---------------------------------------------------------------------------------------------
# One generator per kind: (rng, n) -> list[str] of n documents.

def gen_pass(rng, n):
    # ~170 words ~ 1 KB; some bullet lines (20%), a few line-end ellipses (5%), 1% numbers;
    # never more than a quarter of a document's lines marked, and little punctuation, so that
    # pass documents stay clear of every threshold under any word splitting.
    return build(rng, n, 140, 200, sent_len=18, comma_p=0.03, number_p=0.01, bullet_line_p=0.2,
                 ell_line_p=0.05, max_marked_lines=0.25).render()


def gen_short_doc(rng, n):
    return build(rng, n, 15, 40).render()


def gen_low_mean_word_len(rng, n):
    return build(rng, n, 260, 330, VOCAB.cdf_short).render()


def gen_high_mean_word_len(rng, n):
    t = build(rng, n, 70, 90, VOCAB.cdf_long)
    m = rng.random(len(t.w)) < 0.06  # keep a few stop words so that rule still passes
    t.w[m] = rng.choice(VOCAB.stop_ids, int(m.sum()))
    return t.render()


def gen_hash_ratio(rng, n):
    t = build(rng, n, 140, 190)
    m = (rng.random(len(t.w)) < 0.3) & (t.cap == 0)
    t.pre[m] = HASH
    return t.render()


def gen_ellipsis_ratio(rng, n):
    t = build(rng, n, 140, 190)
    m = (rng.random(len(t.w)) < 0.25) & (t.suf == SP)
    t.suf[m] = ELL
    return t.render()


def gen_bullet_lines(rng, n):
    return build(rng, n, 140, 190, sent_len=11, line_per_sentence=True, bullet_line_p=1.0).render()


def gen_ellipsis_lines(rng, n):
    # Every other line ends with an ellipsis (~50% > 30%), while '...' per word stays ~0.04.
    return build(rng, n, 140, 190, sent_len=11, line_per_sentence=True, ell_line_every=2,
                 end=ELL_END).render()


def gen_low_alpha(rng, n):
    return build(rng, n, 150, 200, number_p=0.4).render()


def gen_no_stopwords(rng, n):
    return build(rng, n, 140, 200, VOCAB.cdf_no_stop).render()


def _lines(rng, n, lo, hi):
    """n single-line sentences (no newline inside, no trailing newline)."""
    return build(rng, n, lo, hi, sent_len=1e9).render()


def gen_dup_para(rng, n):
    # 3 distinct paragraphs, then the same 3 again in another order: 3/6 paragraphs duplicate.
    paras = build(rng, 3 * n, 24, 32, breaks=(0.7, 0.3, 0.0)).render()
    orders = rng.permuted(np.tile(np.arange(3), (n, 1)), axis=1).tolist()
    return ["\n\n".join(paras[3 * i: 3 * i + 3] + [paras[3 * i + j] for j in orders[i]])
            for i in range(n)]


def gen_dup_line(rng, n):
    # 9 distinct lines + one short boilerplate line 7 times: 6/16 lines duplicate, but the
    # duplicate characters stay ~10% (under the 20% duplicate-line-character rule).
    uniq = _lines(rng, 9 * n, 12, 18)
    boiler = _lines(rng, n, 2, 3)
    out = []
    for i in range(n):
        lines = uniq[9 * i: 9 * i + 9] + [boiler[i]] * 7
        out.append("\n".join(lines[j] for j in rng.permutation(16)))
    return out


def gen_dup_line_chars(rng, n):
    # 7 distinct short lines + one long line 3 times: 2/10 lines duplicate (under 30%) but
    # ~35% of the characters are in duplicate lines.
    uniq = _lines(rng, 7 * n, 11, 15)
    long_ = _lines(rng, n, 36, 42)
    out = []
    for i in range(n):
        lines = uniq[7 * i: 7 * i + 7] + [long_[i]] * 3
        out.append("\n".join(lines[j] for j in rng.permutation(10)))
    return out


def gen_top_ngram(rng, n):
    # One 2-gram of two 6-9 letter words replaces 22 word pairs: ~30% of the characters.
    t = build(rng, n, 150, 180, breaks=(0.7, 0.3, 0.0))
    a = rng.choice(VOCAB.phrase_ids, n)
    b = rng.choice(VOCAB.phrase_ids, n)
    for i in range(n):
        s, e = int(t.off[i]), int(t.off[i + 1])
        j = np.arange(s, e - 2, 2)  # even offsets: pairs never overlap; never the last word
        # both words plain ("a b "), so the 2-gram is the same under any word splitting
        ok = (t.cap[j] == 0) & (t.cap[j + 1] == 0) & (t.suf[j] == SP) & (t.suf[j + 1] == SP) \
            & (t.pre[j] == 0) & (t.pre[j + 1] == 0)
        j = j[ok]
        k = rng.choice(j, min(22, len(j)), replace=False)
        t.w[k] = a[i]
        t.w[k + 1] = b[i]
    return t.render()


def gen_dup_ngram(rng, n):
    # A 25-token span copied over 2 other places: ~25% of the characters in duplicated 5-grams,
    # while its 4-grams (3 occurrences) stay under the top-4-gram rule.  One line only (no
    # newlines), so no duplicate lines or paragraphs.
    t = build(rng, n, 150, 180, sent_len=15, comma_p=0.04, breaks=(1.0, 0.0, 0.0))
    for i in range(n):
        s, e = int(t.off[i]), int(t.off[i + 1])
        q = (e - s) // 3
        o = int(rng.integers(0, q - 27 + 1))
        src = slice(s + o, s + o + 25)
        for k in (1, 2):
            dst = slice(s + k * q + o, s + k * q + o + 25)
            for arr in (t.w, t.cap, t.suf, t.pre):
                arr[dst] = arr[src]
    return t.render()


GENERATORS = {k: globals()[f"gen_{k}"] for k in KINDS}


# ---------------------------------------------------------------------------------------------

def kind_counts(n: int, pass_frac: float) -> dict[str, int]:
    per_fail = int(n * (1.0 - pass_frac) / len(FAIL_KINDS))
    counts = {k: per_fail for k in FAIL_KINDS}
    counts = {"pass": n - per_fail * len(FAIL_KINDS), **counts}
    return counts


def _gen_file(job):
    path, seed, file_idx, start, n, pass_frac, row_group_rows = job
    rng = np.random.default_rng([seed, file_idx])
    counts = kind_counts(n, pass_frac)
    texts, kinds = [], []
    for k in KINDS:
        if counts[k]:
            texts.extend(GENERATORS[k](rng, counts[k]))
            kinds.extend([k] * counts[k])
    perm = rng.permutation(n)
    texts = [texts[i] for i in perm]
    ids = [f"{start + r:08d}-{kinds[i]}" for r, i in enumerate(perm.tolist())]
    table = pa.table({"id": pa.array(ids, pa.string()), "text": pa.array(texts, pa.string())})
    pq.write_table(table, path, row_group_size=row_group_rows, compression="snappy")
    return path, n, int(table.column("text").nbytes), counts


def generate(out: str, docs: int = 1_000_000, files: int = 8, seed: int = 0,
             pass_frac: float = 0.7, procs: int = 2, row_group_rows: int = 65536) -> dict:
    global VOCAB
    t0 = time.perf_counter()
    if VOCAB is None:
        VOCAB = Vocab()
    os.makedirs(out, exist_ok=True)
    for old in glob.glob(os.path.join(out, "part-*.parquet")):
        os.remove(old)
    files = max(1, min(files, docs))
    sizes = [docs // files + (1 if i < docs % files else 0) for i in range(files)]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).tolist()
    jobs = [(os.path.join(out, f"part-{i:05d}.parquet"), seed, i, starts[i], sizes[i], pass_frac,
             row_group_rows) for i in range(files)]
    if procs > 1 and files > 1:
        with mp.get_context("fork").Pool(min(procs, files)) as pool:
            results = pool.map(_gen_file, jobs, chunksize=1)
    else:
        results = [_gen_file(j) for j in jobs]
    totals = collections.Counter()
    for _, _, _, c in results:
        totals.update(c)
    manifest = {
        "docs": docs, "files": files, "seed": seed, "pass_frac": pass_frac,
        "text_bytes": sum(r[2] for r in results),
        "kinds": {k: totals[k] for k in KINDS},
        "vocab_words": VOCAB.n_words, "vocab_sha256": VOCAB.sha256,
        "python": sys.version.split()[0], "numpy": np.__version__,
        "generator": "benchmarks/gen_docs.py",
        "seconds": round(time.perf_counter() - t0, 2),
    }
    with open(os.path.join(out, "_manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output directory (part-*.parquet are replaced)")
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pass-frac", type=float, default=0.7)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--row-group-rows", type=int, default=65536)
    a = ap.parse_args(argv)
    m = generate(a.out, a.docs, a.files, a.seed, a.pass_frac, a.procs, a.row_group_rows)
    print(json.dumps(m, indent=2))


if __name__ == "__main__":
    main()
