"""``ClipScorer``: image-text pairs scored by a CLIP model, batched, on the GPU when there is one.

The score of a pair is what DataComp and DFN filter on: the cosine similarity of the
L2-normalised image and text embeddings (no logit scale), in float32 and returned as
float64. Images are decoded and preprocessed in-house (``images.py``: PIL + numpy,
OpenAI CLIP's transform) on a pool of threads, one model batch ahead of the model,
so that on a GPU decoding and the forward passes overlap. Texts are tokenised by the
model's own tokenizer, truncated to its context (77 tokens for CLIP); a null text
scores as the empty string.

Engines:

* transformers ``CLIPModel`` (default): a local model directory (``check_model_dir``
  says what it must hold) or, where the machine has network, a hub id, which is
  downloaded into the Hugging Face cache first. Needs no torchvision.
* open_clip (``architecture=`` an open_clip model name, ``path`` its checkpoint file):
  only where ``open_clip`` is installed, which needs torchvision; see ``openclip.py``.

Example::

    scorer = ClipScorer.from_pretrained("models/clip-vit-b-32", device="auto")
    scores = scorer.score([open("cat.jpg", "rb").read(), b"junk"], ["a cat", "a dog"])
    # array([0.27..., nan]); score_with_reasons also says why the second is NaN
"""
from __future__ import annotations

import os
import re
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from thresher.operators.errors import ModelFileError

from ..device import resolve_device
from .images import Preprocess, decode
from .modeldir import check_model_dir

DEFAULT_BATCH_SIZE = 64
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def _features(out) -> torch.Tensor:
    # transformers 5 returns a model output whose pooler_output is the projection; 4.x
    # returned the projected tensor itself.
    return out.pooler_output if hasattr(out, "pooler_output") else out


class TransformersClip:
    """The two towers of a transformers ``CLIPModel`` and its tokenizer."""

    def __init__(self, model, tokenizer, max_length: int):
        self.model, self.tokenizer, self.max_length = model, tokenizer, max_length

    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        return _features(self.model.get_image_features(pixel_values=pixels))

    def encode_texts(self, texts: list[str], device: torch.device) -> torch.Tensor:
        tokens = self.tokenizer(texts, padding=True, truncation=True,
                                max_length=self.max_length, return_tensors="pt")
        return _features(self.model.get_text_features(
            input_ids=tokens["input_ids"].to(device),
            attention_mask=tokens["attention_mask"].to(device)))


def _download(repo_id: str) -> str:
    """The local snapshot of a hub model (downloaded once into the Hugging Face cache)."""
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(repo_id)
    except Exception as exc:  # noqa: BLE001 - offline, unknown repo, gated: all say the same
        raise ModelFileError("not a local directory, and downloading it as a hub id failed: "
                             f"{type(exc).__name__}: {str(exc)[:300]}", path=repo_id) from None


def load_transformers_clip(path: str, device: torch.device
                           ) -> tuple[TransformersClip, Preprocess]:
    from transformers import AutoTokenizer, CLIPModel

    if not os.path.exists(path) and _HUB_ID.match(path):
        path = _download(path)
    info = check_model_dir(path)
    # float32 whatever the checkpoint's dtype: fp16 weights on a CPU are slow or
    # unsupported, and the scores should not depend on how a model was saved.
    model = CLIPModel.from_pretrained(path).to(device=device, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(path)
    return TransformersClip(model, tokenizer, info.max_length), info.preprocess


@dataclass
class ScoredPairs:
    """Scores (NaN where the image is unusable) and, for those rows, why."""

    scores: np.ndarray            # (n,) float64
    reasons: list[str | None]     # "missing_image" / "undecodable_image" / None
    details: list[str | None]     # the reader's or decoder's message


class ClipScorer:
    """A CLIP model scoring image-text pairs by cosine similarity (see the module docstring).

    Example::

        scorer = ClipScorer.from_pretrained("models/clip-vit-b-32", device="cpu")
        scorer.score(["/data/img/0001.jpg"], ["a red bicycle"], batch_size=32)
    """

    def __init__(self, encoder, preprocess: Preprocess, device: torch.device,
                 threads: int | None = None):
        """``threads``: image decoding threads (default ``torch.get_num_threads()``)."""
        self.encoder, self.preprocess, self.device = encoder, preprocess, device
        self.threads = threads

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, device: str | torch.device = "auto", *,
                        architecture: str | None = None, threads: int | None = None
                        ) -> "ClipScorer":
        """A transformers CLIP directory (or hub id); with ``architecture``, an open_clip
        checkpoint file. ``ModelFileError`` names the path when it is not a model."""
        device = resolve_device(device)
        if architecture is not None:
            from .openclip import load_open_clip

            encoder, prep = load_open_clip(architecture, os.fspath(path), device)
        else:
            encoder, prep = load_transformers_clip(os.fspath(path), device)
        return cls(encoder, prep, device, threads)

    def score(self, images, texts, *, batch_size: int = DEFAULT_BATCH_SIZE,
              base_dir: str | None = None) -> np.ndarray:
        """``(n,)`` float64 cosine similarities; NaN where an image is missing or cannot be
        decoded (``score_with_reasons`` says why). Images: bytes, paths (relative ones
        against ``base_dir``), ``file:`` URIs, PIL images or None."""
        return self.score_with_reasons(images, texts, batch_size=batch_size,
                                       base_dir=base_dir).scores

    def score_with_reasons(self, images, texts, *, batch_size: int = DEFAULT_BATCH_SIZE,
                           base_dir: str | None = None) -> ScoredPairs:
        """``score``, with the reason and detail of every NaN."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        images = list(images)
        texts = ["" if t is None else str(t) for t in texts]
        if len(images) != len(texts):
            raise ValueError(f"{len(images)} images but {len(texts)} texts")
        n = len(images)
        out = ScoredPairs(np.full(n, np.nan), [None] * n, [None] * n)
        chunks = [range(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
        decode_one = partial(decode, prep=self.preprocess, base_dir=base_dir)
        threads = self.threads or max(1, torch.get_num_threads())
        with ThreadPoolExecutor(threads, thread_name_prefix="clip-decode") as pool:
            pending: deque = deque()

            def submit(chunk):
                pending.append((chunk, [pool.submit(decode_one, images[i]) for i in chunk]))

            for chunk in chunks[:2]:  # one batch decoding ahead of the model
                submit(chunk)
            following = 2
            while pending:
                chunk, futures = pending.popleft()
                good, arrays = [], []
                for i, future in zip(chunk, futures):
                    array, reason, detail = future.result()
                    if array is None:
                        out.reasons[i], out.details[i] = reason, detail
                    else:
                        good.append(i)
                        arrays.append(array)
                if following < len(chunks):
                    submit(chunks[following])
                    following += 1
                if good:
                    out.scores[good] = self.score_arrays(np.stack(arrays),
                                                         [texts[i] for i in good])
        return out

    @torch.inference_mode()
    def score_arrays(self, arrays: np.ndarray, texts: list[str]) -> np.ndarray:
        """Cosine similarities of cropped ``(n, h, w, 3)`` uint8 images and ``n`` texts."""
        pixels = self.preprocess.normalize(torch.from_numpy(arrays).to(self.device))
        image = torch.nn.functional.normalize(self.encoder.encode_images(pixels).float(), dim=-1)
        text = torch.nn.functional.normalize(
            self.encoder.encode_texts(texts, self.device).float(), dim=-1)
        return (image * text).sum(dim=-1).double().cpu().numpy()
