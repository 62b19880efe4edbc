"""CLIP models with random weights, saved as model directories: no model hub needed.

For tests, benchmarks and trying recipes on a machine without network. The scores of
a random model mean nothing; its shapes and costs are a real CLIP's. Sizes:

* ``tiny``: 2 layers of width 32 in each tower, 32-pixel images in 8-pixel patches,
  16 text tokens;
* ``vit-b-32``: OpenAI's ViT-B/32 (224-pixel images, 12 + 12 layers, 77 text tokens,
  a 49,408-row token embedding), the smallest CLIP DataComp filters with.

The tokenizer is a byte-level BPE like CLIP's, with a small vocabulary: the 256
byte symbols (alone and ending a word), one merge chain per word in ``words`` (so
that each becomes one token, as most caption words are for CLIP's tokenizer), and
``<|startoftext|>`` / ``<|endoftext|>``.

Example::

    path = random_clip("/tmp/clip-tiny", size="tiny", words=["a", "photo", "of", "cat"])
    ClipScorer.from_pretrained(path).score([png_bytes], ["a photo of a cat"])
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable

from .images import CLIP_MEAN, CLIP_STD

SIZES = {
    "tiny": dict(
        text=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=2, max_position_embeddings=16),
        vision=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                    num_attention_heads=2, image_size=32, patch_size=8),
        projection_dim=16, vocab_size=None),
    "vit-b-32": dict(
        text=dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=12,
                  num_attention_heads=8, max_position_embeddings=77),
        vision=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                    num_attention_heads=12, image_size=224, patch_size=32),
        projection_dim=512, vocab_size=49408),
}


def bpe_vocab(words: Iterable[str]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """CLIP-style byte-level BPE vocabulary and merges that make each word one token."""
    from tokenizers.pre_tokenizers import ByteLevel

    symbols = sorted(ByteLevel.alphabet())
    vocab = {s: i for i, s in enumerate(symbols)}
    vocab.update({s + "</w>": len(symbols) + i for i, s in enumerate(symbols)})
    merges: list[tuple[str, str]] = []
    for word in dict.fromkeys(w.lower() for w in words):
        chars = ByteLevel(add_prefix_space=False).pre_tokenize_str(word)[0][0]
        if len(chars) < 2:
            continue
        left = chars[0]
        for i, ch in enumerate(chars[1:], start=1):
            right = ch + ("</w>" if i == len(chars) - 1 else "")
            if left + right not in vocab:
                merges.append((left, right))
                vocab[left + right] = len(vocab)
            left = left + right
    for special in ("<|startoftext|>", "<|endoftext|>"):
        vocab[special] = len(vocab)
    return vocab, merges


def random_clip(path: str | os.PathLike, *, size: str = "tiny", words: Iterable[str] = (),
                seed: int = 0, preprocess: dict | None = None) -> str:
    """Save a random-weight CLIP (``CLIPModel``, tokenizer, ``preprocessor_config.json``)
    into ``path``; ``preprocess`` overrides entries of the preprocessing config."""
    import torch
    from transformers import CLIPConfig, CLIPModel, CLIPTokenizer

    spec = SIZES[size]
    vocab, merges = bpe_vocab(words)
    max_length = spec["text"]["max_position_embeddings"]
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=max_length)
    bos, eos = vocab["<|startoftext|>"], vocab["<|endoftext|>"]
    vocab_size = max(len(vocab), spec["vocab_size"] or 0)
    config = CLIPConfig(
        text_config=dict(spec["text"], vocab_size=vocab_size, bos_token_id=bos,
                         eos_token_id=eos, pad_token_id=eos),
        vision_config=dict(spec["vision"]), projection_dim=spec["projection_dim"])
    torch.manual_seed(seed)
    model = CLIPModel(config).eval()
    os.makedirs(path, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    image = spec["vision"]["image_size"]
    prep = {"do_resize": True, "size": {"shortest_edge": image}, "do_center_crop": True,
            "crop_size": {"height": image, "width": image}, "do_rescale": True,
            "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": list(CLIP_MEAN),
            "image_std": list(CLIP_STD), "resample": 3, "do_convert_rgb": True,
            "image_processor_type": "CLIPImageProcessor", **(preprocess or {})}
    with open(os.path.join(path, "preprocessor_config.json"), "w") as f:
        json.dump(prep, f, indent=2)
    return os.fspath(path)
