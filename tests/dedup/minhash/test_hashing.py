"""The shingle hash: numba and Python MurmurHash3 x86_32 agree, and match published values."""
from __future__ import annotations

import numba
import numpy as np
import pytest

from thresher.dedup.minhash.hashing import murmur3_32, murmur3_32_array, murmur3_32_slice, shingle_hash32


def numba_hash(b: bytes, seed: int = 0) -> int:
    return int(murmur3_32_array(np.frombuffer(b, dtype=np.uint8), seed))


# Published MurmurHash3_x86_32 values (SMHasher / mmh3.hash(..., signed=False)).
KNOWN = [
    (b"", 0, 0x00000000),
    (b"", 1, 0x514E28B7),
    (b"", 0xFFFFFFFF, 0x81F16F39),
    (b"hello", 0, 0x248BFA47),
    (b"abc", 0, 0xB3DD93FA),
    (b"The quick brown fox jumps over the lazy dog", 0, 0x2E4FF723),
]


@pytest.mark.parametrize("data,seed,expected", KNOWN)
def test_known_values(data, seed, expected):
    assert murmur3_32(data, seed) == expected
    assert numba_hash(data, seed) == expected


def test_numba_equals_python_on_random_bytes():
    rng = np.random.default_rng(20261122)
    lengths = list(range(0, 70)) + list(rng.integers(70, 2000, 60))
    for n in lengths:
        b = rng.bytes(int(n))
        assert numba_hash(b) == shingle_hash32(b), n


def test_shingle_hash_is_unsigned_32_bit_and_seed_zero():
    rng = np.random.default_rng(7)
    values = [shingle_hash32(rng.bytes(12)) for _ in range(2000)]
    assert all(0 <= v < 2**32 for v in values)
    assert max(values) >= 2**31  # unsigned: the top bit is used
    assert shingle_hash32(b"hello") == murmur3_32(b"hello", 0)


def test_hash_of_a_slice_reads_only_the_slice():
    @numba.njit
    def at(data, s, e):
        return murmur3_32_slice(data, s, e, np.uint64(0))

    buf = np.frombuffer(b"xxthe quick brownyy", dtype=np.uint8)
    assert at(buf, 2, 17) == shingle_hash32(b"the quick brown")
