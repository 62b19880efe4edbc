"""``TorchFastText``: a supervised fastText model as a batched torch module.

Texts are tokenised and hashed by the numba kernel in ``tokens.py`` (whole Arrow
arrays at once, on ``torch.get_num_threads()`` threads), their input rows summed with
an ``EmbeddingBag`` and scaled by ``1 / n`` (fastText's ``computeHidden``), and put
through the model's output layer (``heads.py``). On the CPU, a model with char
n-grams keeps a word cache (``tokenizer.WordCache``): the sum of each dictionary word's
rows, so that a known word is one row to add instead of ~25. The probabilities equal
``fasttext.load_model(path).predict(text, k=-1)``, label by label, up to float32
rounding (tests check 1e-5 on every kind of model).

Texts, precisely:

* a text is scored as ONE line: ``predict_proba([t])`` equals the library's
  ``predict(t.replace("\\n", " "), k=-1)`` (the library refuses newlines);
* a null text scores as the empty string (which fastText scores from ``</s>`` alone);
* when a text gives fastText no input row at all (a model trained without ``</s>``
  in its dictionary, on a text with no known word and no n-gram), the library
  predicts nothing: its row is NaN.

Example::

    model = TorchFastText.from_file("data/models/quality.ftz")   # device="auto": cuda if present
    model.labels                                     # ["__label__hq", "__label__lq"]
    probs = model.predict_proba(["Some text.", "More text."])  # (2, 2) float64
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import torch

from ..device import resolve_device
from .heads import HierarchicalSoftmaxHead, SigmoidTableHead, SoftmaxHead
from .modelfile import ModelFile, read_model
from .tokenizer import WORD_CACHE_BYTES, Tokenizer, WordCache, cache_rows

DEFAULT_BATCH_SIZE = 1024


class TorchFastText(torch.nn.Module):
    """A supervised fastText classifier in torch (softmax, one-vs-all / ns, hs).

    Example::

        model = TorchFastText.from_file("lid.ftz", device="cpu")
        model.predict_proba(pa.array(["Bonjour tout le monde"]))[0].argmax()
    """

    def __init__(self, mf: ModelFile, device: str | torch.device = "auto",
                 word_cache: bool | None = None, cache_bytes: int = WORD_CACHE_BYTES):
        """``word_cache``: keep the word cache (default: on the CPU, for models with char
        n-grams), of up to ``cache_bytes`` of float32 rows. A GPU model has none."""
        super().__init__()
        if mf.input is None or mf.output is None:
            raise ValueError(f"{mf.path}: read with matrices=True to build a model")
        self.path, self.loss, self.quantized = mf.path, mf.loss, mf.quantized
        self.labels: list[str] = mf.labels
        self.tokenizer = Tokenizer(mf)
        self.device = resolve_device(device)
        if word_cache and self.device.type != "cpu":
            raise ValueError("the word cache is filled on the CPU: word_cache=True needs "
                             "device='cpu'")
        use_cache = self.device.type == "cpu" if word_cache is None else word_cache
        size = cache_rows(mf, cache_bytes) if use_cache else 0
        nrows = mf.input.shape[0]
        weight = mf.input
        if size:
            buffer = mf.input_buffer
            if buffer is None or buffer.shape[0] < nrows + size:  # read without spare rows
                buffer = np.empty((nrows + size, mf.input.shape[1]), np.float32)
                buffer[:nrows] = mf.input
            weight = buffer[:nrows + size]
        self.cache = WordCache(weight, nrows, size) if size else None
        # Shares the numpy memory (the cache's rows too) on the CPU. Mode "sum", then
        # 1 / n in float32, as fastText's Model::computeHidden.
        self.embedding = torch.nn.EmbeddingBag.from_pretrained(
            torch.from_numpy(weight), freeze=True, mode="sum", include_last_offset=True)
        self.register_buffer("output_matrix", torch.from_numpy(mf.output), persistent=False)
        if mf.loss == "softmax":
            self.head = SoftmaxHead()
        elif mf.loss in ("ova", "ns"):  # ns models predict through the same sigmoids
            self.head = SigmoidTableHead()
        else:
            self.head = HierarchicalSoftmaxHead(mf.label_counts)
        self.to(self.device)
        self.eval()

    @classmethod
    def from_file(cls, path: str | os.PathLike, device: str | torch.device = "auto",
                  word_cache: bool | None = None, cache_bytes: int = WORD_CACHE_BYTES
                  ) -> "TorchFastText":
        """Load a ``.bin`` or quantized ``.ftz`` supervised model (``ModelFileError`` if
        the file is missing, corrupt or not a supervised classifier)."""
        on_cpu = resolve_device(device).type == "cpu"
        use_cache = on_cpu if word_cache is None else word_cache
        # Room for the word cache right after the input matrix: no copy of the matrix.
        spare = (lambda header: cache_rows(header, cache_bytes)) if use_cache else 0
        return cls(read_model(path, spare_rows=spare), device=device, word_cache=word_cache,
                   cache_bytes=cache_bytes)

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor, scale: torch.Tensor,
                raw: bool = False) -> torch.Tensor:
        """Probabilities ``(n, nlabels)`` for the CSR input rows of ``n`` texts, whose
        sums are scaled by ``scale`` (float32 ``1 / n``)."""
        return self.classify(self.embedding(ids, offsets) * scale.unsqueeze(1), raw=raw)

    def classify(self, hidden: torch.Tensor, raw: bool = False) -> torch.Tensor:
        """Probabilities ``(n, nlabels)`` from hidden vectors (the texts' mean input rows)."""
        # The output layer is tiny: float64 keeps the logits at least as exact as
        # fastText's float32 loop, on any device (no TF32 on GPUs).
        logits = (hidden.double() @ self.output_matrix.double().T).float()
        return self.head(logits, raw=raw)

    def _inputs(self, texts, threads: int = 1, fill: bool | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, np.ndarray]:
        """``(ids, offsets, scale)`` on the device, and the row counts, of a batch
        (tokenised on ``threads`` threads; ``fill``: see ``Tokenizer.rows``)."""
        ids, offsets, counts = self.tokenizer.rows(texts, threads=threads, cache=self.cache,
                                                   fill=fill)
        # EmbeddingBag wants ids and offsets of one dtype: int32 unless it overflows.
        index = np.int32 if offsets[-1] <= np.iinfo(np.int32).max else np.int64
        with np.errstate(divide="ignore"):  # no input row: 1 / 0 -> the row is NaN below
            scale = (1.0 / counts).astype(np.float32)  # float(1.0 / n), as fastText
        scale[counts == 0] = np.nan
        to = self.device
        return (torch.from_numpy(ids.astype(index, copy=False)).to(to),
                torch.from_numpy(offsets.astype(index, copy=False)).to(to),
                torch.from_numpy(scale).to(to), counts)

    @torch.inference_mode()
    def hidden(self, texts: list[str] | pa.Array | pa.ChunkedArray) -> np.ndarray:
        """``(len(texts), dim)`` float32: fastText's hidden vectors (``get_sentence_vector``
        of each text as one line); NaN for a text with no input row."""
        if not isinstance(texts, (pa.Array, pa.ChunkedArray)):
            texts = pa.array(list(texts), type=pa.large_string())
        ids, offsets, scale, _ = self._inputs(texts)
        return (self.embedding(ids, offsets) * scale.unsqueeze(1)).cpu().numpy()

    @torch.inference_mode()
    def predict_proba(self, texts: list[str] | pa.Array | pa.ChunkedArray, *,
                      batch_size: int = DEFAULT_BATCH_SIZE, raw: bool = False) -> np.ndarray:
        """``(len(texts), len(self.labels))`` float64 probabilities, in ``self.labels`` order.

        ``raw=False`` (default) gives what fastText's ``predict(k=-1)`` reports (``p +
        1e-5``; hs labels it does not report are 0); ``raw=True`` the model's own ``p``
        (see ``heads.py``). ``batch_size`` texts go through torch at a time.

        Threads: ``torch.get_num_threads()``. On the CPU, that many threads each take whole
        batches (tokens, sums and output layer: no fine-grained synchronisation, which
        costs more than it gains on batches this small, above all on a busy machine); on
        a GPU, they tokenise each batch together.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not isinstance(texts, (pa.Array, pa.ChunkedArray)):
            texts = pa.array(list(texts), type=pa.large_string())
        out = np.empty((len(texts), len(self.labels)), np.float64)
        starts = range(0, len(texts), batch_size)
        threads = max(1, torch.get_num_threads())
        if self.device.type == "cpu" and threads > 1 and len(starts) > 1:
            self._predict_on_threads(texts, starts, batch_size, raw, out, threads)
            return out
        for start in starts:
            self._predict_batch(texts.slice(start, batch_size), raw, out[start:], threads)
        return out

    def _predict_batch(self, texts, raw: bool, out: np.ndarray, threads: int = 1,
                       fill: bool | None = None) -> None:
        ids, offsets, scale, counts = self._inputs(texts, threads, fill)
        probs = self(ids, offsets, scale, raw=raw)
        block = out[:len(counts)]
        block[:] = probs.double().cpu().numpy()
        block[counts == 0] = np.nan  # no input row: fastText predicts nothing

    def _predict_on_threads(self, texts, starts, batch_size: int, raw: bool, out: np.ndarray,
                            threads: int) -> None:
        """Batches over ``threads`` Python threads, torch itself on one thread meanwhile
        (the kernels and torch release the GIL). The threads only read the word cache;
        the words they missed are cached after."""
        parts = [list(starts)[i::threads] for i in range(threads)]

        def work(part):
            with torch.inference_mode():
                for start in part:
                    self._predict_batch(texts.slice(start, batch_size), raw, out[start:],
                                        fill=False)

        torch.set_num_threads(1)
        try:
            with ThreadPoolExecutor(threads, thread_name_prefix="fasttext") as pool:
                list(pool.map(work, parts))
        finally:
            torch.set_num_threads(threads)
        if self.cache is not None:
            self.tokenizer.fill_wanted(self.cache)
