"""One 64-bit hash per LSH band of each MinHash signature (the keys of the LSH stage).

Band ``i`` covers signature columns ``[i * rows, (i + 1) * rows)``. Its hash is an
xxHash64-style fold of those uint32 values, seeded with the band index so equal
values in different bands give different keys::

    acc = PRIME64_5 + i * PRIME64_3
    for v in band:  acc = rotl64(acc + v * PRIME64_2, 31) * PRIME64_1
    key = fmix64(acc)                          # MurmurHash3's 64-bit finalizer

All arithmetic is uint64, wrapping mod 2**64. Two documents share a key for band
``i`` iff their band rows are equal (up to 64-bit collisions, ~2**-64 per pair).
"""
from __future__ import annotations

import numpy as np

_PRIME64_1 = np.uint64(0x9E3779B185EBCA87)
_PRIME64_2 = np.uint64(0xC2B2AE3D27D4EB4F)
_PRIME64_3 = np.uint64(0x165667B19E3779F9)
_PRIME64_5 = np.uint64(0x27D4EB2F165667C5)


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def band_hashes(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``(n_docs, bands)`` uint64 keys of each band of ``signatures`` (n_docs, num_perm).

    Uses the first ``bands * rows`` columns (``bands * rows <= num_perm``).
    """
    sig = np.asarray(signatures)
    if sig.ndim != 2 or sig.dtype.kind != "u":
        raise ValueError(f"signatures must be a 2-D unsigned array, got {sig.ndim}-D {sig.dtype}")
    if bands < 1 or rows < 1 or bands * rows > sig.shape[1]:
        raise ValueError(f"need bands >= 1, rows >= 1 and bands * rows <= num_perm "
                         f"({sig.shape[1]}), got bands={bands}, rows={rows}")
    band_index = np.arange(bands, dtype=np.uint64)
    acc = np.empty((sig.shape[0], bands), dtype=np.uint64)
    acc[:] = _PRIME64_5 + band_index * _PRIME64_3
    for j in range(rows):  # the j-th row of every band at once: n_docs x bands
        v = sig[:, j:bands * rows:rows].astype(np.uint64)
        acc += v * _PRIME64_2
        acc = ((acc << np.uint64(31)) | (acc >> np.uint64(33))) * _PRIME64_1
    return _fmix64(acc)
