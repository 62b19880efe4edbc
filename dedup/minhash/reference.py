"""Pure-Python shingling: the specification the numba kernel is tested against."""
from __future__ import annotations

from dedup.minhash.config import MinHashConfig


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
