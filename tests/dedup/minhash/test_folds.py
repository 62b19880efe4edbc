"""The permute-and-min folds against Python integers, including the rare wrap cases."""
from __future__ import annotations

import numpy as np

from thresher.dedup.minhash.signatures import _fold_affine32, _fold_legacy

P61 = 2**61 - 1
M32, M64 = 2**32 - 1, 2**64 - 1


def fmix32(h: int) -> int:
    h ^= h >> 16
    h = h * 0x85EBCA6B & M32
    h ^= h >> 13
    h = h * 0xC2B2AE35 & M32
    return h ^ (h >> 16)


def legacy(a: int, b: int, h: int) -> int:
    return ((a * h + b) & M64) % P61 & M32  # datasketch's uint64 arithmetic wraps first


def run_legacy(a, b, hs):
    sig = np.full(len(a), M32, np.uint32)
    hbuf = np.array(hs, np.uint32)
    _fold_legacy(hbuf, len(hs), np.array(a, np.uint64), np.array(b, np.uint64), sig)
    return sig.tolist()


def test_legacy_edges_of_the_mersenne_reduction():
    # a * h + b chosen so that the 64-bit value sits next to multiples of 2**61 and p
    targets = [P61 - 1, P61, P61 + 1, 2**61, 2**62 + 2**61 - 2, 2**62 + 2**61 - 1,
               M64, M64 - 1, 7 * 2**61 + P61, 3 * P61, 3 * P61 - 1, 0, 1]
    for v in targets:
        for h in (1, 3):
            b = (v - h) & M64  # a = 1: a * h + b == v (mod 2**64)
            assert run_legacy([1], [b], [h]) == [legacy(1, b, h)], (v, h)


def test_legacy_random_with_wraparound():
    rng = np.random.default_rng(8)
    a = [int(x) for x in rng.integers(1, P61, 64, dtype=np.uint64)]
    b = [int(x) for x in rng.integers(0, P61, 64, dtype=np.uint64)]
    hs = [int(x) for x in rng.integers(0, 2**32, 300, dtype=np.uint64)]
    assert any(ai * h + bi > M64 for ai, bi in zip(a, b) for h in hs)  # the wrap is exercised
    assert run_legacy(a, b, hs) == [min(legacy(ai, bi, h) for h in hs) for ai, bi in zip(a, b)]


def test_affine32_random():
    rng = np.random.default_rng(9)
    a = [int(x) * 2 + 1 for x in rng.integers(0, 2**31, 64)]
    b = [int(x) for x in rng.integers(0, 2**32, 64)]
    hs = [int(x) for x in rng.integers(0, 2**32, 300)] + [0, M32]
    sig = np.full(64, M32, np.uint32)
    _fold_affine32(np.array(hs, np.uint32), len(hs), np.array(a, np.uint32), np.array(b, np.uint32), sig)
    expected = [min((ai * fmix32(h) + bi) & M32 for h in hs) for ai, bi in zip(a, b)]
    assert sig.tolist() == expected


def test_fold_keeps_smaller_previous_values():
    sig = np.array([5, M32], np.uint32)
    _fold_affine32(np.array([123], np.uint32), 1, np.array([1, 1], np.uint32),
                   np.array([M32, M32], np.uint32), sig)
    assert sig[0] == 5 and sig[1] == (fmix32(123) + M32) & M32
