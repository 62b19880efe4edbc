"""Reading fastText's model files (``.bin`` and quantized ``.ftz``) into numpy.

The layout is fastText's own (``FastText::saveModel``, format version 12, read
back by versions 11 and 12 as ``FastText::loadModel`` does), little-endian:

* magic ``int32 793712314``, version ``int32``;
* args: ``dim ws epoch minCount neg wordNgrams loss model bucket minn maxn
  lrUpdateRate`` as ``int32`` then ``t`` as ``float64`` (the label prefix is not
  saved: a loaded model always takes tokens starting with ``__label__`` as labels);
* dictionary: ``size nwords nlabels`` (int32), ``ntokens pruneidx_size`` (int64), then
  per entry the word's bytes, a NUL, ``count`` (int64) and ``type`` (int8: 0 word,
  1 label), then ``pruneidx_size`` pairs ``(bucket id, row)`` of int32 (``.ftz`` with
  a cutoff keeps only some hash buckets; ``-1`` means nothing was pruned);
* ``quant`` (bool) and the input matrix: dense (``m n`` int64 + float32 rows) or
  product-quantized; ``qout`` (bool) and the output matrix, quantized only if both.

Why not the ``fasttext`` package's getters: they refuse quantized matrices and do not
expose the pruned dictionary, which scoring an ``.ftz`` needs. Tests check this
reader against the package on every model kind.

Example::

    mf = read_model("data/models/quality.ftz")
    mf.labels        # ["__label__hq", "__label__lq"]
    mf.input.shape   # (nwords + kept buckets, 16): dequantized rows
"""
from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from thresher.operators.errors import ModelFileError

MAGIC = 793712314
VERSIONS = (11, 12)
LOSSES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}
MODELS = {1: "cbow", 2: "skipgram", 3: "supervised"}
_ARGS = struct.Struct("<12id")
_DICT = struct.Struct("<iiiqq")
_KSUB = 256  # centroids per sub-quantizer (8-bit codes)


@dataclass(frozen=True, eq=False)
class ModelFile:
    """A supervised fastText model as arrays; ``input``/``output`` are None when only the
    header and dictionary were read (``matrices=False``)."""

    path: str
    version: int
    dim: int
    word_ngrams: int
    loss: str
    bucket: int
    minn: int
    maxn: int
    words: list[bytes]          # dictionary entries: nwords words, then nlabels labels
    counts: np.ndarray          # int64 count of each entry (labels' counts shape hs's tree)
    nwords: int
    nlabels: int
    prune_size: int             # -1: not pruned; else how many hash buckets kept rows
    prune_keys: np.ndarray      # int32 bucket ids that kept a row ...
    prune_rows: np.ndarray      # ... and the row (after the words) each one moved to
    quantized: bool = False
    qout: bool = False
    input: np.ndarray | None = field(default=None, repr=False)
    output: np.ndarray | None = field(default=None, repr=False)
    # ``input`` is the head of this buffer, whose spare rows after it are uninitialised
    # (``read_model(spare_rows=...)``: room for the scorer's word cache, no copy).
    input_buffer: np.ndarray | None = field(default=None, repr=False)

    @property
    def labels(self) -> list[str]:
        return [w.decode("utf-8", errors="replace") for w in self.words[self.nwords:]]

    @property
    def label_counts(self) -> np.ndarray:
        return self.counts[self.nwords:]


class _Cursor:
    """Sequential reads from a memory map, every read checked against the file's end."""

    def __init__(self, buf, path: str):
        self.buf, self.path, self.pos = buf, path, 0

    def need(self, nbytes: int, what: str) -> None:
        if nbytes < 0 or self.pos + nbytes > len(self.buf):
            raise ModelFileError(f"truncated or corrupt fastText model: {what} needs {nbytes} "
                                 f"bytes at offset {self.pos}, the file has {len(self.buf)}",
                                 path=self.path)

    def unpack(self, fmt: struct.Struct | str, what: str) -> tuple:
        fmt = struct.Struct(fmt) if isinstance(fmt, str) else fmt
        self.need(fmt.size, what)
        values = fmt.unpack_from(self.buf, self.pos)
        self.pos += fmt.size
        return values

    def array(self, dtype, count: int, what: str) -> np.ndarray:
        nbytes = int(count) * np.dtype(dtype).itemsize
        self.need(nbytes, what)
        out = np.frombuffer(self.buf, dtype=dtype, count=int(count), offset=self.pos).copy()
        self.pos += nbytes
        return out


