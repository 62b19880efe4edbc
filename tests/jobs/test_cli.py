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


def test_validate_ok_and_bad(recipe, capsys):
    assert main(["validate", str(recipe)]) == EXIT_OK
    assert "recipe is valid" in capsys.readouterr().out
    assert main(["validate", str(recipe), "--set", "steps.1.min=many"]) == EXIT_USER
    err = capsys.readouterr().err
    assert f"{recipe}:5, step 1 (word_count_filter), param 'min'" in err


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
