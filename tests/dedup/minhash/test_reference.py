"""reference_shingles: the specification, on hand-written examples."""
from __future__ import annotations

from thresher.dedup.minhash import MinHashConfig, reference_shingles


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


def test_verify_jaccard_equals_the_specification():
    """``jaccard`` (tuple and str keys) gives exactly the Jaccard of the byte shingles,
    on random texts over a tiny vocabulary (many shared and repeated shingles), short
    texts against long ones, and empty texts."""
    import random

    from thresher.dedup.minhash.reference import jaccard

    def spec(a, b, cfg):
        sa, sb = reference_shingles(a, cfg), reference_shingles(b, cfg)
        return len(sa & sb) / len(sa | sb) if sa | sb else 1.0

    rng = random.Random(3)
    words = ["a", "b", "ab", "é", "😀", "a b"[0:1], "ba"]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 12))) for _ in range(300)]
    texts += ["", None, "a", "a b", "ab"]
    checked = 0
    for tokenizer, ngram in (("word", 1), ("word", 3), ("word", 5), ("char", 1), ("char", 4)):
        cfg = MinHashConfig(ngram=ngram, tokenizer=tokenizer)
        for _ in range(600):
            a, b = rng.choice(texts), rng.choice(texts)
            assert jaccard(a, b, cfg) == spec(a, b, cfg), (a, b, tokenizer, ngram)
            checked += 0 < spec(a, b, cfg) < 1
    assert checked > 500  # most pairs are partial overlaps, not the trivial 0 or 1