def _dictionary(cur: _Cursor) -> tuple:
    size, nwords, nlabels, _ntokens, prune_size = cur.unpack(_DICT, "dictionary header")
    if size < 0 or nwords < 0 or nlabels < 0 or nwords + nlabels != size:
        raise ModelFileError(f"corrupt dictionary header (size {size}, nwords {nwords}, "
                             f"nlabels {nlabels})", path=cur.path)
    words, counts, types = [], np.empty(size, np.int64), np.empty(size, np.int8)
    buf, pos = cur.buf, cur.pos
    for i in range(size):
        end = buf.find(b"\0", pos)
        if end < 0 or end + 10 > len(buf):
            raise ModelFileError(f"truncated or corrupt fastText model: dictionary entry {i} "
                                 f"of {size} runs past the end of the file (offset {pos}, "
                                 f"file size {len(buf)})", path=cur.path)
        words.append(bytes(buf[pos:end]))
        counts[i], types[i] = struct.unpack_from("<qb", buf, end + 1)
        pos = end + 10
    cur.pos = pos
    # fastText keeps words first, then labels (Dictionary::threshold sorts by type).
    if (types[:nwords] != 0).any() or (types[nwords:] != 1).any():
        raise ModelFileError("corrupt dictionary: words and labels are not in fastText's "
                             "order (words first, then labels)", path=cur.path)
    pairs = cur.array(np.int32, 2 * max(prune_size, 0), "pruned-dictionary index")
    return words, counts, nwords, nlabels, int(prune_size), pairs[0::2], pairs[1::2]


def _dense(cur: _Cursor, what: str, spare: int = 0) -> np.ndarray:
    """The matrix, as rows ``[:m]`` of an ``(m + spare, n)`` buffer (its ``.base``)."""
    m, n = cur.unpack("<qq", f"{what} shape")
    if m < 0 or n < 0:
        raise ModelFileError(f"corrupt {what}: shape ({m}, {n})", path=cur.path)
    cur.need(m * n * 4, what)
    buffer = np.empty((m + spare, n), np.float32)
    buffer[:m] = np.frombuffer(cur.buf, np.float32, count=m * n, offset=cur.pos).reshape(m, n)
    cur.pos += m * n * 4
    return buffer[:m]


def _product_quantizer(cur: _Cursor, what: str) -> tuple[int, int, int, int, np.ndarray]:
    dim, nsubq, dsub, lastdsub = cur.unpack("<iiii", f"{what} quantizer")
    if dim <= 0 or nsubq <= 0 or dsub <= 0 or not 0 < lastdsub <= dsub:
        raise ModelFileError(f"corrupt {what} quantizer (dim {dim}, nsubq {nsubq}, dsub {dsub})",
                             path=cur.path)
    return dim, nsubq, dsub, lastdsub, cur.array(np.float32, dim * _KSUB, f"{what} centroids")


def _quantized(cur: _Cursor, what: str, spare: int = 0) -> np.ndarray:
    """Decode a product-quantized matrix (QuantMatrix) into the float32 rows fastText's
    ``addRowToVector`` / ``dotRow`` use: ``norm * centroid`` per sub-vector (rows ``[:m]``
    of an ``(m + spare, n)`` buffer, as ``_dense``)."""
    (qnorm,) = cur.unpack("<?", f"{what} qnorm flag")
    m, n = cur.unpack("<qq", f"{what} shape")
    (codesize,) = cur.unpack("<i", f"{what} code size")
    codes = cur.array(np.uint8, codesize, f"{what} codes")
    dim, nsubq, dsub, lastdsub, centroids = _product_quantizer(cur, what)
    if dim != n or codesize != m * nsubq or (nsubq - 1) * dsub + lastdsub != n:
        raise ModelFileError(f"corrupt {what}: {m}x{n} rows with {codesize} codes of "
                             f"{nsubq} sub-quantizers", path=cur.path)
    codes = codes.reshape(m, nsubq)
    rows = np.empty((m + spare, n), np.float32)[:m]
    for q in range(nsubq):  # ProductQuantizer::get_centroids: the last block is narrower
        d = lastdsub if q == nsubq - 1 else dsub
        table = centroids[q * _KSUB * dsub: q * _KSUB * dsub + _KSUB * d].reshape(_KSUB, d)
        rows[:, q * dsub: q * dsub + d] = table[codes[:, q]]
    if qnorm:
        norm_codes = cur.array(np.uint8, m, f"{what} norm codes")
        norm_centroids = _product_quantizer(cur, f"{what} norm")[4]
        rows *= norm_centroids[norm_codes][:, None]
    return rows


