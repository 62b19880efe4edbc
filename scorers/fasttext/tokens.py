"""fastText's tokenisation and hashing of whole Arrow string arrays (numba, zero copy).

For each text this computes the rows of the input matrix that fastText's supervised
``Dictionary::getLine`` + ``addWordNgrams`` would average, in the same order:

* **tokens**: maximal runs of bytes other than ASCII ``' ' \\n \\r \\t \\v \\f \\0``
  (``Dictionary::readWord``), then the end-of-line token ``</s>``. A literal ``</s>``
  token ends the line there, as it does in fastText. A newline inside a text is one
  more separator: a text is scored as ONE line, i.e. as fastText's
  ``predict(text.replace("\\n", " "))`` (its Python ``predict`` refuses newlines).
* **word hash**: FNV-1a 32-bit over the UTF-8 bytes, each byte sign-extended first
  (``uint32_t(int8_t(c))``, fastText's ``Dictionary::hash``).
* a dictionary word adds its row; a label token (a dictionary label, or any unknown
  token starting with ``__label__``) is skipped entirely (no row, no word n-gram);
* **char n-grams** of ``<token>`` (except of ``</s>``): ``minn..maxn`` code points
  (continuation bytes ``10xxxxxx`` never start one), a lone ``<`` or ``>`` excluded,
  row ``nwords + hash % bucket``;
* **word n-grams** (``wordNgrams > 1``): over the word hashes as int32, sign-extended
  to uint64, ``h = h * 116049371 + hash[j]``, row ``nwords + h % bucket``;
* **pruned ``.ftz``**: a bucket id maps through the kept-bucket index, and is dropped
  when the cutoff did not keep it (``Dictionary::pushHash``).

Output is CSR: ``ids`` (int32 rows of the input matrix) and ``offsets[len + 1]``
(int64). A null text is tokenised as the empty string. No Python object is made
per text or per token.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

from operators.arrow import string_chunks, utf8_buffers

from .modelfile import ModelFile

EOS = b"</s>"
LABEL_PREFIX = b"__label__"  # not saved in model files: fastText's default applies
_U32 = np.uint64(0xFFFFFFFF)
_FNV_BASIS = np.uint64(2166136261)
_FNV_PRIME = np.uint64(16777619)
_NGRAM_MUL = np.uint64(116049371)
_SIGN_BITS = np.uint64(0xFFFFFF00)


@njit(inline="always", cache=True)
def _fnv_step(h, byte):
    """One step of fastText's FNV-1a: the byte enters as a sign-extended char."""
    x = np.uint64(byte)
    if byte >= 128:
        x |= _SIGN_BITS
    return ((h ^ x) * _FNV_PRIME) & _U32


@njit(cache=True)
def fnv_hash(src, start, end):
    """``Dictionary::hash`` of ``src[start:end]`` (uint8), as a uint64 holding 32 bits."""
    h = _FNV_BASIS
    for i in range(start, end):
        h = _fnv_step(h, src[i])
    return h


@njit(cache=True)
def build_table(wdata, woff):
    """Open-addressing table (power-of-two size, linear probing) of the dictionary."""
    n = woff.shape[0] - 1
    size = 16
    while size < 2 * n:
        size *= 2
    table = np.full(size, -1, np.int32)
    mask = np.uint64(size - 1)
    for i in range(n):
        slot = fnv_hash(wdata, woff[i], woff[i + 1]) & mask
        while table[slot] != -1:
            slot = (slot + np.uint64(1)) & mask
        table[slot] = i
    return table


@njit(inline="always", cache=True)
def _same(src, start, end, other, ostart, oend):
    if end - start != oend - ostart:
        return False
    for k in range(end - start):
        if src[start + k] != other[ostart + k]:
            return False
    return True


@njit(cache=True)
def _lookup(table, wdata, woff, src, start, end, h):
    mask = np.uint64(table.shape[0] - 1)
    slot = h & mask
    while table[slot] != -1:
        wid = table[slot]
        if _same(src, start, end, wdata, woff[wid], woff[wid + 1]):
            return wid
        slot = (slot + np.uint64(1)) & mask
    return -1


