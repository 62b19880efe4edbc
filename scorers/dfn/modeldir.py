"""What a CLIP model directory must hold, checked without torch (at recipe validation).

A transformers CLIP directory (what ``CLIPModel.save_pretrained`` plus the tokenizer's
``save_pretrained`` write, or a hub snapshot such as ``openai/clip-vit-base-patch32``):

* ``config.json`` of ``model_type`` ``clip`` (its ``vision_config.image_size`` and
  ``text_config.max_position_embeddings`` size the inputs);
* weights: ``model.safetensors`` or ``pytorch_model.bin``, or a sharded set with its
  ``*.index.json`` (a safetensors header must parse: a truncated download fails here);
* a tokenizer: ``tokenizer.json``, or ``vocab.json`` with ``merges.txt``;
* optionally ``preprocessor_config.json``: the image size, crop, mean and std (else
  the config's ``image_size`` and OpenAI CLIP's mean and std).

Example::

    info = check_model_dir("models/clip-vit-b-32")   # ModelFileError naming the path if not
    info.preprocess.size, info.max_length            # 224, 77
"""
from __future__ import annotations

import json
import os
import struct
import zipfile
from dataclasses import dataclass

from thresher.operators.errors import ModelFileError

from .images import CLIP_MEAN, CLIP_STD, Preprocess

WEIGHTS = ("model.safetensors", "pytorch_model.bin")
SHARD_INDEXES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")


@dataclass(frozen=True)
class ModelDirInfo:
    path: str
    preprocess: Preprocess
    max_length: int       # text tokens, special tokens included (CLIP: 77)


def _json(path: str, what: str, model: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"cannot read the {what} {os.path.basename(path)}: {exc}",
                             path=model) from None
    if not isinstance(data, dict):
        raise ModelFileError(f"{os.path.basename(path)} is not a JSON object", path=model)
    return data


def _check_weights(path: str) -> None:
    present = [w for w in WEIGHTS + SHARD_INDEXES if os.path.isfile(os.path.join(path, w))]
    if not present:
        raise ModelFileError(f"no weights: expected one of {', '.join(WEIGHTS + SHARD_INDEXES)} "
                             f"(found: {', '.join(sorted(os.listdir(path))) or 'nothing'})",
                             path=path)
    name = present[0]
    full = os.path.join(path, name)
    if name == "model.safetensors":
        try:
            with open(full, "rb") as f:
                (n,) = struct.unpack("<Q", f.read(8))
                if n > os.path.getsize(full) - 8:
                    raise ValueError(f"header of {n} bytes in a file of {os.path.getsize(full)}")
                json.loads(f.read(n))
        except (OSError, ValueError, struct.error) as exc:
            raise ModelFileError(f"{name} is not a readable safetensors file ({exc})",
                                 path=path) from None
    elif name == "pytorch_model.bin" and not zipfile.is_zipfile(full):
        raise ModelFileError(f"{name} is not a torch checkpoint (not a zip archive)", path=path)
    elif name.endswith(".index.json"):
        shards = set(_json(full, "weights index", path).get("weight_map", {}).values())
        missing = sorted(s for s in shards if not os.path.isfile(os.path.join(path, s)))
        if not shards or missing:
            raise ModelFileError(f"{name} lists missing shards: {', '.join(missing) or 'none'}",
                                 path=path)


def preprocess_of(path: str, image_size: int) -> Preprocess:
    """The image transform of ``preprocessor_config.json`` (else CLIP's at ``image_size``)."""
    file = os.path.join(path, "preprocessor_config.json")
    if not os.path.isfile(file):
        return Preprocess(size=image_size, crop=(image_size, image_size))
    cfg = _json(file, "image preprocessing config", path)
    size, crop = cfg.get("size", image_size), cfg.get("crop_size", image_size)
    if isinstance(size, dict):
        if "shortest_edge" not in size:
            raise ModelFileError(f"preprocessor_config.json: size {size} is not supported "
                                 "(thresher resizes the shortest edge: size.shortest_edge)",
                                 path=path)
        size = size["shortest_edge"]
    if isinstance(crop, dict):
        crop = (crop["height"], crop["width"])
    elif isinstance(crop, int):
        crop = (crop, crop)
    if not cfg.get("do_center_crop", True) or not cfg.get("do_resize", True):
        raise ModelFileError("preprocessor_config.json: only resize + center crop is "
                             "supported (do_resize and do_center_crop true)", path=path)
    try:
        return Preprocess(size=int(size), crop=(int(crop[0]), int(crop[1])),
                          mean=tuple(cfg.get("image_mean", CLIP_MEAN)),
                          std=tuple(cfg.get("image_std", CLIP_STD)),
                          resample=int(cfg.get("resample", 3)),
                          rescale=float(cfg.get("rescale_factor", 1 / 255)))
    except (TypeError, ValueError, IndexError, KeyError) as exc:
        raise ModelFileError(f"preprocessor_config.json: {exc}", path=path) from None


def check_model_dir(path: str) -> ModelDirInfo:
    """Check a transformers CLIP directory (see the module docstring); ``ModelFileError``
    naming the path and what is wrong if it is not one."""
    if not os.path.exists(path):
        raise ModelFileError("model directory not found", path=path)
    if not os.path.isdir(path):
        raise ModelFileError("not a directory: a CLIP model is a directory with config.json, "
                             "weights and tokenizer files (an open_clip checkpoint file needs "
                             "the architecture param)", path=path)
    config_file = os.path.join(path, "config.json")
    if not os.path.isfile(config_file):
        raise ModelFileError("no config.json: not a transformers model directory", path=path)
    config = _json(config_file, "model config", path)
    if config.get("model_type") != "clip":
        raise ModelFileError(f"config.json has model_type {config.get('model_type')!r}, "
                             "expected 'clip' (a transformers CLIPModel)", path=path)
    _check_weights(path)
    has_fast = os.path.isfile(os.path.join(path, "tokenizer.json"))
    has_bpe = all(os.path.isfile(os.path.join(path, f)) for f in ("vocab.json", "merges.txt"))
    if not (has_fast or has_bpe):
        raise ModelFileError("no tokenizer: expected tokenizer.json, or vocab.json and "
                             "merges.txt (save the tokenizer into the model directory)",
                             path=path)
    vision, text = config.get("vision_config") or {}, config.get("text_config") or {}
    return ModelDirInfo(path, preprocess_of(path, int(vision.get("image_size", 224))),
                        int(text.get("max_position_embeddings", 77)))
