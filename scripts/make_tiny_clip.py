#!/usr/bin/env python3
"""Build the bundled demo CLIP, ``data/models/tiny_clip``: random weights, real shapes.

A transformers ``CLIPModel`` directory (config, safetensors weights, a byte-level BPE
tokenizer, the preprocessing config) of the ``tiny`` size of
``thresher.scorers.dfn.synthetic.random_clip``: 2 layers of width 32 per tower, 32-pixel
images. Its scores mean nothing; it exists so that the ``dfn_score`` / ``dfn_filter``
examples and a recipe validate and run without a model download. For real filtering
use a DFN or OpenAI CLIP checkpoint (see README, "DFN / CLIP").

Usage: ``python scripts/make_tiny_clip.py`` (needs the ``clip`` extra).
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from thresher.scorers.dfn.synthetic import random_clip  # noqa: E402

OUT = ROOT / "data" / "models" / "tiny_clip"
WORDS = "a an the photo picture of on in with cat dog car tree house red blue green".split()


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    random_clip(OUT, size="tiny", words=WORDS, seed=0)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
