"""The runner end to end on small data: accounting, outputs, ids, errors."""
from __future__ import annotations

import pandas as pd
import pytest
from pyspark.sql import functions as F

import thresher.jobs.builtins  # noqa: F401
from thresher.operators.base import Operator, OpParams
from thresher.operators.errors import ColumnContractError, InputError, OutputExistsError
from thresher.operators.recipe import Recipe
from thresher.operators.registry import register
from thresher.operators.runner import run

LONG = "the quick brown fox jumps over the lazy dog and then it runs to the river bank with a friend"
OTHER = "a completely different sentence about data lakes and the tables that live inside them today"

ROWS = [
    ("d1", LONG),
    ("d2", LONG.upper()),            # exact duplicate after normalisation
    ("d3", "too short"),
    ("d4", OTHER),
    ("d5", None),                     # empty
    ("d6", "   "),                    # blank
    ("d0", LONG),                     # exact duplicate with a smaller id: the keeper
]


@pytest.fixture()
def corpus(tmp_path):
    path = tmp_path / "in"
    path.mkdir()
    pd.DataFrame(ROWS, columns=["doc", "body"]).to_parquet(path / "part-0.parquet")
    return path


def recipe_dict(corpus, tmp_path, **extra):
    data = {
        "name": "runner-test",
        "input": {"format": "parquet", "path": str(corpus), "text_column": "body", "id_column": "doc"},
        "steps": [{"word_count_filter": {"min": 5}}, {"exact_dedup": {}}],
        "output": {"format": "parquet", "path": str(tmp_path / "out"), "mode": "overwrite",
                   "rejects": str(tmp_path / "rejects"), "stats": str(tmp_path / "stats")},
    }
    data.update(extra)
    return data


def test_run_accounts_for_every_row(spark, corpus, tmp_path):
    result = run(Recipe.from_dict(recipe_dict(corpus, tmp_path)), spark=spark, echo=lambda s: None)
    kept = sorted(r.doc for r in result.output.select("doc").collect())
    assert kept == ["d0", "d4"]
    rejects = {r.doc: (r.drop_reason, r.drop_step) for r in result.rejects.collect()}
    assert rejects == {
        "d1": ("exact_dedup:duplicate", 2), "d2": ("exact_dedup:duplicate", 2),
        "d3": ("word_count_filter:too_few_words", 1),
        "d5": ("read:empty", 0), "d6": ("read:empty", 0),
    }
    steps = [(s.step, s.op, s.rows_in, s.rows_out, s.dropped_by_reason) for s in result.steps]
    assert steps == [
        (0, "read", 7, 5, {"read:empty": 2}),
        (1, "word_count_filter", 5, 4, {"word_count_filter:too_few_words": 1}),
        (2, "exact_dedup", 4, 2, {"exact_dedup:duplicate": 2}),
    ]
    # the stats table written beside the output says the same
    written = spark.read.parquet(str(tmp_path / "stats")).orderBy("step").collect()
    assert [(r.step, r.rows_in, r.rows_out, dict(r.dropped_by_reason)) for r in written] == \
        [(s[0], s[2], s[3], s[4]) for s in steps]
    assert all(r.seconds is not None and r.seconds >= 0 for r in written)
    assert {r.recipe_hash for r in written} == {result.recipe.hash}
    # the rejects carry the evidence
    detail = result.rejects.where("doc = 'd3'").first().drop_detail
    assert "2" in detail and "5" in detail
    assert "word_count_filter:too_few_words=1" in result.summary


def test_fused_mode_gives_the_same_answer(spark, corpus, tmp_path):
    staged = run(Recipe.from_dict(recipe_dict(corpus, tmp_path)), spark=spark, echo=lambda s: None)
    kept_staged = sorted(r.doc for r in staged.output.collect())
    fused = run(Recipe.from_dict(recipe_dict(corpus, tmp_path, execution={"mode": "fused"})),
                spark=spark, echo=lambda s: None)
    assert sorted(r.doc for r in fused.output.collect()) == kept_staged
    assert [(s.rows_in, s.dropped_by_reason) for s in fused.steps] == \
        [(s.rows_in, s.dropped_by_reason) for s in staged.steps]
    assert fused.steps[1].seconds is None


