"""lm_loss on Spark: values equal the scorer's, drops, sampling, shipping, recipe checks."""
from __future__ import annotations

import json
import shutil

import pytest

import thresher.jobs.builtins  # noqa: F401
from thresher.operators.base import DROP_DETAIL, DROP_REASON, DROP_STEP, StepContext
from thresher.operators.errors import RecipeError
from thresher.operators.recipe import Recipe
from thresher.scorers.lm_loss.operator import LMLoss, _ship
from thresher.scorers.lm_loss.scorer import LMLossScorer

from .conftest import TEXTS

SCHEMA = f"id long, text string, {DROP_REASON} string, {DROP_STEP} int, {DROP_DETAIL} string"


def bind(op):
    return op.bind(StepContext(text_column="text", id_column="id", step=3, op_name=op.name))


@pytest.fixture(scope="module")
def docs(spark):
    rows = [(i, t, None, None, None) for i, t in enumerate(TEXTS)]
    rows += [(100, "", None, None, None), (101, None, None, None, None),
             (102, "dropped earlier", "earlier:reason", 1, "x")]
    return spark.createDataFrame(rows, SCHEMA).repartition(3)


def test_columns_equal_the_scorer_and_unscored_rows_are_null(docs, lm_dir):
    path = str(lm_dir / "m_a")
    op = bind(LMLoss(model=path, prefix="m1", block_size=32, stride=16, batch_size=4))
    assert op.adds() == ["m1_loss", "m1_tokens", "m1_chars", "m1_bpc"]
    got = {r.id: r for r in op.transform(docs).collect()}
    want = LMLossScorer.from_pretrained(path, device="cpu", block_size=32, stride=16).score(TEXTS)
    for i, text in enumerate(TEXTS):
        row = got[i]
        assert row[DROP_REASON] is None
        assert (row.m1_tokens, row.m1_chars) == (want.tokens[i], len(text))
        assert row.m1_loss == pytest.approx(want.loss[i], rel=1e-6)
        assert row.m1_bpc == pytest.approx(want.bpc[i], rel=1e-6)
    for i in (100, 101):  # zero characters: dropped, not scored
        assert got[i][DROP_REASON] == "lm_loss:empty" and got[i][DROP_STEP] == 3
        assert got[i][DROP_DETAIL] == "text has 0 characters"
        assert got[i].m1_loss is None and got[i].m1_bpc is None
    earlier = got[102]
    assert earlier[DROP_REASON] == "earlier:reason" and earlier.m1_loss is None


def test_sample_scores_the_same_rows_in_every_step(spark, lm_dir):
    rows = [(i, f"document number {i} about foxes and dogs", None, None, None) for i in range(120)]
    df = spark.createDataFrame(rows, SCHEMA)
    first = bind(LMLoss(model=str(lm_dir / "m_a"), prefix="a", block_size=32, stride=16,
                        sample=0.25))
    second = bind(LMLoss(model=str(lm_dir / "m_b"), prefix="b", block_size=32, stride=16,
                         sample=0.25))
    got = second.transform(first.transform(df)).collect()
    scored_a = {r.id for r in got if r.a_bpc is not None}
    scored_b = {r.id for r in got if r.b_bpc is not None}
    assert scored_a == scored_b and 12 <= len(scored_a) <= 50  # ~30 of 120
    assert all(r[DROP_REASON] is None for r in got)  # unsampled rows stay, unscored
    assert {r.a_tokens for r in got if r.id not in scored_a} == {None}


def test_the_model_folder_is_read_from_the_shipped_copy(spark, lm_dir, tmp_path):
    """After addArchive the executors read SparkFiles' copy: the original may go away."""
    path = tmp_path / "model"
    shutil.copytree(lm_dir / "m_c", path)
    df = spark.createDataFrame([(1, "The quick brown fox.")], "id long, text string")
    scored = bind(LMLoss(model=str(path), prefix="c", block_size=64, stride=32)).transform(df)
    shutil.rmtree(path)
    row = scored.collect()[0]
    assert row.c_bpc is not None and row.c_bpc > 0
    assert set(scored.columns) == {"id", "text", "c_loss", "c_tokens", "c_chars", "c_bpc"}


def recipe(**step) -> dict:
    return {"name": "lm", "input": {"format": "parquet", "path": "/nowhere"},
            "steps": [{"lm_loss": {"prefix": "m1", **step}}]}


def test_recipe_validation_names_the_problem(lm_dir, tmp_path):
    good = str(lm_dir / "m_a")
    no_config = tmp_path / "no_config"
    no_config.mkdir()
    encoder = tmp_path / "encoder"
    shutil.copytree(lm_dir / "m_a", encoder)
    config = json.loads((encoder / "config.json").read_text())
    (encoder / "config.json").write_text(json.dumps({**config, "architectures": ["BertModel"]}))
    no_tok = tmp_path / "no_tok"
    no_tok.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(lm_dir / "m_a" / name, no_tok / name)
    cases = [
        (dict(model=str(tmp_path / "missing")), "model folder not found"),
        (dict(model=str(no_config)), "no config.json"),
        (dict(model=str(encoder)), "not a causal language model: .* BertModel"),
        (dict(model=str(no_tok)), "no tokenizer"),
        (dict(model=good, block_size=128, stride=64), "block_size 128 exceeds the 64 positions"),
        (dict(model=good, block_size=32, stride=64), r"stride \(64\) must be at most block_size"),
        (dict(model=good, prefix="1bad"), "should match pattern"),
        (dict(model=good, sample=0), "greater than 0"),
    ]
    for step, message in cases:
        with pytest.raises(RecipeError, match=message) as info:
            Recipe.from_dict(recipe(**step))
        assert "step 1 (lm_loss)" in str(info.value)
    ok = Recipe.from_dict(recipe(model=good, block_size=64, stride=32))
    assert ok.operators[0].params.model == good
    assert ok.operators[0].params.tokenizer is None
    with_tok = Recipe.from_dict(recipe(model=str(no_tok), tokenizer=good, block_size=64,
                                       stride=32))
    assert with_tok.operators[0].params.tokenizer == good
    hub = Recipe.from_dict(recipe(model="hf:org/tiny-lm"))  # no network: checked at run time
    assert hub.operators[0].params.model == "hf:org/tiny-lm"
    assert _ship(None, "hf:org/tiny-lm").local_path() == "org/tiny-lm"  # nothing shipped
    with pytest.raises(RecipeError, match="hf: needs a hub id"):
        Recipe.from_dict(recipe(model="hf: "))
