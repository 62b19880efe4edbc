"""XXH64 (Yann Collet's xxHash, 64-bit), in numba over a byte slice and in plain Python.

The 64-bit shingle hash of exact verification (``shingle_sets.py``): two shingles
get the same value only if equal or if they collide in 64 bits (about 2**-64 per
pair of distinct shingles). Standard XXH64, so it equals Spark's ``xxhash64`` of a
string (seed 42 there) and the ``xxhash`` package; tests check the numba function
against the Python one and against Spark.

Example::

    xxh64(b"abc")                                   # 0x44BC2CF5AD770999
    xxh64_slice(np.frombuffer(b"abc", np.uint8), 0, 3, np.uint64(0))   # the same
"""
from __future__ import annotations

import numpy as np
from numba import njit

_M64 = (1 << 64) - 1
_P1, _P2, _P3 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
_P4, _P5 = 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5


# ---------------------------------------------------------------- plain Python


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


def _round(acc: int, lane: int) -> int:
    return (_rotl((acc + lane * _P2) & _M64, 31) * _P1) & _M64


def xxh64(data: bytes, seed: int = 0) -> int:
    """XXH64 of ``data`` with ``seed``, unsigned."""
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + _P1 + _P2) & _M64, (seed + _P2) & _M64, seed & _M64, (seed - _P1) & _M64]
        while i + 32 <= n:
            for lane in range(4):
                v[lane] = _round(v[lane], int.from_bytes(data[i + 8 * lane:i + 8 * lane + 8], "little"))
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _M64
        for lane in v:
            h = ((h ^ _round(0, lane)) * _P1 + _P4) & _M64
    else:
        h = (seed + _P5) & _M64
    h = (h + n) & _M64
    while i + 8 <= n:
        h = (_rotl(h ^ _round(0, int.from_bytes(data[i:i + 8], "little")), 27) * _P1 + _P4) & _M64
        i += 8
    if i + 4 <= n:
        h = (_rotl(h ^ ((int.from_bytes(data[i:i + 4], "little") * _P1) & _M64), 23) * _P2 + _P3) & _M64
        i += 4
    while i < n:
        h = (_rotl(h ^ ((data[i] * _P5) & _M64), 11) * _P1) & _M64
        i += 1
    h ^= h >> 33
    h = (h * _P2) & _M64
    h ^= h >> 29
    h = (h * _P3) & _M64
    return h ^ (h >> 32)


# ---------------------------------------------------------------- numba
# Every operand is uint64: numba turns uint64 mixed with int64 into float64.

_Q1, _Q2, _Q3, _Q4, _Q5 = (np.uint64(p) for p in (_P1, _P2, _P3, _P4, _P5))


@njit(inline="always", cache=True)
def _rotl_nb(x, r):
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


@njit(inline="always", cache=True)
def _read(data, i, width):
    """``width`` bytes of ``data`` from ``i``, little endian (LLVM fuses the loads)."""
    v = np.uint64(0)
    for j in range(width):
        v |= np.uint64(data[i + j]) << np.uint64(8 * j)
    return v


@njit(inline="always", cache=True)
def _round_nb(acc, lane):
    return _rotl_nb(acc + lane * _Q2, 31) * _Q1


@njit(inline="always", cache=True)
def xxh64_slice(data, start, end, seed):
    """XXH64 of ``data[start:end]`` (a uint8 array) with ``seed`` (uint64), as uint64."""
    n = end - start
    i = start
    zero = np.uint64(0)
    if n >= 32:
        v1 = seed + _Q1 + _Q2
        v2 = seed + _Q2
        v3 = seed
        v4 = seed - _Q1
        while i + 32 <= end:
            v1 = _round_nb(v1, _read(data, i, 8))
            v2 = _round_nb(v2, _read(data, i + 8, 8))
            v3 = _round_nb(v3, _read(data, i + 16, 8))
            v4 = _round_nb(v4, _read(data, i + 24, 8))
            i += 32
        h = _rotl_nb(v1, 1) + _rotl_nb(v2, 7) + _rotl_nb(v3, 12) + _rotl_nb(v4, 18)
        h = (h ^ _round_nb(zero, v1)) * _Q1 + _Q4
        h = (h ^ _round_nb(zero, v2)) * _Q1 + _Q4
        h = (h ^ _round_nb(zero, v3)) * _Q1 + _Q4
        h = (h ^ _round_nb(zero, v4)) * _Q1 + _Q4
    else:
        h = seed + _Q5
    h += np.uint64(n)
    while i + 8 <= end:
        h = _rotl_nb(h ^ _round_nb(zero, _read(data, i, 8)), 27) * _Q1 + _Q4
        i += 8
    if i + 4 <= end:
        h = _rotl_nb(h ^ (_read(data, i, 4) * _Q1), 23) * _Q2 + _Q3
        i += 4
    while i < end:
        h = _rotl_nb(h ^ (np.uint64(data[i]) * _Q5), 11) * _Q1
        i += 1
    h ^= h >> np.uint64(33)
    h *= _Q2
    h ^= h >> np.uint64(29)
    h *= _Q3
    return h ^ (h >> np.uint64(32))


@njit(cache=True)
def xxh64_array(data, seed):
    """XXH64 of a whole uint8 array (numba; for tests and tools)."""
    return xxh64_slice(data, 0, data.shape[0], np.uint64(seed))