@njit(inline="always", cache=True)
def _reserve(ids, n, extra):
    """``ids`` with room for ``extra`` more values after ``ids[:n]`` (grown by doubling).

    Room is made once per token for its worst case, so the pushes themselves are
    plain stores: no array is passed back per value (numba refcounts each return).
    """
    if n + extra > ids.shape[0]:
        grown = np.empty(max(2 * ids.shape[0], n + extra) + 64, ids.dtype)
        grown[:n] = ids[:n]
        return grown
    return ids


@njit(inline="always", cache=True)
def _push_bucket(ids, n, bucket_id, nwords, prune_size, prune_map):
    """``Dictionary::pushHash``: a hash bucket's row, through the prune index if any."""
    if prune_size == 0:
        return n
    if prune_size > 0:
        bucket_id = prune_map[bucket_id]
        if bucket_id < 0:
            return n
    ids[n] = nwords + bucket_id
    return n + 1


@njit(inline="always", cache=True)
def _is_space(c):
    return c == 32 or c == 10 or c == 13 or c == 9 or c == 11 or c == 12 or c == 0


@njit(cache=True)
def _char_ngrams(word, length, ids, n, nwords, minn, maxn, bucket, prune_size, prune_map):
    """``Dictionary::computeSubwords`` of ``word[:length]`` (already ``<token>``) into
    ``ids[n:]``, which has room for ``length * maxn`` values; returns the new ``n``."""
    ubucket = np.uint64(bucket)
    for i in range(length):
        if (word[i] & 0xC0) == 0x80:
            continue
        h = _FNV_BASIS
        j = i
        k = 1
        while j < length and k <= maxn:
            h = _fnv_step(h, word[j])
            j += 1
            while j < length and (word[j] & 0xC0) == 0x80:
                h = _fnv_step(h, word[j])
                j += 1
            if k >= minn and not (k == 1 and (i == 0 or j == length)):
                n = _push_bucket(ids, n, np.int64(h % ubucket), nwords, prune_size, prune_map)
            k += 1
    return n


@njit(cache=True)
def _line_ids(src, start, end, eos, label, table, wdata, woff, nwords, minn, maxn, bucket,
              word_ngrams, prune_size, prune_map, ids, n, hashes, word):
    """Append the rows of one text ``src[start:end]`` to ``ids[:n]``.

    Each token is copied into ``word`` as ``<token>`` (its char n-grams need the
    brackets anyway), so the text and the appended ``</s>`` are handled alike.
    """
    nh = 0
    pos = start
    while True:
        while pos < end and _is_space(src[pos]):
            pos += 1
        a = pos
        while pos < end and not _is_space(src[pos]):
            pos += 1
        at_end = pos == a  # no token left: fastText's predict appended "\n" -> </s>
        length = (eos.shape[0] if at_end else pos - a) + 2
        if word.shape[0] < length:
            word = np.empty(2 * length, np.uint8)
        word[0] = 60  # '<'
        word[1:length - 1] = eos if at_end else src[a:pos]
        word[length - 1] = 62  # '>'
        h = fnv_hash(word, 1, length - 1)
        wid = _lookup(table, wdata, woff, word, 1, length - 1, h)
        is_eos = _same(word, 1, length - 1, eos, 0, eos.shape[0])
        if wid >= 0:
            is_label = wid >= nwords
        else:
            is_label = length - 2 >= label.shape[0] and _same(
                word, 1, 1 + label.shape[0], label, 0, label.shape[0])
        if not is_label:
            ids = _reserve(ids, n, 1 + length * max(maxn, 0))
            if wid >= 0:
                ids[n] = wid
                n += 1
            if not is_eos and maxn > 0 and bucket > 0:
                n = _char_ngrams(word, length, ids, n, nwords, minn, maxn, bucket, prune_size,
                                 prune_map)
            if nh == hashes.shape[0]:
                grown = np.empty(2 * nh + 64, np.int64)
                grown[:nh] = hashes[:nh]
                hashes = grown
            hashes[nh] = np.int64(np.int32(np.uint32(h)))  # fastText keeps them as int32
            nh += 1
        if is_eos:
            break
    if word_ngrams > 1 and bucket > 0:
        ids = _reserve(ids, n, nh * (word_ngrams - 1))
        ubucket = np.uint64(bucket)
        for i in range(nh):
            g = np.uint64(hashes[i])  # int32 -> uint64 sign-extends, as in C++
            for j in range(i + 1, min(nh, i + word_ngrams)):
                g = g * _NGRAM_MUL + np.uint64(hashes[j])
                n = _push_bucket(ids, n, np.int64(g % ubucket), nwords, prune_size, prune_map)
    return ids, n, hashes, word


