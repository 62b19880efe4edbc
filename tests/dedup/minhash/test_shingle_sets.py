"""Compiled verification kernels: XXH64, per-document shingle hash sets, merge Jaccard,
against the plain-Python specification (``reference.py``)."""
from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest
from pyspark.sql import functions as F

from thresher.dedup.minhash import MinHashConfig, reference_shingles
from thresher.dedup.minhash.hash64 import xxh64, xxh64_array
from thresher.dedup.minhash.reference import jaccard
from thresher.dedup.minhash.shingle_sets import reference_hash_set, shingle_hash_sets, sorted_jaccard

CONFIGS = [MinHashConfig(ngram=5), MinHashConfig(ngram=1), MinHashConfig(ngram=3, tokenizer="char"),
           MinHashConfig(ngram=7, tokenizer="char")]
ODD = [None, "", "a", "two words", "three words here", "é", "日本語", "ça va très bien merci"]


def test_xxh64_matches_known_vectors_python_and_spark(spark):
    assert xxh64(b"") == 0xEF46DB3751D8E999 and xxh64(b"abc") == 0x44BC2CF5AD770999
    rng = random.Random(3)
    texts = ["", "abc"] + ["".join(rng.choice("ab é日\n") for _ in range(n))
                           for n in [*range(1, 70), 300, 4099]]
    for t in texts:
        b = t.encode()
        for seed in (0, 42):
            assert int(xxh64_array(np.frombuffer(b, np.uint8), seed)) == xxh64(b, seed), (t, seed)
    # Spark's xxhash64 of a string is XXH64 of its UTF-8 bytes, seed 42, as a signed long
    rows = spark.createDataFrame([(t,) for t in texts], "t string").select(
        "t", F.xxhash64("t").alias("h")).collect()
    assert {r["t"]: r["h"] % 2**64 for r in rows} == {t: xxh64(t.encode(), 42) for t in texts}


def test_hash_sets_are_the_reference_shingles(corpus):
    texts = ODD + corpus[:300]
    for cfg in CONFIGS:
        sets = shingle_hash_sets(pa.array(texts, pa.string()), cfg)
        assert sets.type == pa.list_(pa.int64()) and len(sets) == len(texts)
        for text, got in zip(texts, sets.to_pylist()):
            assert [v % 2**64 for v in got] == reference_hash_set(text, cfg), (cfg, text)
            assert len(got) == len(reference_shingles(text, cfg))  # no 64-bit collision here
    # sliced, chunked and large_string inputs give the same arrays
    cfg = CONFIGS[0]
    whole = shingle_hash_sets(pa.array(texts), cfg).to_pylist()
    chunked = pa.chunked_array([pa.array(texts[:5]), pa.array(texts[5:])])
    assert shingle_hash_sets(chunked, cfg).to_pylist() == whole
    assert shingle_hash_sets(pa.array(texts, pa.large_string()), cfg).to_pylist() == whole
    assert shingle_hash_sets(pa.array(texts).slice(7, 20), cfg).to_pylist() == whole[7:27]


def _edit(text: str, rng: random.Random, rate: float) -> str:
    """A near copy: each word dropped or replaced with probability ``rate``."""
    words = []
    for w in text.split(" "):
        x = rng.random()
        if x < rate / 2:
            continue
        words.append("zzz" if x < rate else w)
    return " ".join(words)


def test_jaccard_equals_the_reference_on_varied_texts(corpus):
    rng = random.Random(7)
    big = " ".join(corpus)
    while len(big) < 1_000_000:
        big += " " + " ".join(rng.sample(corpus, 50))
    pairs = [(a, b) for a in ODD for b in ODD]
    pairs += [(corpus[i], corpus[i + 1]) for i in range(0, 200, 2)]  # unrelated
    pairs += [(t, _edit(t, rng, rate)) for t in corpus[:200] for rate in (0.02, 0.1, 0.4)]
    pairs += [(big, _edit(big, rng, 0.05)), (big, big), (big, corpus[0]), (big, "")]
    for cfg in CONFIGS:
        left, right = zip(*pairs)
        a = shingle_hash_sets(pa.array(left, pa.string()), cfg)
        b = shingle_hash_sets(pa.array(right, pa.string()), cfg)
        got = sorted_jaccard(a, b)
        expected = [jaccard(x, y, cfg) for x, y in pairs]
        assert got.tolist() == expected, cfg  # exact: the same common / union in float64
        spread = np.histogram(got, bins=[0, 0.3, 0.7, 0.99, 1.01])[0]
        assert (spread > 0).all(), spread  # far, middling, near and equal pairs all tested
    # a ~1 MB document against its near copy, through sliced arrays (offsets into shared values)
    cfg, copy = CONFIGS[0], _edit(big, rng, 0.05)
    sets = shingle_hash_sets(pa.array([corpus[0], big, copy]), cfg)
    near = sorted_jaccard(sets.slice(1, 1), sets.slice(2, 1))[0]
    assert 0.3 < near < 0.95 and near == jaccard(big, copy, cfg)
    assert sorted_jaccard(sets.slice(1, 2), sets.slice(1, 2)).tolist() == [1.0, 1.0]


def test_bad_inputs_raise_typed_errors():
    from thresher.operators.errors import InputError

    sets = shingle_hash_sets(pa.array(["a b c"]), CONFIGS[0])
    with pytest.raises(InputError, match="one length"):
        sorted_jaccard(sets, shingle_hash_sets(pa.array(["a", "b"]), CONFIGS[0]))
    with pytest.raises(InputError, match="list<int64>"):
        sorted_jaccard(pa.array([1]), pa.array([2]))
    with pytest.raises(InputError, match="string column"):
        shingle_hash_sets(pa.array([1]), CONFIGS[0])
