"""Ground truth and scores for the MinHash dedup benchmark.

A document is a *near-duplicate* when some other document has exact Jaccard >= 0.8 with it
on word 5-gram shingle sets after thresher's normalisation (``minhash_corpus.shingles``);
exact copies count (Jaccard 1). All pairs of 200k documents (2e10) cannot be checked, so the
exact Jaccard is computed on the union of three candidate sets:

* planted: every pair inside a generated group (near, exact and formatting copies);
* reported: every pair inside each cluster that any engine reported (clusters over
  ``MAX_CLUSTER_PAIRS`` members contribute a chain and a star instead of all pairs);
* high recall LSH: MinHash with 256 permutations (seed 7, thresher's numba kernel) in 64
  bands of 4 rows, every pair sharing a band key. A pair of Jaccard s is a candidate with
  probability 1 - (1 - s^4)^64: 0.984 at s = 0.5, 1 - 4e-15 at s = 0.8. A pair of
  Jaccard >= 0.8 outside this union is, for practical purposes, impossible.

An engine predicts a document positive when the document is in one of its clusters of two
or more documents. Precision, recall and F1 are over documents.
"""
from __future__ import annotations

import time
from collections import defaultdict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from minhash_corpus import jaccard, normalise

THRESHOLD = 0.8
MAX_CLUSTER_PAIRS = 100
HR_PERM, HR_BANDS, HR_ROWS, HR_SEED = 256, 64, 4, 7


def _group_pairs(members: np.ndarray, out: list) -> None:
    """All pairs of ``members`` (row numbers), or a chain plus a star when there are many."""
    m = np.sort(members)
    if len(m) < 2:
        return
    if len(m) <= MAX_CLUSTER_PAIRS:
        i, j = np.triu_indices(len(m), 1)
        out.append(np.stack([m[i], m[j]], axis=1))
    else:
        out.append(np.stack([m[:-1], m[1:]], axis=1))
        out.append(np.stack([np.full(len(m) - 1, m[0]), m[1:]], axis=1))


def _groups_of(labels: np.ndarray, out: list) -> None:
    """Pairs inside every group of equal non-negative ``labels`` (one per row)."""
    rows = np.flatnonzero(labels >= 0)
    order = rows[np.argsort(labels[rows], kind="stable")]
    lab = labels[order]
    cuts = np.flatnonzero(np.diff(lab)) + 1
    for members in np.split(order, cuts):
        _group_pairs(members, out)


def high_recall_pairs(norm: list[str]) -> np.ndarray:
    from thresher.dedup.minhash import MinHashConfig, band_hashes, compute_signatures

    cfg = MinHashConfig(num_perm=HR_PERM, seed=HR_SEED, ngram=5)
    keys = band_hashes(compute_signatures(pa.array(norm, pa.string()), cfg), HR_BANDS, HR_ROWS)
    out: list = []
    for b in range(HR_BANDS):
        _, labels = np.unique(keys[:, b], return_inverse=True)
        counts = np.bincount(labels)
        labels = np.where(counts[labels] > 1, labels, -1)
        _groups_of(labels, out)
    return np.concatenate(out) if out else np.empty((0, 2), np.int64)


def labels_from(ids_index: dict[str, int], table: pa.Table, column: str, n: int) -> np.ndarray:
    """Row-aligned integer cluster labels (-1: in no cluster) from ``(id, column)``."""
    values = table.column(column).to_pylist()
    rows = np.array([ids_index[i] for i in table.column("id").to_pylist()])
    codes: dict = {}
    lab = np.full(n, -1, np.int64)
    for r, v in zip(rows.tolist(), values):
        if v is None or v == -1:
            continue
        lab[r] = codes.setdefault(v, len(codes))
    if not codes:
        return lab
    counts = np.bincount(lab[lab >= 0], minlength=len(codes))
    lab[(lab >= 0) & (counts[np.maximum(lab, 0)] < 2)] = -1  # singletons are not clusters
    return lab


def reported_pairs(pred: dict) -> dict[str, np.ndarray]:
    """``reported:<engine>`` -> the pairs inside each engine's clusters (``labels_from``)."""
    sources = {}
    for name, lab in pred.items():
        out: list = []
        _groups_of(lab, out)
        sources[f"reported:{name}"] = np.concatenate(out) if out else np.empty((0, 2), np.int64)
    return sources


