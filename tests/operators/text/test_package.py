"""The operators.text package: registration, documentation, and the Gopher rules chained."""
from __future__ import annotations

import re

import pytest
import yaml
from pyspark.sql import functions as F

import thresher.operators.text as text_ops
from thresher.operators.base import DROP_REASON, Filter, StepContext
from thresher.operators.registry import all_operators, get_operator

NAMES = ["normalize_text", "char_count_filter", "word_count_filter", "mean_word_length_filter",
         "alpha_ratio_filter", "symbol_ratio_filter", "line_end_ellipsis_filter",
         "bullet_line_filter", "stopword_filter", "duplicate_line_fraction_filter",
         "top_ngram_repetition_filter"]


def test_all_registered():
    ops = all_operators()
    for name in NAMES:
        cls = ops[name]
        assert cls.name == name
        assert cls.__module__.startswith("thresher.operators.text.")
        assert getattr(text_ops, cls.__name__) is cls
    assert (get_operator("normalize_text") is text_ops.NormalizeText)


@pytest.mark.parametrize("name", NAMES)
def test_documented(name):
    cls = get_operator(name)
    doc = cls.__doc__ or ""
    assert "Example::" in doc
    example = doc.split("Example::", 1)[1].strip().splitlines()[0]
    assert example.startswith(f"- {name}:")
    step = yaml.safe_load(example)[0]
    cls(**(step[name] or {}))  # the documented example is a valid recipe step
    if name not in ("normalize_text", "char_count_filter"):
        assert "Rae et al. 2021" in doc
    for field, info in cls.Params.model_fields.items():
        assert info.description, f"{name}.{field} has no description"
    assert issubclass(cls, Filter) == (name != "normalize_text")


def test_gopher_chain_matches_python_reference(make_df, english, ref):
    """All Gopher filters in a row, as a recipe would chain them: every document gets the
    reason of the first rule that the plain-Python reference says it fails."""
    padding = (" The report says that the work will be done with care and that the town "
               "will have to be patient.") * 4
    texts = list(english.values()) + [english[k] + "\n" + padding for k in english]
    steps = [("word_count_filter", {}), ("mean_word_length_filter", {}),
             ("alpha_ratio_filter", {}), ("symbol_ratio_filter", {}),
             ("line_end_ellipsis_filter", {}), ("bullet_line_filter", {}),
             ("stopword_filter", {}), ("duplicate_line_fraction_filter", {}),
             ("duplicate_line_fraction_filter", {"unit": "paragraph"}),
             ("top_ngram_repetition_filter", {})]
    df = make_df(texts)
    for i, (name, params) in enumerate(steps, start=1):
        op = get_operator(name)(**params)
        df = op.bind(StepContext(text_column="text", step=i, op_name=name)).transform(df)
    got = {r["id"]: r[DROP_REASON] for r in df.select("id", DROP_REASON).collect()}
    expected = {i: ref.gopher_reason(t) for i, t in enumerate(texts)}
    assert got == expected
    # the corpus exercises most rules, and keeps some documents
    reasons = {re.sub(r":.*", "", r) for r in expected.values() if r}
    assert len(reasons) >= 6 and None in expected.values()


def test_pathological_inputs(make_df, engine_ctx):
    """Very long tokens and lines, blank and null texts through every operator's
    expressions in one job: nothing backtracks over a whole token, no ANSI index error
    on an empty array, nulls stay null."""
    texts = ["x" * 300_000, "1" * 300_000, "." * 90_000, " \t\n" * 30_000,
             "• " * 50_000, "-\n" * 50_000, "", None, "word"]
    ctx = engine_ctx(text_column="text", step=1)
    cols = [get_operator("normalize_text")().normalized(F.col("text")).alias("normalized")]
    for name in NAMES[2:]:
        op = get_operator(name)().bind(ctx)
        cols.append(op.metrics_struct().alias(name))
    rows = {r["id"]: r for r in make_df(texts).select("id", *cols).collect()}
    assert rows[0]["word_count_filter"]["words"] == 1
    assert rows[1]["alpha_ratio_filter"].asDict() == {"alpha": 0, "words": 1}
    assert rows[2]["symbol_ratio_filter"]["ellipses"] == 30_000
    assert rows[2]["line_end_ellipsis_filter"].asDict() == {"ellipsis_lines": 1, "lines": 1}
    assert rows[3]["normalized"] == ""
    assert rows[3]["word_count_filter"]["words"] == 0
    assert rows[4]["bullet_line_filter"].asDict() == {"bullet_lines": 1, "lines": 1}
    assert rows[5]["bullet_line_filter"]["bullet_lines"] == 50_000
    assert rows[5]["duplicate_line_fraction_filter"]["dup"]["dups"] == 49_999
    assert rows[4]["top_ngram_repetition_filter"]["top"][0].asDict() == {
        "gram": "• •", "count": 49_999}
    for name in NAMES[2:]:
        assert rows[6][name] is not None
    assert rows[7]["normalized"] is None
    assert rows[7]["stopword_filter"]["stopwords"] is None
    assert rows[7]["word_count_filter"]["words"] is None
