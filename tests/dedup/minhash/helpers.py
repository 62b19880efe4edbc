"""Test helpers: Spark-like normalisation and datasketch's signature of the reference shingles."""
from __future__ import annotations

import numpy as np
from datasketch import MinHash

from thresher.dedup.minhash import MinHashConfig, reference_shingles, shingle_hash32


def normalise(text: str | None) -> str | None:
    """Lower-case and collapse every whitespace run to one space (no ends)."""
    return None if text is None else " ".join(text.lower().split())


def datasketch_signature(text: str | None, cfg: MinHashConfig) -> np.ndarray:
    """datasketch's MinHash of the reference shingles, with thresher's shingle hash."""
    m = MinHash(num_perm=cfg.num_perm, seed=cfg.seed, hashfunc=shingle_hash32, scheme=cfg.scheme)
    shingles = reference_shingles(text, cfg)
    if shingles:
        m.update_batch(sorted(shingles))
    return m.hashvalues
