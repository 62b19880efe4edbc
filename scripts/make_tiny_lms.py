#!/usr/bin/env python3
"""Build the bundled demo language models, ``data/models/tiny_lm_{a,b,c}``.

Three GPT-2s of 2 layers, 32 wide, 128 positions, with one byte-level BPE tokenizer
(384 tokens) trained on the quickstart corpus's clean documents, each trained for 150
steps (batch 16 x 64 tokens, Adam, lr 3e-3) from the same start on a different mix of
those documents: 0%, 35% and 70% of them from the language reference (``pydoc_data``
topics), the rest docstrings and comments of the standard library. Think of the
benchmark as a test on Python's language reference: ``recipes/preselect.yaml`` gives
them made-up scores in that order, and the documents whose losses predict that order
are the reference's. They exist so that PreSelect's recipe runs without a download;
they are toys, not language models.

Training on the CPU is seeded but torch does not promise the same bits on every
machine, so a rerun may give slightly different files. Needs the ``lm`` extra.

Usage: ``python scripts/make_tiny_lms.py`` (writes ``data/models/tiny_lm_*`` and
``data/models/tiny_lms.md``).
"""
from __future__ import annotations

import glob
import os
import random
import sys
from pathlib import Path

import pyarrow.parquet as pq
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from thresher.scorers.lm_loss.tiny import save, tiny_gpt2, train_lm, train_tokenizer  # noqa: E402

OUT = ROOT / "data" / "models"
MIX = {"tiny_lm_a": 0.0, "tiny_lm_b": 0.35, "tiny_lm_c": 0.7}  # share of reference docs
STEPS = 150
SIZE = dict(n_layer=2, n_embd=32, n_head=2, n_positions=128)

README = """
# `tiny_lm_a`, `tiny_lm_b`, `tiny_lm_c`: demo language models for PreSelect

Three GPT-2 models (2 layers, 32 wide, 128 positions, {params:,} parameters each) with a
byte-level BPE tokenizer of {vocab} tokens, built by `scripts/make_tiny_lms.py`: the
tokenizer is trained on the quickstart corpus's `clean` documents (see
`data/README.md` for their source and licence). Each model is trained for {steps} steps
from the same start on a mix of those documents, with this share from the language
reference (`pydoc_data.topics`), the rest standard-library docstrings and comments:
{mix}.
`recipes/preselect.yaml` gives them made-up benchmark scores in that order (a
"language reference" benchmark), so the documents whose losses predict it are the
reference's. Toys for the recipe and its test, not language models.
"""


def main() -> None:
    torch.manual_seed(0)
    # One thread: tiny matrices gain nothing from two, and on a busy machine two
    # threads wait on each other (15x slower here).
    torch.set_num_threads(1)
    files = sorted(glob.glob(str(ROOT / "data" / "quickstart" / "*.parquet")))
    rows = pq.read_table(files, columns=["text", "kind", "source"]).to_pylist()
    clean = [r for r in rows if r["kind"] == "clean" and r["text"]]
    reference = [r["text"] for r in clean if r["source"].startswith("pydoc_data")]
    others = [r["text"] for r in clean if not r["source"].startswith("pydoc_data")]
    tok = train_tokenizer([r["text"] for r in clean], vocab_size=384)
    rng = random.Random(0)
    for name, share in MIX.items():
        mix = [rng.choice(reference) if rng.random() < share else rng.choice(others)
               for _ in range(3000)]
        model = tiny_gpt2(tok, seed=1, **SIZE)
        train_lm(model, tok, mix, steps=STEPS, seed=1)
        save(model, tok, str(OUT / name))
        os.chmod(OUT / name / "model.safetensors", 0o644)
        print(f"{name}: {share:.0%} reference")
    params = sum(p.numel() for p in model.parameters())
    note = README.format(params=params, vocab=len(tok), steps=STEPS,
                         mix=", ".join(f"{s:.0%} ({n})" for n, s in MIX.items()))
    (OUT / "tiny_lms.md").write_text(note.lstrip("\n"), encoding="utf-8")


if __name__ == "__main__":
    main()