def test_generated_ids_are_content_hashes_and_stable(spark, tmp_path):
    path = tmp_path / "gen"
    path.mkdir()
    pd.DataFrame({"text": [LONG, OTHER, LONG, LONG]}).to_parquet(path / "a.parquet")
    data = {"name": "ids", "input": {"format": "parquet", "path": str(path)}, "steps": []}
    ids1 = sorted(r.id for r in run(Recipe.from_dict(data), spark=spark, echo=lambda s: None)
                  .output.collect())
    ids2 = sorted(r.id for r in run(Recipe.from_dict(data), spark=spark, echo=lambda s: None)
                  .output.collect())
    assert ids1 == ids2 and len(set(ids1)) == 4
    import hashlib
    base = hashlib.sha256(LONG.encode()).hexdigest()[:32]
    assert sorted(i for i in ids1 if i.startswith(base)) == [base, f"{base}-1", f"{base}-2"]


def test_missing_input_path_fails_before_spark(tmp_path):
    data = recipe_dict(tmp_path / "nope", tmp_path)
    with pytest.raises(InputError, match="input path not found: .*nope"):
        run(Recipe.from_dict(data), spark=None, echo=lambda s: None)


def test_missing_text_column(spark, corpus, tmp_path):
    data = recipe_dict(corpus, tmp_path)
    data["input"]["text_column"] = "content"
    with pytest.raises(InputError, match="no text column 'content' .*columns: doc, body"):
        run(Recipe.from_dict(data), spark=spark, echo=lambda s: None)


def test_non_unique_ids_are_refused(spark, tmp_path):
    path = tmp_path / "dup"
    path.mkdir()
    pd.DataFrame({"doc": ["a", "a", "b"], "body": [LONG, OTHER, LONG]}).to_parquet(path / "x.parquet")
    data = recipe_dict(path, tmp_path)
    with pytest.raises(InputError, match="'doc' is not unique .*'a' x2"):
        run(Recipe.from_dict(data), spark=spark, echo=lambda s: None)


def test_column_contract_checked_before_running(spark, corpus, tmp_path):
    data = recipe_dict(corpus, tmp_path)
    data["steps"] = [{"select": {"column": "quality", "min": 0.5}}]
    with pytest.raises(ColumnContractError, match=r"step 1 \(select\) needs column 'quality'"):
        run(Recipe.from_dict(data), spark=spark, echo=lambda s: None)


def test_output_exists_with_mode_error(spark, corpus, tmp_path):
    run(Recipe.from_dict(recipe_dict(corpus, tmp_path)), spark=spark, echo=lambda s: None)
    before = sorted(r.doc for r in spark.read.parquet(str(tmp_path / "out")).collect())
    data = recipe_dict(corpus, tmp_path)
    data["output"]["mode"] = "error"
    with pytest.raises(OutputExistsError, match="already exists"):
        run(Recipe.from_dict(data), spark=spark, echo=lambda s: None)
    assert sorted(r.doc for r in spark.read.parquet(str(tmp_path / "out")).collect()) == before


@register("test_explode_at_runtime")
class ExplodeAtRuntime(Operator):
    """Fails inside a Spark job, like a bad row would. Test only."""

    class Params(OpParams):
        pass

    def transform(self, df):
        return df.withColumn(self.ctx.text_column, F.raise_error(F.lit("boom from a Spark task")))


def test_failed_run_leaves_previous_output_intact(spark, corpus, tmp_path):
    run(Recipe.from_dict(recipe_dict(corpus, tmp_path)), spark=spark, echo=lambda s: None)
    before = sorted(r.doc for r in spark.read.parquet(str(tmp_path / "out")).collect())
    data = recipe_dict(corpus, tmp_path)
    data["steps"] = [{"test_explode_at_runtime": {}}]
    with pytest.raises(Exception, match="boom"):
        run(Recipe.from_dict(data), spark=spark, echo=lambda s: None)
    assert sorted(r.doc for r in spark.read.parquet(str(tmp_path / "out")).collect()) == before
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == \
        ["in", "out", "out_report.html", "rejects", "stats", "stats_metrics"]  # the first run's, report too


def test_no_output_returns_dataframes(spark, corpus, tmp_path):
    data = recipe_dict(corpus, tmp_path)
    data.pop("output")
    result = run(Recipe.from_dict(data), spark=spark, echo=lambda s: None)
    assert sorted(r.doc for r in result.output.collect()) == ["d0", "d4"]
    assert result.stats.count() == 3
    assert not (tmp_path / "out").exists()
