"""LMLossScorer against direct torch computations: one window, many windows, batching."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from thresher.scorers.lm_loss.scorer import LMLossScorer, windows

from .conftest import TEXTS


_float64: dict[int, tuple] = {}


def as_float64(model):
    """A float64 copy of the model (made once per model): the references' precision.
    The cache holds the model too, so that its id is not reused by another."""
    if id(model) not in _float64:
        _float64[id(model)] = (model, copy.deepcopy(model).double())
    return _float64[id(model)][1]


def reference_fits(model, ids: list[int]) -> float:
    """The document in one forward pass, in float64: sum of -log p(token | all before)."""
    model64 = as_float64(model)
    with torch.no_grad():
        logits = model64(input_ids=torch.tensor([ids])).logits[0]
    logp = torch.log_softmax(logits[:-1], dim=-1)
    return float(-logp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])].sum())


def reference_strided(model, ids: list[int], block: int, stride: int) -> tuple[float, int]:
    """Hugging Face's perplexity-with-stride loop, one window per forward pass, with the
    model's own loss (mean over the labels not masked with -100), in float64."""
    model64 = as_float64(model)
    seq = torch.tensor([ids])
    total, count, prev_end = 0.0, 0, 0
    for begin in range(0, len(ids), stride):
        end = min(begin + block, len(ids))
        target_len = end - prev_end
        window = seq[:, begin:end]
        labels = window.clone()
        labels[:, :-target_len] = -100
        n = int((labels[:, 1:] != -100).sum())
        with torch.no_grad():
            total += float(model64(input_ids=window, labels=labels).loss) * n
        count += n
        prev_end = end
        if end == len(ids):
            break
    return total, count


def ids_of(tokenizer, text: str, bos: bool = True) -> list[int]:
    prefix = [tokenizer.bos_token_id] if bos else []
    return prefix + tokenizer(text, add_special_tokens=False)["input_ids"]


def load(lm_dir, name="m_a", **kw) -> LMLossScorer:
    return LMLossScorer.from_pretrained(str(lm_dir / name), device="cpu", **kw)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 16, 17, 40])
def test_windows_score_every_token_once_with_the_promised_context(n):
    for block in (2, 3, 5, 8):
        for stride in range(1, block + 1):
            got = windows(n, block, stride)
            scored = [t for _, end, first in got for t in range(first, end)]
            assert scored == list(range(1, n)), (n, block, stride, got)
            least = block - min(stride, block - 1)
            for begin, end, first in got:
                assert end - begin <= block and begin < first
                assert all(t - begin >= min(t, least) for t in range(first, end))


def test_one_window_equals_a_direct_forward_pass(lm_dir, tokenizer):
    scorer = load(lm_dir, block_size=64, stride=32, batch_size=3)
    fits = [t for t in TEXTS if len(ids_of(tokenizer, t)) <= 64]
    assert len(fits) >= 4
    got = scorer.score(fits)
    for i, text in enumerate(fits):
        ids = ids_of(tokenizer, text)
        want = reference_fits(scorer.model, ids)
        assert got.tokens[i] == len(ids) - 1  # BOS makes every token of the text scored
        assert got.chars[i] == len(text)
        assert got.loss[i] == pytest.approx(want, rel=2e-6, abs=1e-5)
        assert got.bpc[i] == pytest.approx(got.loss[i] / (len(text) * math.log(2)), rel=1e-12)


@pytest.mark.parametrize("block,stride", [(64, 32), (64, 64), (16, 5), (9, 3)])
def test_long_documents_equal_the_strided_reference(lm_dir, tokenizer, block, stride):
    scorer = load(lm_dir, "m_b", block_size=block, stride=stride, batch_size=4)
    long = [t for t in TEXTS if len(ids_of(tokenizer, t)) > 64]
    assert len(long) >= 2
    got = scorer.score(long)
    for i, text in enumerate(long):
        ids = ids_of(tokenizer, text)
        assert got.tokens[i] == len(ids) - 1
        if stride < block:  # the textbook loop; it skips a token per window at stride == block
            want, count = reference_strided(scorer.model, ids, block, stride)
            assert count == len(ids) - 1
            assert got.loss[i] == pytest.approx(want, rel=2e-6)
    if stride == block:  # windows step by block - 1: compare with one pass per window
        ids = ids_of(tokenizer, long[0])
        want = sum(reference_fits(scorer.model, ids[b:e]) - reference_fits(scorer.model, ids[b:f])
                   if f - b > 1 else reference_fits(scorer.model, ids[b:e])
                   for b, e, f in windows(len(ids), block, stride))
        assert got.loss[0] == pytest.approx(want, rel=2e-6)


def test_only_scored_positions_are_projected_to_the_vocabulary(lm_dir):
    scorer = load(lm_dir, "m_b", block_size=16, stride=5, batch_size=4)
    assert scorer._keep_mask  # transformers 5 takes a boolean logits_to_keep
    rows = []
    hook = scorer.model.get_output_embeddings().register_forward_hook(
        lambda mod, args, out: rows.append(args[0].reshape(-1, args[0].shape[-1]).shape[0]))
    try:
        kept = scorer.score(TEXTS)
    finally:
        hook.remove()
    assert sum(rows) == kept.tokens.sum()  # one projected row per scored token, none for context
    every = load(lm_dir, "m_b", block_size=16, stride=5, batch_size=4)
    every._keep_mask = False  # the path of models without logits_to_keep
    full = every.score(TEXTS)
    np.testing.assert_array_equal(kept.tokens, full.tokens)
    np.testing.assert_allclose(kept.loss, full.loss, rtol=1e-5)


def test_batching_and_padding_do_not_change_scores(lm_dir):
    one = load(lm_dir, "m_c", block_size=32, stride=16, batch_size=1).score(TEXTS)
    many = load(lm_dir, "m_c", block_size=32, stride=16, batch_size=7).score(TEXTS)
    np.testing.assert_array_equal(one.tokens, many.tokens)
    np.testing.assert_allclose(one.loss, many.loss, rtol=1e-6)


def test_empty_texts_have_no_score_and_other_models_differ(lm_dir):
    got = load(lm_dir, block_size=64, stride=32).score([None, "", "abc"])
    assert np.isnan(got.loss[:2]).all() and np.isnan(got.bpc[:2]).all()
    assert list(got.tokens[:2]) == [0, 0] and list(got.chars) == [0, 0, 3]
    assert got.loss[2] > 0
    other = load(lm_dir, "m_b", block_size=64, stride=32).score(["abc"])
    assert other.loss[0] != pytest.approx(got.loss[2])  # different weights, different loss


def test_without_bos_the_first_token_is_context_only(lm_dir):
    scorer = load(lm_dir, "no_bos", block_size=64, stride=32)
    assert scorer.tokenizer.bos_token_id is None
    text = TEXTS[0]
    ids = ids_of(scorer.tokenizer, text, bos=False)
    got = scorer.score([text, "x"])
    assert got.tokens[0] == len(ids) - 1
    assert got.loss[0] == pytest.approx(reference_fits(scorer.model, ids), rel=2e-6)
    if len(ids_of(scorer.tokenizer, "x", bos=False)) == 1:  # nothing left to predict
        assert got.tokens[1] == 0 and np.isnan(got.bpc[1])


def test_block_size_and_stride_are_checked(lm_dir):
    with pytest.raises(ValueError, match="exceeds the model's 64 positions"):
        load(lm_dir, block_size=128, stride=64)
    with pytest.raises(ValueError, match="stride must be in 1..block_size"):
        load(lm_dir, block_size=32, stride=33)
