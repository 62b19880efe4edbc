"""Per-document loss of a causal language model, in batched sliding windows.

A document is tokenised without the tokenizer's own special tokens, and the
model's BOS token (GPT-2: ``<|endoftext|>``) is put in front when it has one, so
that every token of the document is predicted; a model without one predicts all
tokens but the first. A document longer than ``block_size`` tokens is read in
windows, Hugging Face's perplexity-with-stride method: each window starts ``stride``
tokens after the previous one (at most ``block_size - 1``: a window's first token
only gives context), spans up to ``block_size`` tokens, and scores only the tokens
no earlier window scored. Every token is scored exactly once, with at least
``block_size - stride`` tokens of context (all earlier ones, in the first window).

Per document: ``loss`` = the sum of the scored tokens' cross-entropies (nats),
``tokens`` = how many were scored, ``chars`` = ``len(text)`` (code points, as Spark's
``length``) and ``bpc`` = ``loss / (chars * ln 2)``. An empty or null text, and one
with no token to score, has null loss and bpc.

Windows of many documents share a forward pass (``batch_size`` windows, right-padded:
causal attention keeps padding out of the real tokens), longest first so that
windows of similar length are padded together. The model runs in bfloat16 on a GPU
and float32 on the CPU; cross-entropies are always taken in float32 and summed in
float64.

PreSelect's reference code concatenates the documents of a file into one stream and
windows over it, so a document's first tokens see the end of the previous one;
here each document is windowed alone, so a score does not depend on its neighbours
(nor on how Spark partitions the data).

Example::

    scorer = LMLossScorer.from_pretrained("models/tiny-gpt2", block_size=1024, stride=512)
    result = scorer.score(["Some text.", "Another document."])
    result.bpc          # numpy array, NaN where there is no score
"""
from __future__ import annotations

import inspect

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from ..device import resolve_device
from .modeldir import max_positions

LN2 = math.log(2.0)
_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
_CE_ROWS = 8192  # cross-entropy rows per chunk: bounds the float32 copy of the logits


class LossResult(NamedTuple):
    """Per document, in input order. ``loss`` and ``bpc`` are NaN where not scored."""

    loss: np.ndarray     # float64, nats
    tokens: np.ndarray   # int64, tokens scored
    chars: np.ndarray    # int64
    bpc: np.ndarray      # float64


@dataclass(frozen=True)
class Window:
    doc: int     # index of the document in the batch of texts
    begin: int   # first token of the window in the document's sequence (BOS included)
    end: int     # one past its last token
    first: int   # first token the window scores (earlier ones are context only)


def windows(n: int, block_size: int, stride: int) -> list[tuple[int, int, int]]:
    """``(begin, end, first_scored)`` of the windows over a sequence of ``n`` tokens.

    Tokens ``1..n-1`` are scored once each (token 0 has nothing to be predicted from).
    A window's first token only gives context, so a window starts at most at the end
    of the previous one minus one token: a stride of ``block_size`` steps by
    ``block_size - 1``.
    """
    if not 1 <= stride <= block_size:
        raise ValueError(f"stride must be in 1..block_size ({block_size}), found {stride}")
    out, begin, prev_end = [], 0, 0
    while n >= 2:
        end = min(begin + block_size, n)
        out.append((begin, end, max(prev_end, begin + 1)))
        if end == n:
            break
        # The next window must start before `end`: its first token is context only.
        prev_end, begin = end, min(begin + stride, end - 1)
    return out


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """``auto``: bfloat16 on a GPU, float32 on the CPU (where bfloat16 matmuls are slow)."""
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return _DTYPES[dtype]


