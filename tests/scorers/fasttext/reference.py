"""A plain-Python transcription of fastText's supervised line reading, for the tests.

Written from fastText 0.9.2's C++ (``Dictionary::readWord``, ``getLine``,
``addSubwords``, ``computeSubwords``, ``addWordNgrams``, ``pushHash``, ``hash``), one
byte at a time, independently of the numba kernel: the tests require the two to give
the same input rows, in the same order, for every text and model.
"""
from __future__ import annotations

from thresher.scorers.fasttext.modelfile import ModelFile

EOS = b"</s>"
SEPARATORS = frozenset(b" \n\r\t\v\f\0")
M32, M64 = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF


def fnv(word: bytes) -> int:
    """``Dictionary::hash``: ``h = (h ^ uint32_t(int8_t(c))) * 16777619``."""
    h = 2166136261
    for c in word:
        h = ((h ^ (c - 256 if c >= 128 else c) & M32) * 16777619) & M32
    return h


def as_int32(h: int) -> int:
    return h - (1 << 32) if h >= 1 << 31 else h


def read_words(data: bytes):
    """``Dictionary::readWord`` over a whole stream: ``\\n`` with no word pending is ``</s>``."""
    word, i = b"", 0
    while i < len(data):
        c = data[i]
        i += 1
        if c in SEPARATORS:
            if not word:
                if c == 10:
                    yield EOS
                continue
            if c == 10:
                i -= 1  # sungetc: the newline becomes </s> next
            yield word
            word = b""
            continue
        word += bytes([c])
    if word:
        yield word


def reference_ids(mf: ModelFile, text: str) -> list[int]:
    """Input rows fastText's Python ``predict(text.replace("\\n", " "))`` averages."""
    index = {w: i for i, w in enumerate(mf.words)}
    pruned = dict(zip(mf.prune_keys.tolist(), mf.prune_rows.tolist()))
    ids: list[int] = []

    def push(bucket_id: int) -> None:
        if mf.prune_size == 0:
            return
        if mf.prune_size > 0:
            if bucket_id not in pruned:
                return
            bucket_id = pruned[bucket_id]
        ids.append(mf.nwords + bucket_id)

    def subwords(token: bytes) -> None:
        w = b"<" + token + b">"
        for i in range(len(w)):
            if w[i] & 0xC0 == 0x80:
                continue
            j, n = i, 1
            while j < len(w) and n <= mf.maxn:
                j += 1
                while j < len(w) and w[j] & 0xC0 == 0x80:
                    j += 1
                if n >= mf.minn and not (n == 1 and (i == 0 or j == len(w))):
                    push(fnv(w[i:j]) % mf.bucket)
                n += 1

    hashes: list[int] = []
    for token in read_words(text.replace("\n", " ").encode("utf-8") + b"\n"):
        wid = index.get(token, -1)
        is_label = wid >= mf.nwords if wid >= 0 else token.startswith(b"__label__")
        if not is_label:  # addSubwords, literally
            if wid < 0:
                if token != EOS:
                    subwords(token)
            elif mf.maxn <= 0:
                ids.append(wid)
            else:  # getSubwords(wid): the word, then its n-grams (none for </s>)
                ids.append(wid)
                if token != EOS:
                    subwords(token)
            hashes.append(as_int32(fnv(token)))
        if token == EOS:
            break
    for i in range(len(hashes)):
        h = hashes[i] & M64  # int32 -> uint64: sign extension
        for j in range(i + 1, min(len(hashes), i + mf.word_ngrams)):
            h = (h * 116049371 + (hashes[j] & M64)) & M64
            push(h % mf.bucket)
    return ids
