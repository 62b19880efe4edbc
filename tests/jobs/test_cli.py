"""The `thresher` CLI: commands, exit codes, and messages."""
from __future__ import annotations

import json
import textwrap

import pandas as pd
import pytest

from pyspark.sql import functions as F

from thresher.jobs.cli import EXIT_OK, EXIT_RUNTIME, EXIT_USER, main
from thresher.operators import Operator, register, runner

RECIPE = """
name: cli
input: {{format: parquet, path: {inp}, id_column: id}}
steps:
  - word_count_filter: {{min: 3}}
output: {{format: parquet, path: {out}, mode: overwrite}}
"""


@pytest.fixture()
def recipe(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    pd.DataFrame({"id": ["a", "b"], "text": ["one two three four", "short"]}).to_parquet(inp / "p.parquet")
    path = tmp_path / "r.yaml"
    path.write_text(textwrap.dedent(RECIPE.format(inp=inp, out=tmp_path / "out")))
    return path


def test_ops_lists_every_operator_with_params(capsys):
    assert main(["ops", "--json"]) == EXIT_OK
    ops = {op["name"]: op for op in json.loads(capsys.readouterr().out)}
    wc = {p["name"]: p for p in ops["word_count_filter"]["params"]}
    assert wc["min"]["default"] == 50 and wc["max"]["default"] == 100000
    assert ops["word_count_filter"]["kind"] == "filter"
    assert ops["normalize_text"]["kind"] == "transform"
    assert main(["ops"]) == EXIT_OK
    text = capsys.readouterr().out
    assert "exact_dedup" in text and "min: " in text


def test_ops_type_names():
    from typing import Literal, Optional, Union

    from thresher.jobs.cli import type_name

    assert type_name(Literal["softmax", "ova"]) == "Literal['softmax', 'ova']"
    assert type_name(Optional[int]) == "Optional[int]"
    assert type_name(int | None) == "Optional[int]"
    assert type_name(Literal["spearman", "kendall"] | None) == "Optional[Literal['spearman', 'kendall']]"
    assert type_name(Optional[Union[str, list[str]]]) == "Optional[str | list[str]]"
    assert type_name(str | dict[str, float]) == "str | dict[str, float]"
    assert type_name(list) == "list" and type_name(bool) == "bool"


def test_ops_shows_required_params_types_and_whole_summaries(capsys):
    assert main(["ops"]) == EXIT_OK
    text = capsys.readouterr().out
    assert "'required'" not in text
    assert "    model: str (required)  fastText model file" in text  # fasttext_score
    assert "    loss: Literal['softmax', 'ova', 'hs', 'ns'] = 'softmax'" in text
    assert "    correlation: Optional[Literal['spearman', 'kendall']] = None" in text
    assert "    max: Optional[int] = None" in text  # char_count_filter
    assert main(["ops", "--json"]) == EXIT_OK
    ops = {op["name"]: op for op in json.loads(capsys.readouterr().out)}
    model = {p["name"]: p for p in ops["fasttext_score"]["params"]}["model"]
    assert model["required"] is True and model["default"] is None
    # A summary is one whole sentence: the three that stopped mid-sentence end now.
    for name, op in ops.items():
        assert op["summary"].endswith((".", ".)")), (name, op["summary"])
    assert ops["fasttext_train"]["summary"] == (
        "Train a fastText classifier on a labelled Parquet set; the rows pass through.")


def test_summary_line_takes_the_first_sentence():
    from thresher.jobs.cli import summary_line

    assert summary_line("First line goes\n    on here. Second sentence.\n\n    Body.") == (
        "First line goes on here.")
    assert summary_line(None) == ""


def test_validate_ok_and_bad(recipe, capsys):
    assert main(["validate", str(recipe)]) == EXIT_OK
    assert "recipe is valid" in capsys.readouterr().out
    assert main(["validate", str(recipe), "--set", "steps.1.min=many"]) == EXIT_USER
    err = capsys.readouterr().err
    # The bad value came from the command line, not from line 5 of the recipe.
    assert "--set steps.1.min=many, step 1 (word_count_filter), param 'min'" in err


def test_dry_run_starts_no_spark(recipe, capsys, monkeypatch):
    def no_spark(**kwargs):
        raise AssertionError("--dry-run must not start Spark")

    monkeypatch.setattr(runner, "get_or_create_session", no_spark)
    assert main(["run", str(recipe), "--dry-run"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "step 1  word_count_filter(min=3" in out and "output  parquet" in out


def test_bad_input_exit_code(recipe, tmp_path, capsys):
    assert main(["run", str(recipe), "--set", f"input.path={tmp_path}/missing"]) == EXIT_USER
    assert "input path not found" in capsys.readouterr().err


@register("test_cli_explode")
class Explode(Operator):
    """Fails inside a Spark task. Test only."""

    def transform(self, df):
        return df.withColumn("text", F.raise_error(F.lit("boom in a task")))


def test_runtime_failure_exit_code(spark, recipe, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(recipe.read_text().replace("word_count_filter: {min: 3}", "test_cli_explode: {}"))
    assert main(["run", str(bad)]) == EXIT_RUNTIME
    err = capsys.readouterr().err
    assert "runtime failure" in err and "boom in a task" in err


def test_run_writes_and_summarises(spark, recipe, tmp_path, capsys):
    assert main(["run", str(recipe)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "2 rows in, 1 kept (50.0%)" in out and "word_count_filter:too_few_words=1" in out
    assert [r.id for r in spark.read.parquet(str(tmp_path / "out")).collect()] == ["a"]