def read_model(path: str | os.PathLike, *, matrices: bool = True,
               spare_rows: int | Callable[[ModelFile], int] = 0) -> ModelFile:
    """Read a supervised fastText model; ``matrices=False`` stops after the dictionary
    (enough to validate the file and list its labels, and fast on big models).

    ``spare_rows`` (a number, or a function of the header: the ``ModelFile`` without
    matrices) leaves that many uninitialised rows after the input matrix, in
    ``input_buffer`` (``input`` is its head): the scorer's word cache lives there.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 8:
                raise ModelFileError(f"not a fastText model: {size} bytes", path=path)
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _parse(_Cursor(buf, path), matrices, spare_rows)
    except FileNotFoundError:
        raise ModelFileError("model file not found", path=path) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise ModelFileError(f"cannot read the model file: {exc.strerror}", path=path) from None


def _parse(cur: _Cursor, matrices: bool, spare_rows=0) -> ModelFile:
    magic, version = cur.unpack("<ii", "magic number")
    if magic != MAGIC:
        raise ModelFileError(f"not a fastText model (magic number {magic}, expected {MAGIC})",
                             path=cur.path)
    if version not in VERSIONS:
        raise ModelFileError(f"fastText format version {version} is not supported "
                             f"(supported: {', '.join(map(str, VERSIONS))})", path=cur.path)
    args = cur.unpack(_ARGS, "model arguments")
    dim, _ws, _epoch, _min_count, _neg, word_ngrams, loss, model, bucket, minn, maxn = args[:11]
    if MODELS.get(model) != "supervised":
        raise ModelFileError(f"a {MODELS.get(model, f'unknown ({model})')} model: only "
                             "supervised classifiers can be scored", path=cur.path)
    if loss not in LOSSES:
        raise ModelFileError(f"unknown loss code {loss}", path=cur.path)
    if version == 11:
        maxn = 0  # as FastText::loadModel: old supervised models have no char n-grams
    if dim <= 0 or bucket < 0:
        raise ModelFileError(f"corrupt model arguments (dim {dim}, bucket {bucket})",
                             path=cur.path)
    words, counts, nwords, nlabels, prune_size, keys, rows = _dictionary(cur)
    if nlabels == 0:
        raise ModelFileError("the model has no labels", path=cur.path)
    mf = ModelFile(cur.path, version, dim, word_ngrams, LOSSES[loss], bucket, minn, maxn,
                   words, counts, nwords, nlabels, prune_size, keys, rows)
    if not matrices:
        return mf
    (quant,) = cur.unpack("<?", "quantization flag")
    if not quant and prune_size >= 0:
        raise ModelFileError("a pruned dictionary without a quantized input matrix is "
                             "invalid (fastText refuses it too)", path=cur.path)
    spare = int(spare_rows(mf) if callable(spare_rows) else spare_rows)
    if spare < 0:
        raise ValueError(f"spare_rows must be >= 0, got {spare}")
    inp = (_quantized(cur, "input matrix", spare) if quant
           else _dense(cur, "input matrix", spare))
    (qout,) = cur.unpack("<?", "output quantization flag")
    out = _quantized(cur, "output matrix") if quant and qout else _dense(cur, "output matrix")
    expect_rows = nwords + (bucket if prune_size < 0 else prune_size)
    if inp.shape != (expect_rows, dim) or out.shape != (nlabels, dim):
        raise ModelFileError(f"corrupt model: input matrix {inp.shape}, output {out.shape}; "
                             f"expected ({expect_rows}, {dim}) and ({nlabels}, {dim})",
                             path=cur.path)
    return ModelFile(cur.path, version, dim, word_ngrams, LOSSES[loss], bucket, minn, maxn,
                     words, counts, nwords, nlabels, prune_size, keys, rows,
                     quantized=bool(quant), qout=bool(quant and qout), input=inp, output=out,
                     input_buffer=inp.base)
