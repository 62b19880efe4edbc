"""The optional open_clip engine: an open_clip architecture name plus a checkpoint file.

Apple's DFN networks and DataComp's CLIPs are published as open_clip checkpoints.
open_clip needs torchvision, which does not install beside thresher's CPU torch
build (DESIGN.md), so this engine is UNTESTED here: it is used only where
``open_clip`` imports. Images still go through thresher's own preprocessing
(``images.Preprocess``), built from the model's ``preprocess_cfg`` (size, mean, std,
interpolation); only open_clip's default ``resize_mode: shortest`` is supported.
Without open_clip, convert the checkpoint to a transformers CLIP directory (the
default engine, tested) or score with one published in that format.

Example::

    encoder, prep = load_open_clip("ViT-B-32", "/models/dfn_vit_b_32.pt", torch.device("cuda"))
"""
from __future__ import annotations

import importlib.util
import os

import torch
from PIL import Image

from thresher.operators.errors import MissingDependencyError, ModelFileError

from .images import CLIP_MEAN, CLIP_STD, Preprocess

_RESAMPLE = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR,
             "nearest": Image.Resampling.NEAREST}


def available() -> bool:
    return importlib.util.find_spec("open_clip") is not None


def check_architecture(architecture: str, checkpoint: str) -> None:
    """Recipe-time checks: open_clip importable, the name known, the checkpoint a file."""
    if not available():
        raise MissingDependencyError(
            f"architecture {architecture!r} asks for open_clip, which is not installed (it "
            "needs torchvision, see the README); without it, give a transformers CLIP "
            "directory as the model and no architecture")
    import open_clip

    known = open_clip.list_models()
    if architecture not in known:
        raise ModelFileError(f"open_clip has no architecture {architecture!r}; e.g. "
                             f"{', '.join(known[:12])}", path=checkpoint)
    if not os.path.isfile(checkpoint):
        raise ModelFileError("open_clip checkpoint file not found", path=checkpoint)


class OpenClip:
    """The towers of an open_clip model and its tokenizer."""

    def __init__(self, model, tokenizer):
        self.model, self.tokenizer = model, tokenizer

    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.model.encode_image(pixels)

    def encode_texts(self, texts: list[str], device: torch.device) -> torch.Tensor:
        return self.model.encode_text(self.tokenizer(texts).to(device))


def load_open_clip(architecture: str, checkpoint: str, device: torch.device
                   ) -> tuple[OpenClip, Preprocess]:
    check_architecture(architecture, checkpoint)
    import open_clip

    model = open_clip.create_model(architecture, pretrained=checkpoint, device=device,
                                   precision="fp32").eval()
    cfg = dict(getattr(model.visual, "preprocess_cfg", None) or {})
    size = cfg.get("size", getattr(model.visual, "image_size", 224))
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    if cfg.get("resize_mode", "shortest") != "shortest" or h != w:
        raise ModelFileError(f"preprocess_cfg {cfg} is not supported (thresher resizes the "
                             "shortest side and crops a square)", path=checkpoint)
    prep = Preprocess(size=h, crop=(h, w), mean=tuple(cfg.get("mean", CLIP_MEAN)),
                      std=tuple(cfg.get("std", CLIP_STD)),
                      resample=int(_RESAMPLE.get(cfg.get("interpolation", "bicubic"),
                                                 Image.Resampling.BICUBIC)))
    return OpenClip(model, open_clip.get_tokenizer(architecture)), prep
