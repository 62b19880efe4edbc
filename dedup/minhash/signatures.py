"""MinHash signatures of a whole Arrow string array at once (numba, zero copy).

Input contract: the texts are already normalised upstream (Spark SQL): words are
separated by exactly one ASCII space, with no leading or trailing space. So every
shingle is a contiguous byte slice of the Arrow data buffer:

* ``word``: ``ngram`` consecutive words, ``" ".join(words[i:i+ngram]).encode()``;
* ``char``: ``ngram`` consecutive code points (a code point starts at every byte
  not of the form ``0b10xxxxxx``).

A text with fewer than ``ngram`` tokens is ONE shingle: the whole text. A null or
empty text has no shingle: its signature is all ``0xFFFFFFFF`` (datasketch's empty
MinHash); the runner drops those rows before this stage anyway.

Each shingle is hashed with MurmurHash3 x86_32, seed 0 (``hashing.shingle_hash32``),
then permuted per :mod:`thresher.dedup.minhash.permutations` (datasketch's ``affine32`` or
``legacy`` scheme) and min-reduced. The result equals, bit for bit,
``datasketch.MinHash(num_perm, seed=seed, hashfunc=shingle_hash32, scheme=scheme)``
updated with :func:`thresher.dedup.minhash.reference.reference_shingles` (tests check it).

Memory is bounded: shingle hashes go through a fixed buffer of ``_CHUNK`` values
that is folded into the signature when full, so a 5 MB text costs one linear pass.
No Python object is built per text or per shingle. Single-threaded on purpose:
Spark runs one kernel per partition.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

from thresher.dedup.minhash.bands import band_hashes
from thresher.dedup.minhash.config import MinHashConfig
from thresher.dedup.minhash.hashing import SHINGLE_HASH_SEED, fmix32, murmur3_32_slice, shingle_hash32
from thresher.dedup.minhash.permutations import permutations
from thresher.dedup.minhash.shingle_walk import DONE, WALK_STATE, next_spans, start_walk
from thresher.operators.arrow import utf8_buffers
from thresher.operators.errors import InputError

__all__ = ["EMPTY_HASH", "band_hashes", "compute_signatures", "shingle_hash32"]

EMPTY_HASH = np.uint32(0xFFFFFFFF)
_CHUNK = 512  # shingle hashes per fold: small enough to stay in L1 with the signature
_U32 = np.uint64(0xFFFFFFFF)
_P61 = np.uint64((1 << 61) - 1)


@njit(cache=True, nogil=True)
def _fold_affine32(hbuf, cnt, a, b, sig):
    """sig[k] = min(sig[k], min_j (a[k] * fmix32(hbuf[j]) + b[k]) mod 2**32)."""
    for j in range(cnt):
        hbuf[j] = fmix32(np.uint64(hbuf[j]))
    for k in range(a.shape[0]):
        ak = a[k]
        bk = b[k]
        m = sig[k]
        for j in range(cnt):
            # all uint32 (truncated): LLVM then vectorises 8 lanes of mul-add-min
            m = min(m, np.uint32(ak * hbuf[j] + bk))
        sig[k] = m


@njit(cache=True, nogil=True)
def _fold_legacy(hbuf, cnt, a, b, sig):
    """sig[k] = min(sig[k], min_j ((a[k] * h + b[k]) mod 2**64) % (2**61 - 1) & 0xFFFFFFFF)."""
    for k in range(a.shape[0]):
        ak = a[k]
        bk = b[k]
        m = np.uint64(sig[k])
        for j in range(cnt):
            v = ak * np.uint64(hbuf[j]) + bk  # wraps mod 2**64, as datasketch's uint64 numpy arithmetic
            # x mod (2**61 - 1) without a division: x = hi * 2**61 + lo == hi + lo (mod p)
            v = (v & _P61) + (v >> np.uint64(61))
            if v >= _P61:
                v -= _P61
            m = min(m, v & _U32)
        sig[k] = m


@njit(cache=True, nogil=True)
def _fold(hbuf, cnt, affine, a, b, sig):
    """Fold the ``cnt`` buffered shingle hashes into ``sig``."""
    if affine:
        _fold_affine32(hbuf, cnt, a, b, sig)
    else:
        _fold_legacy(hbuf, cnt, a, b, sig)


@njit(cache=True, nogil=True)
def _doc_signature(data, start, end, ngram, char_mode, affine, a, b, ring, state, begins, ends,
                   hbuf, sig):
    """Fold every shingle of ``data[start:end]`` into ``sig`` (left as is if empty),
    ``len(hbuf)`` shingle hashes at a time."""
    seed = np.uint64(SHINGLE_HASH_SEED)
    start_walk(state, start)
    while True:
        n = next_spans(data, start, end, ngram, char_mode, ring, state, begins, ends)
        for k in range(n):
            hbuf[k] = murmur3_32_slice(data, begins[k], ends[k], seed)
        if n > 0:
            _fold(hbuf, n, affine, a, b, sig)
        if state[DONE]:
            return


@njit(cache=True, nogil=True)
def _signatures_kernel(data, offsets, valid, ngram, char_mode, affine, a, b, out):
    """out[d] = signature of text d (out pre-filled with EMPTY_HASH)."""
    ring = np.zeros(ngram, np.int64)
    state = np.zeros(WALK_STATE, np.int64)
    hbuf = np.empty(_CHUNK, np.uint32)
    begins = np.empty(_CHUNK, np.int64)
    ends = np.empty(_CHUNK, np.int64)
    for d in range(out.shape[0]):
        if valid[d]:
            _doc_signature(data, np.int64(offsets[d]), np.int64(offsets[d + 1]), ngram,
                           char_mode, affine, a, b, ring, state, begins, ends, hbuf, out[d])


def compute_signatures(texts: pa.Array | pa.ChunkedArray, cfg: MinHashConfig) -> np.ndarray:
    """MinHash signatures of ``texts``: a ``(len(texts), cfg.num_perm)`` uint32 array.

    ``texts`` is an Arrow ``string``, ``large_string`` or ``string_view`` array (sliced
    or chunked arrays are fine), already normalised as the module docstring says.
    A text with fewer than ``cfg.ngram`` tokens is hashed as one shingle (the whole
    text); a null or empty text gets all ``0xFFFFFFFF``.
    """
    a, b = permutations(cfg.num_perm, cfg.seed, cfg.scheme)
    out = np.full((len(texts), cfg.num_perm), EMPTY_HASH, dtype=np.uint32)
    chunks = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
    row = 0
    for chunk in chunks:
        if not isinstance(chunk, pa.Array):
            raise InputError(f"MinHash signatures need an Arrow array, got {type(chunk).__name__}")
        data, offsets, valid = utf8_buffers(chunk)
        _signatures_kernel(data, offsets, valid, np.int64(cfg.ngram), cfg.tokenizer == "char",
                           cfg.scheme == "affine32", a, b, out[row:row + len(chunk)])
        row += len(chunk)
    return out
