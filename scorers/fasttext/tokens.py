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

For models with char n-grams, a ``WordCache`` replaces a dictionary word's rows (the
word and its ~25 n-grams) by one row holding their sum, filled the first time the
word is seen, as fastText's dictionary keeps each word's n-gram ids: a known word
then costs one row to add. Batches can be split over threads (the kernels release
the GIL; the threads only read the cache).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

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


def _split(offsets: np.ndarray, parts: int, min_docs: int) -> list[list[tuple[int, int]]]:
    """``parts`` lists (one when the batch is small) of contiguous document ranges: about
    equal bytes per list, at most ``MAX_CALL_BYTES`` of text per range (a kernel call
    reserves room for its worst case)."""
    n = len(offsets) - 1
    parts = max(1, min(parts, n // max(min_docs, 1)))
    pieces = max(parts, -(-int(offsets[-1] - offsets[0]) // MAX_CALL_BYTES))
    cuts = np.searchsorted(offsets, np.linspace(offsets[0], offsets[-1], pieces + 1)[1:-1])
    bounds = [0, *sorted(set(int(c) for c in cuts) - {0, n}), n]
    ranges = [(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    step = -(-len(ranges) // parts)
    return [ranges[i:i + step] for i in range(0, len(ranges), step)]


_pools: dict[int, ThreadPoolExecutor] = {}


def _map(fn, groups):
    """``fn(d0, d1)`` over the ranges of each group, the groups on threads when there
    are several (the kernels release the GIL); results in document order."""
    def run(group):
        return [fn(a, b) for a, b in group]

    if len(groups) == 1:
        return run(groups[0])
    pool = _pools.get(len(groups))
    if pool is None:
        pool = _pools[len(groups)] = ThreadPoolExecutor(len(groups),
                                                        thread_name_prefix="fasttext")
    return [part for parts in pool.map(run, groups) for part in parts]


# Documents per thread below which a batch is not split over threads.
MIN_DOCS_PER_THREAD = 256
# Text bytes per kernel call at most: a call reserves its worst case of row ids
# (virtual memory: only the pages written are used).
MAX_CALL_BYTES = 1 << 20
# Memory the word cache of a char n-gram model may take: float32 rows of the most
# frequent words (fastText numbers words by decreasing count).
WORD_CACHE_BYTES = 256 << 20
_NO_CACHE = (np.zeros((0, 1), np.float32), 0, np.zeros(0, np.int32), np.zeros(0, np.uint8), 0)
# Texts up to this many bytes use the word cache. A cached word's rows are added up
# before they join the text's sum, where fastText adds them one by one to it: the
# float32 results differ by rounding that grows with the text's length (measured on
# the test models: probabilities within 1.5e-6 of the library's at 16 KiB, 1.2e-5 at
# 100 KiB). Longer texts take fastText's rows, exactly.
MAX_CACHED_TEXT_BYTES = 8192


class WordCache:
    """Per dictionary word of a char n-gram model, the sum of its input rows (the word
    and its n-grams), kept in spare rows after the input matrix: a known word is then
    one row to add instead of ~25 (fastText's dictionary keeps a word's n-gram ids; this
    keeps their sum). Rows are filled the first time a word is seen; fastText numbers
    words by decreasing count, so the most frequent words come first.

    ``weight``: the input matrix with ``size`` spare rows after its ``base`` rows (see
    ``read_model(spare_rows=...)``); ``size`` <= the dictionary's word count.
    """

    def __init__(self, weight: np.ndarray, base: int, size: int):
        if weight.shape[0] < base + size:
            raise ValueError(f"the matrix has {weight.shape[0]} rows: no room for a cache "
                             f"of {size} after {base}")
        self.weight, self.base, self.size = weight, base, size
        self.counts = np.zeros(size, np.int32)  # 0: not filled yet
        self.want = np.zeros(size, np.uint8)

    def args(self) -> tuple:
        return self.weight, self.base, self.counts, self.want, MAX_CACHED_TEXT_BYTES


def cache_rows(mf: ModelFile, cache_bytes: int) -> int:
    """How many words a cache of ``cache_bytes`` holds for this model (0: no char n-grams,
    nothing to cache)."""
    if mf.maxn <= 0 or mf.bucket <= 0 or cache_bytes <= 0:
        return 0
    return int(min(mf.nwords, cache_bytes // (4 * mf.dim)))


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

    def fill_wanted(self, cache: WordCache) -> None:
        """Cache the words that calls with ``fill=False`` flagged (none may be running)."""
        missed = np.flatnonzero(cache.want)
        if missed.size:
            cache.want[:] = 0
            _fill_words(missed, self.wdata, self.woff, self.minn, self.maxn, self.bucket,
                        self.nwords, self.prune_size, self.prune_map, cache.weight, cache.base,
                        cache.counts)

    def _dict(self) -> tuple:
        return (self.eos, self.label, self.table, self.wdata, self.woff, self.nwords, self.minn,
                self.maxn, self.bucket, self.word_ngrams, self.prune_size, self.prune_map)

    def ids(self, texts: pa.Array | pa.ChunkedArray | list[str], *, threads: int = 1
            ) -> tuple[np.ndarray, np.ndarray]:
        """``(ids int32, offsets int64[len(texts) + 1])``: CSR rows of each text, in
        fastText's order (``threads``: split a large batch over that many threads)."""
        ids, offsets, _ = self.rows(texts, threads=threads)
        return ids, offsets

    def rows(self, texts: pa.Array | pa.ChunkedArray | list[str], *, threads: int = 1,
             cache: WordCache | None = None, fill: bool | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(ids, offsets, counts)``: CSR rows of each text and the number of fastText
        rows each averages; with a ``cache``, a known word's rows are one cached row
        (``counts`` then exceed the CSR lengths).

        ``fill``: whether this call may write the cache (default: when it runs on one
        thread). With ``fill=False`` it only reads it and flags the words it missed, for
        ``fill_wanted`` (callers that run several calls at once on threads do that).
        """
        parts = []
        cache_args = _NO_CACHE if cache is None else cache.args()
        dictionary = self._dict()
        for chunk in string_chunks(texts):
            data, offsets, valid = utf8_buffers(chunk)
            groups = _split(offsets, threads, MIN_DOCS_PER_THREAD)
            may_fill = len(groups) == 1 if fill is None else fill and len(groups) == 1

            def run(d0, d1):
                return _batch_rows(data, offsets, valid, d0, d1, *dictionary, *cache_args,
                                   may_fill)

            parts += _map(run, groups)
            if cache is not None and fill is not False and not may_fill:
                self.fill_wanted(cache)  # the words the threads missed
        if len(parts) == 1:  # one chunk, one thread: no copies
            return parts[0]
        if not parts:
            return np.zeros(0, np.int32), np.zeros(1, np.int64), np.zeros(0, np.int64)
        bases = np.cumsum([0] + [ids.shape[0] for ids, _, _ in parts[:-1]])
        offsets = np.concatenate([np.zeros(1, np.int64)]
                                 + [off[1:] + b for (_, off, _), b in zip(parts, bases)])
        return (np.concatenate([p[0] for p in parts]), offsets,
                np.concatenate([p[2] for p in parts]))
