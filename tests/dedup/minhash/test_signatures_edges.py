"""Nulls, empties, a 5 MB document, bad input, and the output contract."""
from __future__ import annotations

import time

import numpy as np
import pyarrow as pa
import pytest
from datasketch import MinHash

from thresher.dedup.minhash import EMPTY_HASH, MinHashConfig, compute_signatures, shingle_hash32
from thresher.operators.errors import InputError

from .helpers import datasketch_signature

MAX = np.uint32(0xFFFFFFFF)


@pytest.mark.parametrize("tokenizer", ["word", "char"])
@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
def test_null_and_empty_give_all_max(tokenizer, scheme):
    cfg = MinHashConfig(num_perm=32, tokenizer=tokenizer, scheme=scheme)
    sigs = compute_signatures(pa.array(["", None, "a b c d e f", None, "x"]), cfg)
    for row in (0, 1, 3):
        assert (sigs[row] == MAX).all()
    empty = MinHash(num_perm=32, seed=1, hashfunc=shingle_hash32, scheme=scheme).hashvalues
    assert np.array_equal(sigs[0], empty)
    assert np.array_equal(sigs[2], datasketch_signature("a b c d e f", cfg))
    assert np.array_equal(sigs[4], datasketch_signature("x", cfg))
    assert (sigs[2] != MAX).all() and (sigs[4] != MAX).all()
    assert EMPTY_HASH == MAX


def test_degenerate_arrays():
    cfg = MinHashConfig(num_perm=16)
    assert compute_signatures(pa.array([], pa.string()), cfg).shape == (0, 16)
    assert compute_signatures(pa.chunked_array([], pa.string()), cfg).shape == (0, 16)
    only_nulls = compute_signatures(pa.array([None, None], pa.large_string()), cfg)
    assert only_nulls.shape == (2, 16) and (only_nulls == MAX).all()
    only_empty = compute_signatures(pa.array(["", "", ""]), cfg)
    assert (only_empty == MAX).all()


def test_non_string_input_is_a_typed_error():
    cfg = MinHashConfig()
    with pytest.raises(InputError, match="string column.*int64"):
        compute_signatures(pa.array([1, 2]), cfg)
    with pytest.raises(InputError, match="Arrow array.*list"):
        compute_signatures(["a b c"], cfg)


def _five_mb_text(corpus: list[str]) -> str:
    base = " ".join(corpus[:25])  # repeated, so the set of shingles stays small
    reps = 5_000_000 // len(base) + 1
    words = " ".join([base] * reps).split(" ")
    # 2,000 unique words at the very end: their shingles win many minima,
    # so a kernel that stopped early could not match
    words[-2000:] = [f"u{i}" for i in range(2000)]
    return " ".join(words)


@pytest.mark.parametrize("tokenizer,ngram", [("word", 5), ("char", 7)])
def test_five_megabyte_document(corpus, tokenizer, ngram):
    text = _five_mb_text(corpus)
    assert len(text.encode()) >= 5_000_000
    cfg = MinHashConfig(num_perm=64, tokenizer=tokenizer, ngram=ngram)
    t0 = time.perf_counter()
    sigs = compute_signatures(pa.array(["a b", text, "c d"]), cfg)
    seconds = time.perf_counter() - t0
    # linear: ~0.1 s here; a quadratic pass over 5 MB would take hours
    assert seconds < 10, seconds
    assert np.array_equal(sigs[1], datasketch_signature(text, cfg))
    without_tail = datasketch_signature(text[:text.index(" u0 ")], cfg)
    assert not np.array_equal(sigs[1], without_tail)
    assert np.array_equal(sigs[0], datasketch_signature("a b", cfg))


def test_output_is_deterministic_and_seed_dependent(corpus):
    texts = pa.array(corpus[:50])
    a1 = compute_signatures(texts, MinHashConfig(seed=5, num_perm=32))
    a2 = compute_signatures(texts, MinHashConfig(seed=5, num_perm=32))
    b = compute_signatures(texts, MinHashConfig(seed=6, num_perm=32))
    assert np.array_equal(a1, a2)
    assert (a1 != b).mean() > 0.9
