"""The plain datasketch side of the MinHash dedup benchmark: MinHashLSH, insert all, query all,
union-find, as a short script would do it.

1. Read ``id, text`` of every ``*.parquet`` under ``--data`` (pyarrow).
2. Signatures on the 2 cores: a ``multiprocessing`` pool of 2 (fork) maps chunks of 2,000
   documents to ``MinHash.bulk`` (num_perm 128, seed 1, datasketch's default sha1_hash32)
   over word 5-gram shingles of thresher's normalisation (``minhash_corpus.normalise``: the
   same shingle sets as thresher and the ground truth; a text of fewer than 5 words is one
   shingle).
3. ``MinHashLSH(threshold=0.8, num_perm=128)`` (bands 9 x rows 13, datasketch's optimum),
   every document inserted (``insertion_session``) as a ``LeanMinHash``, then every
   document queried; each hit is a union in a union-find over row numbers. Single process:
   datasketch's in-memory index cannot be shared between processes.

Timed from reading the Parquet to the cluster of every document. Writes ``--predictions``
(``id, cluster``: the union-find root's id) and ``--json``.

    .venv/bin/python benchmarks/minhash_datasketch.py --data DIR --json out.json --predictions p.parquet
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from minhash_corpus import normalise  # noqa: E402

NUM_PERM, SEED, NGRAM, THRESHOLD = 128, 1, 5, 0.8
CHUNK = 2000


def _signatures(texts: list[str]) -> np.ndarray:
    from datasketch import MinHash

    shingle_lists = []
    for text in texts:
        words = normalise(text).split(" ")
        if len(words) < NGRAM:
            shingle_lists.append([" ".join(words).encode()])
        else:
            shingle_lists.append([" ".join(words[i:i + NGRAM]).encode()
                                  for i in range(len(words) - NGRAM + 1)])
    return np.stack([m.hashvalues for m in MinHash.bulk(shingle_lists, num_perm=NUM_PERM, seed=SEED)])


def dedup(data: str, procs: int = 2) -> tuple[list[str], np.ndarray, dict]:
    """``(ids, root row of each row, seconds per phase)``."""
    from datasketch import LeanMinHash, MinHashLSH

    secs = {}
    t = time.perf_counter()
    table = ds.dataset(data, format="parquet").to_table(columns=["id", "text"])
    ids = table.column("id").to_pylist()
    texts = table.column("text").to_pylist()
    del table
    secs["read"] = time.perf_counter() - t

    t = time.perf_counter()
    chunks = [texts[i:i + CHUNK] for i in range(0, len(texts), CHUNK)]
    with mp.get_context("fork").Pool(procs) as pool:
        sigs = np.concatenate(pool.map(_signatures, chunks, chunksize=1))
    del chunks, texts
    secs["signatures"] = time.perf_counter() - t

    t = time.perf_counter()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    lean = [LeanMinHash(seed=SEED, hashvalues=row, scheme="affine32") for row in sigs]
    with lsh.insertion_session() as session:
        for i, m in enumerate(lean):
            session.insert(i, m, check_duplication=False)
    secs["lsh_insert"] = time.perf_counter() - t

    t = time.perf_counter()
    parent = list(range(len(ids)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(lean):
        for j in lsh.query(m):
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    roots = np.array([find(i) for i in range(len(ids))])
    secs["lsh_query_union_find"] = time.perf_counter() - t
    return ids, roots, {k: round(v, 2) for k, v in secs.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--json", required=True)
    ap.add_argument("--predictions", default=None)
    a = ap.parse_args(argv)
    import datasketch

    start = time.time()
    t = time.perf_counter()
    ids, roots, secs = dedup(a.data, a.procs)
    wall = time.perf_counter() - t
    end = time.time()
    if a.predictions:
        cluster = [ids[r] for r in roots.tolist()]
        pq.write_table(pa.table({"id": ids, "cluster": cluster}), a.predictions)
    report = {"engine": "datasketch", "version": datasketch.__version__, "docs_in": len(ids),
              "wall_s": round(wall, 3), "docs_per_s": round(len(ids) / wall, 1), "seconds": secs,
              "procs": a.procs, "bands_rows": [9, 13], "t_start": start, "t_end": end,
              "loadavg_after": os.getloadavg()}
    Path(a.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
