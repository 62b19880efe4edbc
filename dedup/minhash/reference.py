"""Pure-Python shingling: the specification the numba kernel is tested against."""
from __future__ import annotations

from thresher.dedup.minhash.config import MinHashConfig


def reference_shingles(text: str | None, cfg: MinHashConfig) -> set[bytes]:
    """The set of UTF-8 shingles of one normalised ``text``.

    ``word``: ``ngram`` consecutive words of ``text.split(" ")`` joined by one space;
    ``char``: ``ngram`` consecutive code points. Fewer than ``ngram`` tokens: the
    whole text is the one shingle. ``None`` or ``""``: no shingle.
    """
    if not text:
        return set()
    n = cfg.ngram
    if cfg.tokenizer == "char":
        if len(text) < n:
            return {text.encode("utf-8")}
        return {text[i:i + n].encode("utf-8") for i in range(len(text) - n + 1)}
    words = text.split(" ")
    if len(words) < n:
        return {text.encode("utf-8")}
    return {" ".join(words[i:i + n]).encode("utf-8") for i in range(len(words) - n + 1)}


def shingle_keys(text: str | None, cfg: MinHashConfig) -> set:
    """One key per shingle of ``text``, equal exactly when ``reference_shingles``'
    shingles are equal: word n-grams as tuples of words (the words hold no space, so
    tuples are equal iff their joins are), character n-grams as ``str`` (equal iff
    their UTF-8 is). Three times cheaper than building the bytes; what verify uses."""
    if not text:
        return set()
    n = cfg.ngram
    if cfg.tokenizer == "char":
        if len(text) < n:
            return {text}
        return {text[i:i + n] for i in range(len(text) - n + 1)}
    words = text.split(" ")
    if len(words) < n:
        return {(text,)}  # never equal to an n-tuple (n > 1; with n = 1 no text is short)
    return set(zip(*[words[i:] for i in range(n)]))


def jaccard(a: str | None, b: str | None, cfg: MinHashConfig) -> float:
    """Exact Jaccard similarity of two normalised texts' shingle sets (1.0 when both
    have none)."""
    sa, sb = shingle_keys(a, cfg), shingle_keys(b, cfg)
    common = len(sa & sb)
    union = len(sa) + len(sb) - common
    return common / union if union else 1.0