def exact_pairs(sources: dict[str, np.ndarray], norm, n: int):
    """``(coded, all_pairs, jaccard)``: each source's pairs as sorted codes ``a * n + b``
    (a < b), their union, and the exact Jaccard of every pair in it (each document's
    shingles computed once)."""
    def codes(p):
        p = np.sort(p, axis=1).astype(np.int64)
        return np.unique(p[:, 0] * n + p[:, 1])

    coded = {k: codes(v) for k, v in sources.items()}
    all_pairs = np.unique(np.concatenate(list(coded.values())))
    cache: dict[int, set] = {}

    def sh(i):
        s = cache.get(i)
        if s is None:
            s = cache[i] = _shingles(norm[i])
        return s

    jac = np.array([jaccard(sh(int(c // n)), sh(int(c % n))) for c in all_pairs.tolist()])
    return coded, all_pairs, jac


def build(data: str, truth_path: str, predictions: dict[str, tuple[str, str]]) -> dict:
    """Ground truth over ``data`` plus each engine's predicted labels.

    ``predictions``: name -> (parquet path, cluster column). Returns a dict with the row
    arrays ``positive`` (truth) and ``pred[name]``, and ``info`` (what was checked)."""
    t0 = time.perf_counter()
    table = ds.dataset(data, format="parquet").to_table(columns=["id", "text"])
    ids = table.column("id").to_pylist()
    index = {x: i for i, x in enumerate(ids)}
    n = len(ids)
    norm = [normalise(t) for t in table.column("text").to_pylist()]
    del table
    truth = pq.read_table(truth_path, columns=["id", "group", "kind", "level"])
    t_rows = np.array([index[i] for i in truth.column("id").to_pylist()])
    group = np.full(n, -1, np.int64)
    group[t_rows] = truth.column("group").to_numpy(zero_copy_only=False)
    kind = np.empty(n, object)
    kind[t_rows] = truth.column("kind").to_numpy(zero_copy_only=False)
    level = np.full(n, np.nan)
    level[t_rows] = pc.fill_null(truth.column("level"), np.nan).to_numpy(zero_copy_only=False)

    sources: dict[str, np.ndarray] = {}
    out: list = []
    _groups_of(group, out)
    sources["planted"] = np.concatenate(out)
    pred = {name: labels_from(index, pq.read_table(path), col, n)
            for name, (path, col) in predictions.items()}
    sources.update(reported_pairs(pred))
    t = time.perf_counter()
    sources["high_recall_lsh"] = high_recall_pairs(norm)
    lsh_s = time.perf_counter() - t
    coded, all_pairs, jac = exact_pairs(sources, norm, n)
    dup = all_pairs[jac >= THRESHOLD]
    positive = np.zeros(n, bool)
    positive[dup // n] = True
    positive[dup % n] = True
    in_lsh = np.isin(dup, coded["high_recall_lsh"])
    info = {"docs": n, "pairs_checked": int(len(all_pairs)),
            "pairs_by_source": {k: int(len(v)) for k, v in coded.items()},
            "pairs_at_or_above_threshold": int(len(dup)),
            "positives_missed_by_high_recall_lsh": int((~in_lsh).sum()),
            "truth_positive_docs": int(positive.sum()),
            "truth_positive_docs_outside_planted_groups": int((positive & (group < 0)).sum()),
            "high_recall_lsh_s": round(lsh_s, 1), "seconds": round(time.perf_counter() - t0, 1)}
    return {"positive": positive, "pred": pred, "kind": kind, "level": level, "info": info}


_CFG = None


def _shingles(norm_text: str) -> set:
    global _CFG
    from thresher.dedup.minhash import MinHashConfig, reference_shingles

    if _CFG is None:
        _CFG = MinHashConfig(ngram=5)
    return reference_shingles(norm_text, _CFG)


def score(truth: dict, name: str) -> dict:
    pos, lab = truth["positive"], truth["pred"][name]
    pred = lab >= 0
    tp, fp, fn = int((pos & pred).sum()), int((~pos & pred).sum()), int((pos & ~pred).sum())
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    by_level = defaultdict(dict)
    kind, level = truth["kind"], truth["level"]
    for k in ("near", "exact", "format"):
        for lv in sorted({float(x) for x in level[kind == k]}, reverse=True):
            m = (kind == k) & (level == lv)
            key = f"{k} {lv:g}" if k == "near" else k
            by_level[key] = {"docs": int(m.sum()), "truth_positive": round(float(pos[m].mean()), 4),
                             "predicted_positive": round(float(pred[m].mean()), 4)}
    single = kind == "single"
    by_level["single"] = {"docs": int(single.sum()), "truth_positive": round(float(pos[single].mean()), 4),
                          "predicted_positive": round(float(pred[single].mean()), 4)}
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4), "tp": tp, "fp": fp,
            "fn": fn, "predicted_positive": int(pred.sum()),
            "clusters": int(len(np.unique(lab[pred]))), "by_planted_kind": dict(by_level)}
