"""``TorchFastText``: a supervised fastText model as a batched torch module.

Texts are tokenised and hashed by the numba kernel in ``tokens.py`` (whole Arrow
arrays at once), averaged with an ``EmbeddingBag`` over the input matrix, and put
through the model's output layer (``heads.py``). The probabilities equal
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

import numpy as np
import pyarrow as pa
import torch

from .heads import HierarchicalSoftmaxHead, SigmoidTableHead, SoftmaxHead
from .modelfile import ModelFile, read_model
from .tokens import Tokenizer

DEFAULT_BATCH_SIZE = 1024


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"``: the first CUDA device when torch sees one, else the CPU."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class TorchFastText(torch.nn.Module):
    """A supervised fastText classifier in torch (softmax, one-vs-all / ns, hs).

    Example::

        model = TorchFastText.from_file("lid.ftz", device="cpu")
        model.predict_proba(pa.array(["Bonjour tout le monde"]))[0].argmax()
    """

    def __init__(self, mf: ModelFile, device: str | torch.device = "auto"):
        super().__init__()
        if mf.input is None or mf.output is None:
            raise ValueError(f"{mf.path}: read with matrices=True to build a model")
        self.path, self.loss, self.quantized = mf.path, mf.loss, mf.quantized
        self.labels: list[str] = mf.labels
        self.tokenizer = Tokenizer(mf)
        self.embedding = torch.nn.EmbeddingBag.from_pretrained(
            torch.from_numpy(mf.input), freeze=True, mode="mean", include_last_offset=True)
        self.register_buffer("output_matrix", torch.from_numpy(mf.output), persistent=False)
        if mf.loss == "softmax":
            self.head = SoftmaxHead()
        elif mf.loss in ("ova", "ns"):  # ns models predict through the same sigmoids
            self.head = SigmoidTableHead()
        else:
            self.head = HierarchicalSoftmaxHead(mf.label_counts)
        self.device = resolve_device(device)
        self.to(self.device)
        self.eval()

    @classmethod
    def from_file(cls, path: str | os.PathLike, device: str | torch.device = "auto"
                  ) -> "TorchFastText":
        """Load a ``.bin`` or quantized ``.ftz`` supervised model (``ModelFileError`` if
        the file is missing, corrupt or not a supervised classifier)."""
        return cls(read_model(path), device=device)

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor, raw: bool = False
                ) -> torch.Tensor:
        """Probabilities ``(n, nlabels)`` for the CSR input rows of ``n`` texts."""
        hidden = self.embedding(ids, offsets)
        # The output layer is tiny: float64 keeps the logits at least as exact as
        # fastText's float32 loop, on any device (no TF32 on GPUs).
        logits = (hidden.double() @ self.output_matrix.double().T).float()
        return self.head(logits, raw=raw)

    @torch.inference_mode()
    def predict_proba(self, texts: list[str] | pa.Array | pa.ChunkedArray, *,
                      batch_size: int = DEFAULT_BATCH_SIZE, raw: bool = False) -> np.ndarray:
        """``(len(texts), len(self.labels))`` float64 probabilities, in ``self.labels`` order.

        ``raw=False`` (default) gives what fastText's ``predict(k=-1)`` reports (``p +
        1e-5``; hs labels it does not report are 0); ``raw=True`` the model's own ``p``
        (see ``heads.py``). ``batch_size`` texts go through torch at a time.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not isinstance(texts, (pa.Array, pa.ChunkedArray)):
            texts = pa.array(list(texts), type=pa.large_string())
        out = np.empty((len(texts), len(self.labels)), np.float64)
        for start in range(0, len(texts), batch_size):
            ids, offsets = self.tokenizer.ids(texts.slice(start, batch_size))
            # EmbeddingBag wants ids and offsets of one dtype: int32 unless it overflows.
            index = np.int32 if offsets[-1] <= np.iinfo(np.int32).max else np.int64
            probs = self(torch.from_numpy(ids.astype(index, copy=False)).to(self.device),
                         torch.from_numpy(offsets.astype(index)).to(self.device), raw=raw)
            block = out[start:start + len(offsets) - 1]
            block[:] = probs.double().cpu().numpy()
            block[np.diff(offsets) == 0] = np.nan  # no input row: fastText predicts nothing
        return out
