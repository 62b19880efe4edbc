"""Tiny random-weight GPT-2 models (2 layers, 32 wide, ~300 tokens, 64 positions) with a
byte-level BPE tokenizer trained on a few sentences: built offline in about a second."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from thresher.scorers.lm_loss.tiny import save, tiny_gpt2, train_tokenizer  # noqa: E402

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A causal language model predicts the next token from the ones before it.",
    "Bits per character divide the total loss by the characters and by ln 2.",
    "Spark runs Python workers that score Arrow batches of documents.",
    "Café déjà vu: naïve façade, crème brûlée; 日本語のテキスト 🎉",
]

# Texts to score: short, long (several windows at 64 positions), unicode, odd spacing.
TEXTS = [
    "The quick brown fox.",
    "x",
    "A causal language model predicts the next token. " * 12,
    "Spark workers score Arrow batches of documents, one window at a time. " * 30,
    "Café déjà vu — 日本語 🎉 emoji and accents, then plain words again. " * 5,
    "   spaces   and\nnewlines\n\nand\ttabs   ",
    "zzqxj qqqzz xyzzy unseen words entirely",
]


@pytest.fixture(scope="session")
def tokenizer():
    return train_tokenizer(SENTENCES * 3, vocab_size=300)


@pytest.fixture(scope="session")
def lm_dir(tmp_path_factory, tokenizer) -> Path:
    """Folders m_a, m_b, m_c (seeds 1-3) and no_bos (a tokenizer without BOS)."""
    root = tmp_path_factory.mktemp("tiny_lms")
    for name, seed in (("m_a", 1), ("m_b", 2), ("m_c", 3)):
        save(tiny_gpt2(tokenizer, n_positions=64, seed=seed), tokenizer, str(root / name))
    no_bos = train_tokenizer(SENTENCES * 3, vocab_size=300, bos=False)
    save(tiny_gpt2(no_bos, n_positions=64, seed=4), no_bos, str(root / "no_bos"))
    return root
