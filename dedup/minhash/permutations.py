"""The permutation parameters ``(a, b)``, drawn exactly as ``datasketch.MinHash`` draws them.

Both schemes draw from ``np.random.RandomState(seed)``:

* ``affine32`` (datasketch >= 2.0, its default)::

      a = randint(0, 2**31, num_perm, dtype=uint32) * 2 + 1     # odd: a bijection
      b = randint(0, 2**32, num_perm, dtype=uint32)
      phv = a * fmix32(h) + b            (uint32, wraps mod 2**32)

* ``legacy`` (datasketch < 2.0), one (a, b) pair per draw::

      a = randint(1, 2**61 - 1, dtype=uint64); b = randint(0, 2**61 - 1, dtype=uint64)
      phv = ((a * h + b) mod 2**64) % (2**61 - 1) & 0xFFFFFFFF

  ``a * h`` overflows uint64 and wraps in datasketch; the kernel wraps the same way.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

MERSENNE_61 = (1 << 61) - 1


@lru_cache(maxsize=32)
def _permutations(num_perm: int, seed: int, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.RandomState(seed)
    if scheme == "legacy":
        pairs = np.array([(gen.randint(1, MERSENNE_61, dtype=np.uint64),
                           gen.randint(0, MERSENNE_61, dtype=np.uint64))
                          for _ in range(num_perm)], dtype=np.uint64)
        a, b = pairs[:, 0].copy(), pairs[:, 1].copy()
    elif scheme == "affine32":
        a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    else:
        raise ValueError(f"scheme must be 'affine32' or 'legacy', got {scheme!r}")
    a.flags.writeable = False
    b.flags.writeable = False
    return a, b


def permutations(num_perm: int, seed: int, scheme: str = "affine32") -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)``: two read-only arrays of ``num_perm`` values (cached), uint32 for
    ``affine32`` and uint64 for ``legacy``, as datasketch stores them."""
    return _permutations(int(num_perm), int(seed), scheme)
