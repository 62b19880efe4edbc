"""Kernel signatures == datasketch.MinHash over the reference shingles, bit for bit."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from datasketch import MinHash

from thresher.dedup.minhash import MinHashConfig, compute_signatures, reference_shingles, shingle_hash32

from .helpers import datasketch_signature, normalise

UNICODE = [normalise(t) for t in [
    "Café naïve résumé über Straße déjà vu à la carte façade coöperate",
    "中文 字符 测试 日本語 テキスト 한국어 텍스트 混合 mixed 文本 with latin",
    "emoji 😀 😃 and 👩‍👩‍👧 family 🇫🇷 flag 🎉 party 🙂 smile end",
    "combining e\u0301 a\u0300 o\u0302 marks n\u0303 and precomposed é à ô ñ",
    "今日は良い天気ですね散歩に行きましょう",      # one word, 19 code points
    "ĀĒĪŌŪ ǅ ǈ ǋ ǲ ꜳ ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ ligatures",
    "a 😀 b 中 c é d 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e 𐍈 f",              # 4-byte code points
]]
SHORT = ["a", "ab", "😀", "中文", "hello world", "one two three four",
         "one two three four five", "one two three four five six", "é", "x y"]


def assert_parity(texts, cfg, sigs=None):
    if sigs is None:
        sigs = compute_signatures(pa.array(texts, type=pa.string()), cfg)
    assert sigs.shape == (len(texts), cfg.num_perm) and sigs.dtype == np.uint32
    for i, text in enumerate(texts):
        expected = datasketch_signature(text, cfg)
        assert np.array_equal(sigs[i], expected), (i, text[:60] if text else text, cfg)


def test_default_config_matches_datasketch_defaults_on_whole_corpus(corpus):
    # MinHashConfig() == MinHash(128, seed=1, hashfunc=shingle_hash32), datasketch's own default scheme
    cfg = MinHashConfig()
    sigs = compute_signatures(pa.array(corpus), cfg)
    for i, text in enumerate(corpus):
        m = MinHash(num_perm=128, seed=1, hashfunc=shingle_hash32)
        m.update_batch(list(reference_shingles(text, cfg)))
        assert np.array_equal(sigs[i], m.hashvalues), i
    assert len(np.unique(sigs[:, 0])) > len(corpus) // 2  # not a constant


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize("tokenizer,ngram,num_perm,seed", [
    ("word", 5, 128, 1), ("word", 3, 64, 42), ("word", 1, 16, 7), ("word", 9, 256, 2**32 - 1),
    ("char", 5, 128, 1), ("char", 3, 32, 123), ("char", 1, 16, 0), ("char", 12, 64, 99),
])
def test_corpus_parity(corpus, scheme, tokenizer, ngram, num_perm, seed):
    cfg = MinHashConfig(tokenizer=tokenizer, ngram=ngram, num_perm=num_perm, seed=seed,
                        scheme=scheme)
    texts = corpus[:: 60 if tokenizer == "word" else 150]
    assert_parity(texts, cfg)


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize("tokenizer,ngram", [("word", 5), ("word", 2), ("char", 5), ("char", 2)])
def test_unicode_and_short_texts(scheme, tokenizer, ngram):
    cfg = MinHashConfig(tokenizer=tokenizer, ngram=ngram, num_perm=64, seed=3, scheme=scheme)
    assert_parity(UNICODE + SHORT, cfg)


def test_short_text_is_one_shingle_of_the_whole_text():
    cfg = MinHashConfig(ngram=5, num_perm=32)
    texts = ["one two three four", "😀 中文 é"]
    sigs = compute_signatures(pa.array(texts), cfg)
    for text, sig in zip(texts, sigs):
        m = MinHash(num_perm=32, seed=1, hashfunc=shingle_hash32)
        m.update(text.encode("utf-8"))
        assert np.array_equal(sig, m.hashvalues)
    # five words: one ordinary shingle, the same bytes, so the same signature
    five = compute_signatures(pa.array(["a b c d e", "a b c d"]), cfg)
    assert not np.array_equal(five[0], five[1])


def test_sliced_large_chunked_and_view_arrays(corpus):
    cfg = MinHashConfig(num_perm=64, ngram=4, seed=11)
    texts = corpus[:40] + UNICODE + SHORT
    full = compute_signatures(pa.array(texts), cfg)
    assert_parity(texts, cfg, full)

    sliced = pa.array(texts).slice(7, 30)
    assert sliced.offset == 7
    assert np.array_equal(compute_signatures(sliced, cfg), full[7:37])

    large = pa.array(texts, type=pa.large_string())
    assert np.array_equal(compute_signatures(large, cfg), full)
    assert np.array_equal(compute_signatures(large.slice(41, 9), cfg), full[41:50])

    arr = pa.array(texts)
    chunked = pa.chunked_array([arr.slice(0, 10), arr.slice(10, 25), arr.slice(35)])
    assert np.array_equal(compute_signatures(chunked, cfg), full)

    view = pa.array(texts, type=pa.string_view())
    assert np.array_equal(compute_signatures(view, cfg), full)


def test_char_tokenizer_parity_on_sliced_large_unicode():
    cfg = MinHashConfig(tokenizer="char", ngram=3, num_perm=32, scheme="legacy")
    texts = UNICODE + SHORT
    arr = pa.array(["pad"] * 3 + texts, type=pa.large_string()).slice(3)
    assert_parity(texts, cfg, compute_signatures(arr, cfg))


def test_similar_texts_have_close_signatures(corpus):
    # sanity of the estimator: one changed word in ~200 keeps most rows equal
    cfg = MinHashConfig(num_perm=256)
    text = next(t for t in corpus if 150 <= t.count(" ") <= 400)
    words = text.split(" ")
    words[len(words) // 2] = "zzzchangedzzz"
    sigs = compute_signatures(pa.array([text, " ".join(words), corpus[-1]]), cfg)
    sim = (sigs[0] == sigs[1]).mean()
    a, b = reference_shingles(text, cfg), reference_shingles(" ".join(words), cfg)
    jaccard = len(a & b) / len(a | b)
    assert abs(sim - jaccard) < 0.1 and sim > 0.8
    assert (sigs[0] == sigs[2]).mean() < 0.1
