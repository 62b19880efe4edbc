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
(int64), and per text the number of rows fastText averages. A null text is
tokenised as the empty string. No Python object is made per text or per token, and
no array is grown inside the loops (numba would count references on every token):
a call reserves its worst case, in virtual memory.

Batching, threads and the word cache of char n-gram models: ``tokenizer.py``.
"""
from __future__ import annotations

import numpy as np
from numba import njit

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


@njit(inline="always", cache=True)
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
def _is_space(c):
    # Most bytes are above ' ': one comparison for them.
    return c <= 32 and (c == 32 or c == 10 or c == 13 or c == 9 or c == 11 or c == 12 or c == 0)


@njit(inline="always", cache=True)
def _bucket_row(bucket_id, nwords, prune_size, prune_map):
    """``Dictionary::pushHash``: a hash bucket's row, through the prune index if any
    (-1: no row, the bucket was pruned away)."""
    if prune_size == 0:
        return -1
    if prune_size > 0:
        bucket_id = prune_map[bucket_id]
        if bucket_id < 0:
            return -1
    return nwords + bucket_id


@njit(inline="always", cache=True)
def _bracket(word, src, a, b):
    """``<src[a:b]>`` into ``word`` (room for ``b - a + 2``): the char n-grams' view of a
    token; returns its length."""
    word[0] = 60  # '<'
    for k in range(b - a):
        word[k + 1] = src[a + k]
    word[b - a + 1] = 62  # '>'
    return b - a + 2


@njit(inline="always", cache=True)
def _char_ngram_rows(word, length, minn, maxn, bucket, nwords, prune_size, prune_map, rows, n):
    """``Dictionary::computeSubwords`` of ``word[:length]`` (already ``<token>``): the rows
    of its char n-grams into ``rows[n:]`` (room for ``length * maxn`` values); the new ``n``."""
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
                row = _bucket_row(np.int64(h % ubucket), nwords, prune_size, prune_map)
                if row >= 0:
                    rows[n] = row
                    n += 1
            k += 1
    return n


@njit(cache=True, nogil=True)
def _fill_word(wid, wdata, woff, minn, maxn, bucket, nwords, prune_size, prune_map, weight,
               base, wcnt, word, rows):
    """Cache dictionary word ``wid``: ``weight[base + wid]`` = the float32 sum, in fastText's
    order, of its rows (the word's, then its char n-grams'), ``wcnt[wid]`` = their number.
    ``word`` and ``rows`` are scratch with room for the word (``len + 2`` and
    ``1 + (len + 2) * maxn``)."""
    length = _bracket(word, wdata, woff[wid], woff[wid + 1])
    rows[0] = wid
    m = _char_ngram_rows(word, length, minn, maxn, bucket, nwords, prune_size, prune_map,
                         rows, 1)
    out = base + wid
    dim = weight.shape[1]
    for j in range(dim):
        weight[out, j] = 0.0
    for k in range(m):
        r = rows[k]
        for j in range(dim):
            weight[out, j] += weight[r, j]
    wcnt[wid] = m
    return m


@njit(cache=True, nogil=True)
def _fill_words(wids, wdata, woff, minn, maxn, bucket, nwords, prune_size, prune_map, weight,
                base, wcnt):
    longest = 0
    for w in wids:
        longest = max(longest, woff[w + 1] - woff[w])
    word = np.empty(longest + 2, np.uint8)
    rows = np.empty(1 + (longest + 2) * max(maxn, 1), np.int64)
    for w in wids:
        if wcnt[w] == 0:
            _fill_word(w, wdata, woff, minn, maxn, bucket, nwords, prune_size, prune_map,
                       weight, base, wcnt, word, rows)


@njit(cache=True, nogil=True)
def _batch_rows(data, offsets, valid, d0, d1, eos, label, table, wdata, woff, nwords, minn,
                maxn, bucket, word_ngrams, prune_size, prune_map, weight, base, wcnt, want,
                max_cached_len, fill):
    """Input rows of texts ``d0 .. d1 - 1``: ``(ids int32, offsets int64, counts int64)``,
    CSR, and per text the number of fastText input rows it averages.

    Without a word cache (``wcnt`` empty) the ids are fastText's rows, in its order,
    and ``counts`` are the CSR lengths. With one, a dictionary word of a char n-gram
    model is the single id ``base + wid``, the cached sum of its rows in ``weight``
    (``_fill_word``) standing for all ``wcnt[wid]`` of them: cached on first sight when
    ``fill``; else the cache is only read (threads share it), a missing word gives its
    rows and is flagged in ``want``, to be filled after. Texts longer than
    ``max_cached_len`` bytes get fastText's rows (see ``MAX_CACHED_TEXT_BYTES``).
    """
    ndocs = d1 - d0
    out_offsets = np.zeros(ndocs + 1, np.int64)
    counts = np.zeros(ndocs, np.int64)
    # Room for the worst case up front: growing an array inside the loops would make
    # numba count references to it on every token. A text of b bytes has at most
    # b // 2 + 2 tokens (with </s>); a token of L bytes at most 1 + (L + 2) * maxn rows.
    longest = 0
    total = 0
    for d in range(d0, d1):
        if valid[d]:
            longest = max(longest, offsets[d + 1] - offsets[d])
            total += offsets[d + 1] - offsets[d]
    per_token = 1 + (2 * maxn if maxn > 0 and bucket > 0 else 0) + max(word_ngrams - 1, 0)
    capacity = (total // 2 + 2 * ndocs) * per_token + (total * maxn if maxn > 0 else 0)
    ids = np.empty(capacity, np.int32)
    hashes = np.empty(longest // 2 + 2, np.int64)
    word = np.empty(longest + eos.shape[0] + 2, np.uint8)
    ncache = wcnt.shape[0]
    subwords = maxn > 0 and bucket > 0
    flongest = 0  # the scratch of _fill_word: room for the longest dictionary word
    if ncache > 0:
        for w in range(nwords):
            flongest = max(flongest, woff[w + 1] - woff[w])
    fword = np.empty(flongest + 2, np.uint8)
    frows = np.empty(1 + (flongest + 2) * max(maxn, 1), np.int64)
    eos_hash = fnv_hash(eos, 0, eos.shape[0])
    eos_wid = _lookup(table, wdata, woff, eos, 0, eos.shape[0], eos_hash)
    eos_len = eos.shape[0]
    lab_len = label.shape[0]
    n = 0
    for d in range(d0, d1):
        pos = offsets[d]
        end = offsets[d + 1] if valid[d] else pos  # a null scores as ""
        nh = 0
        count = 0
        use_cache = ncache > 0 and end - pos <= max_cached_len
        while True:
            # Dictionary::readWord, hashing as it scans
            while pos < end and _is_space(data[pos]):
                pos += 1
            a = pos
            h = _FNV_BASIS
            while pos < end:
                c = data[pos]
                if _is_space(c):
                    break
                h = _fnv_step(h, c)
                pos += 1
            if pos == a:  # no token left: fastText's predict appended "\n" -> </s>
                wid, is_eos, is_label, h = eos_wid, True, False, eos_hash
            else:
                wid = _lookup(table, wdata, woff, data, a, pos, h)
                is_eos = pos - a == eos_len and _same(data, a, pos, eos, 0, eos_len)
                if wid >= 0:
                    is_label = wid >= nwords
                else:
                    is_label = pos - a >= lab_len and _same(data, a, a + lab_len, label, 0,
                                                            lab_len)
            if not is_label:
                cached = 0
                if use_cache and not is_eos and 0 <= wid < ncache:
                    cached = wcnt[wid]
                    if cached == 0:
                        if fill:
                            cached = _fill_word(wid, wdata, woff, minn, maxn, bucket, nwords,
                                                prune_size, prune_map, weight, base, wcnt,
                                                fword, frows)
                        else:
                            want[wid] = 1
                if cached > 0:
                    ids[n] = base + wid
                    n += 1
                    count += cached
                else:
                    m = n
                    if wid >= 0:
                        ids[n] = wid
                        n += 1
                    if subwords and not is_eos:
                        length = _bracket(word, data, a, pos)
                        n = _char_ngram_rows(word, length, minn, maxn, bucket, nwords,
                                             prune_size, prune_map, ids, n)
                    count += n - m
                hashes[nh] = np.int64(np.int32(np.uint32(h)))  # fastText keeps them as int32
                nh += 1
            if is_eos:
                break
        if word_ngrams > 1 and bucket > 0:  # Dictionary::addWordNgrams
            m = n
            ubucket = np.uint64(bucket)
            for i in range(nh):
                g = np.uint64(hashes[i])  # int32 -> uint64 sign-extends, as in C++
                for j in range(i + 1, min(nh, i + word_ngrams)):
                    g = g * _NGRAM_MUL + np.uint64(hashes[j])
                    row = _bucket_row(np.int64(g % ubucket), nwords, prune_size, prune_map)
                    if row >= 0:
                        ids[n] = row
                        n += 1
            count += n - m
        out_offsets[d + 1 - d0] = n
        counts[d - d0] = count
    return ids[:n], out_offsets, counts
