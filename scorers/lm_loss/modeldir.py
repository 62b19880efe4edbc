"""What a causal LM folder must hold, checked without torch (at recipe validation).

A folder written by ``model.save_pretrained`` and ``tokenizer.save_pretrained`` (or a
hub snapshot): ``config.json`` whose ``architectures`` (when listed) name a causal LM
(``...ForCausalLM`` or ``...LMHeadModel``), weights (``model.safetensors``,
``pytorch_model.bin`` or a sharded set's ``*.index.json``) and a tokenizer
(``tokenizer.json``, ``tokenizer_config.json``, ``vocab.json`` or ``tokenizer.model``),
here or in the folder given as the tokenizer.

Example::

    info = check_model_dir("models/m1")       # ModelFileError naming the folder if not
    info.max_positions                        # 1024 for GPT-2
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

from thresher.operators.errors import ModelFileError

WEIGHTS = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
           "pytorch_model.bin.index.json")
TOKENIZER = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "tokenizer.model")
_CAUSAL = ("ForCausalLM", "LMHeadModel")


@dataclass(frozen=True)
class ModelDir:
    path: str
    max_positions: int | None   # the longest window the model takes, when its config says
    architectures: tuple[str, ...]


def check_model_dir(path: str, tokenizer: str | None = None) -> ModelDir:
    """Check ``path`` (and ``tokenizer``, default ``path``) as described in the module."""
    if not os.path.exists(path):
        raise ModelFileError("model folder not found", path=path)
    if not os.path.isdir(path):
        raise ModelFileError("expected a model folder (config.json, weights, tokenizer), "
                             "found a file", path=path)
    listing = sorted(os.listdir(path))
    try:
        with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
    except FileNotFoundError:
        raise ModelFileError(f"no config.json (found: {', '.join(listing) or 'nothing'})",
                             path=path) from None
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"cannot read config.json: {exc}", path=path) from None
    if not isinstance(config, dict):
        raise ModelFileError("config.json is not a JSON object", path=path)
    arch = tuple(config.get("architectures") or ())
    if arch and not any(a.endswith(_CAUSAL) for a in arch):
        raise ModelFileError(f"not a causal language model: config.json lists architectures "
                             f"{', '.join(arch)} (expected ...ForCausalLM or ...LMHeadModel)",
                             path=path)
    if not any(os.path.isfile(os.path.join(path, w)) for w in WEIGHTS):
        raise ModelFileError(f"no weights: expected one of {', '.join(WEIGHTS)} "
                             f"(found: {', '.join(listing) or 'nothing'})", path=path)
    tok = tokenizer or path
    if not os.path.isdir(tok) or not any(os.path.isfile(os.path.join(tok, t)) for t in TOKENIZER):
        where = "" if tokenizer else " (or give the tokenizer's folder as param 'tokenizer')"
        raise ModelFileError(f"no tokenizer: expected one of {', '.join(TOKENIZER)}{where}",
                             path=tok)
    return ModelDir(path, max_positions(config), arch)


def max_positions(config) -> int | None:
    """The longest sequence a model config allows (GPT-2 ``n_positions``, most others
    ``max_position_embeddings``), or None when it says nothing."""
    get = config.get if isinstance(config, dict) else lambda k: getattr(config, k, None)
    for key in ("n_positions", "max_position_embeddings", "n_ctx", "max_sequence_length"):
        value = get(key)
        if isinstance(value, int) and value > 0:
            return value
    return None