@njit(cache=True)
def _batch_ids(data, offsets, valid, eos, label, table, wdata, woff, nwords, minn, maxn,
               bucket, word_ngrams, prune_size, prune_map, capacity):
    ndocs = offsets.shape[0] - 1
    out_offsets = np.zeros(ndocs + 1, np.int64)
    ids = np.empty(capacity, np.int32)
    hashes = np.empty(256, np.int64)
    word = np.empty(256, np.uint8)
    n = 0
    for d in range(ndocs):
        start = offsets[d]
        end = offsets[d + 1] if valid[d] else start  # a null scores as ""
        ids, n, hashes, word = _line_ids(data, start, end, eos, label, table, wdata, woff,
                                         nwords, minn, maxn, bucket, word_ngrams, prune_size,
                                         prune_map, ids, n, hashes, word)
        out_offsets[d + 1] = n
    return ids[:n], out_offsets


class Tokenizer:
    """fastText's supervised input rows for texts, from a model's dictionary.

    Example::

        tok = Tokenizer(read_model("m.bin", matrices=False))
        ids, offsets = tok.ids(pa.array(["good film", None]))
        ids[offsets[0]:offsets[1]]   # the input rows of "good film"
    """

    def __init__(self, mf: ModelFile):
        self.nwords, self.minn, self.maxn = mf.nwords, mf.minn, mf.maxn
        self.bucket, self.word_ngrams, self.prune_size = mf.bucket, mf.word_ngrams, mf.prune_size
        lengths = np.fromiter((len(w) for w in mf.words), np.int64, len(mf.words))
        self.woff = np.zeros(len(mf.words) + 1, np.int64)
        np.cumsum(lengths, out=self.woff[1:])
        self.wdata = np.frombuffer(b"".join(mf.words) or b"\0", np.uint8)
        self.table = build_table(self.wdata, self.woff)
        # Dense bucket -> row map (-1: pruned away); one int32 per bucket when pruned.
        self.prune_map = np.full(mf.bucket if mf.prune_size > 0 else 0, -1, np.int32)
        if mf.prune_size > 0:
            self.prune_map[mf.prune_keys] = mf.prune_rows
        self.eos = np.frombuffer(EOS, np.uint8)
        self.label = np.frombuffer(LABEL_PREFIX, np.uint8)

    def ids(self, texts: pa.Array | pa.ChunkedArray | list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(ids int32, offsets int64[len(texts) + 1])``: CSR rows of each text."""
        all_ids, all_offsets, base = [], [np.zeros(1, np.int64)], 0
        for chunk in string_chunks(texts):
            data, offsets, valid = utf8_buffers(chunk)
            capacity = 4 * int(offsets[-1] - offsets[0]) + 16 * len(chunk) + 64
            ids, off = _batch_ids(data, offsets, valid, self.eos, self.label, self.table,
                                  self.wdata, self.woff, self.nwords, self.minn, self.maxn,
                                  self.bucket, self.word_ngrams, self.prune_size,
                                  self.prune_map, capacity)
            all_ids.append(ids)
            all_offsets.append(off[1:] + base)
            base += ids.shape[0]
        ids = np.concatenate(all_ids) if all_ids else np.zeros(0, np.int32)
        return ids, np.concatenate(all_offsets)
