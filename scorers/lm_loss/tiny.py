"""Tiny GPT-2 models built offline: for tests, the benchmark and the bundled demo models.

No hub: a byte-level BPE tokenizer is trained on the given texts with the
``tokenizers`` library (``<|endoftext|>`` as BOS/EOS, as GPT-2's), and a GPT-2 is
built from a ``GPT2Config`` with random weights, optionally trained for a few steps
on texts (plain next-token prediction, Adam), then saved with ``save_pretrained``.

Example::

    tok = train_tokenizer(texts, vocab_size=512)
    model = tiny_gpt2(tok, n_positions=256, seed=1)
    train_lm(model, tok, texts, steps=200)
    save(model, tok, "models/tiny")       # a folder lm_loss can load
"""
from __future__ import annotations

import os

import torch

BOS = "<|endoftext|>"


def train_tokenizer(texts, *, vocab_size: int = 512, bos: bool = True):
    """A byte-level BPE ``PreTrainedTokenizerFast`` trained on ``texts`` (any text encodes:
    every byte is in the alphabet). ``bos=False`` gives one without a BOS token."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[BOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(list(texts), trainer)
    special = dict(bos_token=BOS, eos_token=BOS) if bos else dict(eos_token=BOS)
    return PreTrainedTokenizerFast(tokenizer_object=tok, **special)


def tiny_gpt2(tokenizer, *, n_layer: int = 2, n_embd: int = 32, n_head: int = 2,
              n_positions: int = 256, vocab_size: int | None = None, seed: int = 0):
    """A GPT-2 with random weights (seeded) sized for ``tokenizer`` (or ``vocab_size``)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    eos = tokenizer.convert_tokens_to_ids(BOS)
    config = GPT2Config(vocab_size=vocab_size or len(tokenizer), n_positions=n_positions,
                        n_embd=n_embd, n_layer=n_layer, n_head=n_head, bos_token_id=eos,
                        eos_token_id=eos, architectures=["GPT2LMHeadModel"])
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return GPT2LMHeadModel(config).eval()


def train_lm(model, tokenizer, texts, *, steps: int, batch_size: int = 16, seq_len: int = 64,
             lr: float = 3e-3, seed: int = 0):
    """Next-token training on ``texts`` (concatenated, EOS between, random crops)."""
    ids = []
    for row in tokenizer(list(texts), add_special_tokens=False)["input_ids"]:
        ids.extend([tokenizer.convert_tokens_to_ids(BOS), *row])
    data = torch.tensor(ids, dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        starts = torch.randint(0, len(data) - seq_len - 1, (batch_size,), generator=gen)
        batch = torch.stack([data[s:s + seq_len] for s in starts.tolist()])
        loss = model(input_ids=batch, labels=batch).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def save(model, tokenizer, path: str) -> str:
    """Write the model and its tokenizer into the folder ``path`` (created)."""
    os.makedirs(path, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
