"""token_count: the three modes against plain Python on generated web documents, null
text, params, and the column through the runner."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from pydantic import ValidationError

from thresher.operators.base import StepContext
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