class LMLossScorer:
    """Total loss, tokens, characters and bits per character of documents under a causal LM.

    Example::

        scorer = LMLossScorer.from_pretrained("models/m1", device="auto")
        scorer.score(texts).bpc
    """

    def __init__(self, model, tokenizer, *, block_size: int = 1024, stride: int = 512,
                 batch_size: int = 8):
        windows(2, block_size, stride)  # checks stride against block_size
        limit = max_positions(model.config)
        if limit is not None and block_size > limit:
            raise ValueError(f"block_size {block_size} exceeds the model's {limit} positions")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.block_size, self.stride, self.batch_size = block_size, stride, max(1, batch_size)
        self.device = next(model.parameters()).device
        bos = tokenizer.bos_token_id
        self.prefix = [] if bos is None else [int(bos)]
        self.pad_id = int(bos if bos is not None else (tokenizer.eos_token_id or 0))
        self._keep_mask = "logits_to_keep" in inspect.signature(model.forward).parameters

    @classmethod
    def from_pretrained(cls, path: str, *, tokenizer: str | None = None, device: str = "auto",
                        dtype: str = "auto", **kwargs) -> "LMLossScorer":
        """Load a model folder (``save_pretrained``'s) and its tokenizer (same folder unless
        ``tokenizer`` names another)."""
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # no "sequence longer than max length" per batch
        hf_logging.disable_progress_bar()
        dev = resolve_device(device)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=resolve_dtype(dtype, dev))
        tok = AutoTokenizer.from_pretrained(tokenizer or path)
        return cls(model.to(dev), tok, **kwargs)

    # -- tokens --------------------------------------------------------------------------
    def sequences(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text, BOS first when the model has one."""
        ids = self.tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
        return [self.prefix + list(x) for x in ids]

    # -- scoring -------------------------------------------------------------------------
    @torch.inference_mode()
    def score(self, texts: list[str | None]) -> LossResult:
        """Score every text (``None`` and ``""`` get NaN loss and bpc, 0 tokens)."""
        n = len(texts)
        chars = np.array([len(t) if t else 0 for t in texts], np.int64)
        loss = np.zeros(n, np.float64)
        tokens = np.zeros(n, np.int64)
        todo = [i for i in range(n) if chars[i] > 0]
        seqs = dict(zip(todo, self.sequences([texts[i] for i in todo])))
        jobs = [Window(i, b, e, f) for i in todo
                for b, e, f in windows(len(seqs[i]), self.block_size, self.stride)]
        jobs.sort(key=lambda w: (w.begin - w.end, w.doc, w.begin))  # longest first
        for start in range(0, len(jobs), self.batch_size):
            batch = jobs[start:start + self.batch_size]
            sums = self._forward(batch, seqs)
            for w, s in zip(batch, sums):
                loss[w.doc] += s
                tokens[w.doc] += w.end - w.first
        scored = tokens > 0
        loss[~scored] = np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            bpc = np.where(scored, loss / (np.maximum(chars, 1) * LN2), np.nan)
        return LossResult(loss, tokens, chars, bpc)

    def _scored_logits(self, ids, mask, scored, rows, cols) -> torch.Tensor:
        """Logits at the scored positions only, ``(len(rows), vocab)`` in ``rows, cols`` order.

        Context-only positions are half of a window at stride ``block_size / 2``: asking
        the model for the scored positions' logits (``logits_to_keep`` as a boolean mask)
        spares their vocabulary projection and its memory. Models without that argument
        project every position."""
        if self._keep_mask:
            keep = torch.nn.functional.pad(scored, (0, 1)).to(self.device)  # the last position predicts nothing
            try:
                logits = self.model(input_ids=ids, attention_mask=mask, logits_to_keep=keep).logits
            except (IndexError, TypeError):
                logits = None  # transformers before 5 take only positions, not a mask
            if logits is not None and logits.ndim == 2 and logits.shape[0] == len(rows):
                return logits
            self._keep_mask = False
        logits = self.model(input_ids=ids, attention_mask=mask).logits[:, :-1]
        return logits[rows.to(self.device), cols.to(self.device)]

    def _forward(self, batch: list[Window], seqs: dict[int, list[int]]) -> list[float]:
        """Summed cross-entropy of the scored tokens of each window in ``batch``."""
        width = max(w.end - w.begin for w in batch)
        ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        # scored[r, p]: position p of row r predicts a scored token (at p + 1)
        scored = torch.zeros((len(batch), width - 1), dtype=torch.bool)
        for r, w in enumerate(batch):
            length = w.end - w.begin
            ids[r, :length] = torch.tensor(seqs[w.doc][w.begin:w.end])
            mask[r, :length] = 1
            scored[r, w.first - w.begin - 1:length - 1] = True
        ids, mask = ids.to(self.device), mask.to(self.device)
        rows, cols = scored.nonzero(as_tuple=True)
        targets = ids[rows.to(self.device), (cols + 1).to(self.device)]
        picked = self._scored_logits(ids, mask, scored, rows, cols)
        ce = torch.cat([torch.nn.functional.cross_entropy(
            picked[i:i + _CE_ROWS].float(), targets[i:i + _CE_ROWS], reduction="none")
            for i in range(0, len(targets), _CE_ROWS)]) if len(targets) else picked.new_zeros(0)
        per_row = torch.zeros(len(batch), dtype=torch.float64, device=ce.device)
        per_row.index_add_(0, rows.to(ce.device), ce.double())
        return per_row.cpu().tolist()

