"""reference_shingles: the specification, on hand-written examples."""
from __future__ import annotations

from dedup.minhash import MinHashConfig, reference_shingles


def test_word_shingles():
    cfg = MinHashConfig(ngram=3)
    assert reference_shingles("a b c d e", cfg) == {b"a b c", b"b c d", b"c d e"}
    assert reference_shingles("a b a b a b", cfg) == {b"a b a", b"b a b"}


def test_char_shingles_are_code_points():
    cfg = MinHashConfig(ngram=2, tokenizer="char")
    assert reference_shingles("é😀中", cfg) == {"é😀".encode(), "😀中".encode()}
    assert reference_shingles("ab c", cfg) == {b"ab", b"b ", b" c"}


def test_short_text_is_one_shingle_and_empty_has_none():
    assert reference_shingles("a b", MinHashConfig(ngram=3)) == {b"a b"}
    assert reference_shingles("ab", MinHashConfig(ngram=3, tokenizer="char")) == {b"ab"}
    assert reference_shingles("", MinHashConfig()) == set()
    assert reference_shingles(None, MinHashConfig()) == set()
