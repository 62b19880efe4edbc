"""band_hashes: the documented xxHash64-style fold, equal bands <=> equal keys."""
from __future__ import annotations

import numpy as np
import pytest

from thresher.dedup.minhash import band_hashes

M64 = 2**64 - 1
P1, P2, P3, P5 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5


def python_band_hash(values: list[int], band: int) -> int:
    """The formula of bands.py's docstring, in Python integers."""
    acc = (P5 + band * P3) & M64
    for v in values:
        acc = (acc + v * P2) & M64
        acc = (((acc << 31) | (acc >> 33)) & M64) * P1 & M64
    acc ^= acc >> 33
    acc = acc * 0xFF51AFD7ED558CCD & M64
    acc ^= acc >> 33
    acc = acc * 0xC4CEB9FE1A85EC53 & M64
    return acc ^ (acc >> 33)


def test_matches_the_documented_formula():
    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 2**32, (20, 128), dtype=np.uint64).astype(np.uint32)
    keys = band_hashes(sigs, 9, 13)
    assert keys.shape == (20, 9) and keys.dtype == np.uint64
    for d in (0, 7, 19):
        for band in range(9):
            expected = python_band_hash([int(v) for v in sigs[d, band * 13:(band + 1) * 13]], band)
            assert int(keys[d, band]) == expected


def test_equal_bands_equal_keys_and_only_them():
    rng = np.random.default_rng(4)
    base = rng.integers(0, 2**32, 64, dtype=np.uint64).astype(np.uint32)
    other = base.copy()
    other[5] ^= 1  # band 0 of 8 rows differs by one bit
    other[63] += 1  # band 7 differs
    keys = band_hashes(np.stack([base, other]), 8, 8)
    assert (keys[0] == keys[1]).tolist() == [False, True, True, True, True, True, True, False]


def test_same_rows_in_different_bands_give_different_keys():
    sig = np.tile(np.arange(4, dtype=np.uint32), 4)[None, :]  # every band is 0 1 2 3
    keys = band_hashes(sig, 4, 4)
    assert len(set(keys[0].tolist())) == 4


def test_keys_are_spread():
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 2**32, (5000, 32), dtype=np.uint64).astype(np.uint32)
    keys = band_hashes(sigs, 4, 8)
    assert len(np.unique(keys)) == keys.size
    top_bits = (keys >> np.uint64(63)).mean()
    assert 0.45 < top_bits < 0.55


def test_uses_only_the_first_bands_times_rows_columns():
    rng = np.random.default_rng(6)
    sigs = rng.integers(0, 2**32, (3, 130), dtype=np.uint64).astype(np.uint32)
    changed = sigs.copy()
    changed[:, 117:] = 0
    assert np.array_equal(band_hashes(sigs, 9, 13), band_hashes(changed, 9, 13))


@pytest.mark.parametrize("bands,rows", [(0, 4), (4, 0), (9, 15)])
def test_bad_bands_rows(bands, rows):
    with pytest.raises(ValueError, match="bands \\* rows <= num_perm"):
        band_hashes(np.zeros((2, 128), np.uint32), bands, rows)


def test_bad_signature_array():
    with pytest.raises(ValueError, match="2-D unsigned"):
        band_hashes(np.zeros(128, np.uint32), 4, 4)
