"""The fastText tokeniser over Arrow batches: kernel calls split over threads, and
the word cache.

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

from thresher.operators.arrow import string_chunks, utf8_buffers

from .modelfile import ModelFile
from .tokens import EOS, LABEL_PREFIX, _batch_rows, _fill_words, build_table


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
