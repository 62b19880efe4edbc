"""token_count: the three modes against plain Python on generated web documents, null
text, params, and the column through the runner."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from pydantic import ValidationError

from thresher.operators.base import DROP_REASON, StepContext
from thresher.operators.errors import RecipeError
from thresher.operators.recipe import Recipe
from thresher.operators.runner import run
from thresher.operators.text.tokens import TokenCount

from .webdocs import web_documents

REFS = {"whitespace": lambda t: len(t.split()),
        "words_punct": lambda t: len(re.findall(r"\w+|[^\w\s]+", t)),
        "regex": lambda t: len(re.findall(r"[A-Za-z]+", t))}


@pytest.mark.parametrize("mode", list(REFS))
def test_counts_match_python(make_df, mode):
    texts = web_documents(200, seed=23) + ["", "  \u3000 ", "don't stop", "日本語 テキスト", None]
    params = {"mode": mode, **({"pattern": "[A-Za-z]+"} if mode == "regex" else {})}
    op = TokenCount(**params).bind(StepContext(step=1, op_name="token_count"))
    out = {r["id"]: r["n_tokens"] for r in op.transform(make_df(texts)).collect()}
    assert out == {i: (None if t is None else REFS[mode](t)) for i, t in enumerate(texts)}


@pytest.fixture(scope="module")
def bpe_tokenizer(tmp_path_factory):
    """A byte-level BPE tokenizer.json (as GPT-2's, 2,000 ids) trained here on web documents,
    with a BOS/EOS template, and the tokenizers object itself."""
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers import decoders, models, pre_tokenizers, processors, trainers

    tok = tokenizers.Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=2000, special_tokens=["<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(web_documents(300, seed=5), trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 1)])
    path = tmp_path_factory.mktemp("hf") / "tokenizer.json"
    tok.save(str(path))
    return str(path), tok


def test_hf_counts_equal_the_tokenizer(make_df, bpe_tokenizer):
    path, tok = bpe_tokenizer
    texts = (web_documents(150, seed=29) + ["", "日本語 テキスト 🎉", "x" * 200_000, None,
                                            "dropped before"])
    df = make_df(texts, dropped={len(texts) - 1: "earlier:x"})
    for special in (False, True):
        op = TokenCount(mode="hf", tokenizer=path, column="toks", add_special_tokens=special,
                        batch_size=16).bind(StepContext(step=1, op_name="token_count"))
        op.check_placement()
        rows = {r["id"]: (r["toks"], r[DROP_REASON]) for r in op.transform(df).collect()}
        for i, t in enumerate(texts):
            if t is None or i == len(texts) - 1:  # null text, and a row dropped earlier
                assert rows[i][0] is None
            else:
                assert rows[i][0] == len(tok.encode(t, add_special_tokens=special).ids), i
    assert rows[0][0] > len(texts[0].split())  # subwords: more ids than words


def test_hf_tokenizer_checked_before_spark(tmp_path, bpe_tokenizer):
    with pytest.raises(ValidationError, match="tokenizer is required with mode: hf"):
        TokenCount(mode="hf")
    with pytest.raises(ValidationError, match="tokenizer is required with mode: hf"):
        TokenCount(tokenizer=bpe_tokenizer[0])
    with pytest.raises(RecipeError, match="tokenizer file not found") as info:
        TokenCount(mode="hf", tokenizer=str(tmp_path / "none.json")).check_placement()
    assert info.value.param == "tokenizer"
    (tmp_path / "bad.json").write_text('{"version": "1.0", "model": 3}')
    with pytest.raises(RecipeError, match="is not a Hugging Face tokenizer.json"):
        TokenCount(mode="hf", tokenizer=str(tmp_path / "bad.json")).check_placement()


def test_params():
    with pytest.raises(ValidationError, match="pattern is required"):
        TokenCount(mode="regex")
    with pytest.raises(ValidationError, match="pattern is required"):
        TokenCount(pattern="x")
    assert TokenCount(column="toks").adds() == ["toks"]


def test_through_the_runner(spark, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    pd.DataFrame({"id": ["a", "b"], "text": ["one two three", "four five"]}).to_parquet(
        src / "part-0.parquet")
    result = run(Recipe.from_dict({
        "name": "tokens-test",
        "input": {"format": "parquet", "path": str(src), "text_column": "text", "id_column": "id"},
        "steps": [{"token_count": {"column": "toks"}}]}), spark=spark, echo=lambda s: None)
    assert {r["id"]: r["toks"] for r in result.output.collect()} == {"a": 3, "b": 2}
