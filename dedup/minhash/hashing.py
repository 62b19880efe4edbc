"""The 32-bit shingle hash (MurmurHash3 x86_32), in numba and in plain Python.

Shingle hash: **MurmurHash3 x86_32** (Austin Appleby, public domain) with seed
``SHINGLE_HASH_SEED = 0`` over the shingle's UTF-8 bytes, as an unsigned 32-bit
value. It equals ``mmh3.hash(b, 0, signed=False)``. It exists twice: a numba
function that reads a byte slice of an Arrow data buffer (used by the kernel) and
a plain Python ``shingle_hash32(b: bytes) -> int`` (the same function, for
datasketch's ``hashfunc`` and for tests). Tests keep the two equal.

``fmix32`` is MurmurHash3's 32-bit finalizer (a bijection); datasketch's ``affine32``
scheme pre-mixes each input hash with it.
"""
from __future__ import annotations

import numpy as np
from numba import njit

SHINGLE_HASH_SEED = 0

_C1 = 0xCC9E2D51
_C2 = 0x1B873593
_M32 = 0xFFFFFFFF


# ---------------------------------------------------------------- plain Python


def _rotl32(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M32


def _fmix32_py(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    return h ^ (h >> 16)


def murmur3_32(data: bytes, seed: int = SHINGLE_HASH_SEED) -> int:
    """MurmurHash3 x86_32 of ``data`` with ``seed``, unsigned."""
    n = len(data)
    h = seed & _M32
    nblocks = n // 4
    for i in range(nblocks):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (_rotl32((k * _C1) & _M32, 15) * _C2) & _M32
        h = (_rotl32(h ^ k, 13) * 5 + 0xE6546B64) & _M32
    tail = data[4 * nblocks:]
    if tail:
        k = int.from_bytes(tail, "little")
        h ^= (_rotl32((k * _C1) & _M32, 15) * _C2) & _M32
    return _fmix32_py(h ^ n)


def shingle_hash32(b: bytes) -> int:
    """The shingle hash: MurmurHash3 x86_32, seed 0, unsigned (same as the kernel's)."""
    return murmur3_32(b, SHINGLE_HASH_SEED)


# ---------------------------------------------------------------- numba
# Scalars are carried as uint64 and masked: numba widens integer arithmetic to
# 64 bits, so the mask is what makes it 32-bit arithmetic.

_U32 = np.uint64(_M32)


@njit(inline="always", cache=True)
def _rotl32_nb(x, r):
    return ((x << np.uint64(r)) | (x >> np.uint64(32 - r))) & _U32


@njit(inline="always", cache=True)
def fmix32(h):
    """MurmurHash3's 32-bit finalizer on a uint64 holding a 32-bit value."""
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & _U32
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & _U32
    return h ^ (h >> np.uint64(16))


@njit(inline="always", cache=True)
def murmur3_32_slice(data, start, end, seed):
    """MurmurHash3 x86_32 of ``data[start:end]`` (a uint8 array), as uint64."""
    n = end - start
    h = np.uint64(seed) & _U32
    c1 = np.uint64(_C1)
    c2 = np.uint64(_C2)
    stop = start + (n // 4) * 4
    i = start
    while i < stop:
        k = (np.uint64(data[i]) | (np.uint64(data[i + 1]) << np.uint64(8))
             | (np.uint64(data[i + 2]) << np.uint64(16)) | (np.uint64(data[i + 3]) << np.uint64(24)))
        k = (_rotl32_nb((k * c1) & _U32, 15) * c2) & _U32
        h = (_rotl32_nb(h ^ k, 13) * np.uint64(5) + np.uint64(0xE6546B64)) & _U32
        i += 4
    rem = end - stop
    if rem > 0:
        k = np.uint64(0)
        if rem >= 3:
            k ^= np.uint64(data[stop + 2]) << np.uint64(16)
        if rem >= 2:
            k ^= np.uint64(data[stop + 1]) << np.uint64(8)
        k ^= np.uint64(data[stop])
        h ^= (_rotl32_nb((k * c1) & _U32, 15) * c2) & _U32
    return fmix32(h ^ np.uint64(n))


@njit(cache=True)
def murmur3_32_array(data, seed):
    """MurmurHash3 x86_32 of a whole uint8 array (numba; for tests and tools)."""
    return murmur3_32_slice(data, 0, data.shape[0], seed)
