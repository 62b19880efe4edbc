"""output.report: the report written beside the outputs at the end of a run, named last
in the summary; a report that fails is a note and the run's outputs stay."""
from __future__ import annotations

import os

import pytest

import thresher.jobs.builtins  # noqa: F401
from thresher.jobs.cli import main
from thresher.operators.errors import RecipeError
from thresher.operators.recipe import Recipe
from thresher.operators.runner import run


def _recipe(root, **output):
    return Recipe.from_dict({
        "name": "report_end",
        "input": {"format": "parquet", "path": str(root / "in"), "text_column": "body",
                  "id_column": "doc"},  # not text/id: the report follows the recipe
        "steps": [{"word_count_filter": {"min": 3}}],
        "output": {"format": "parquet", "path": str(root / "out"), "mode": "overwrite",
                   "rejects": str(root / "out_rejects"), "stats": str(root / "out_stats"), **output}})


@pytest.fixture(scope="module")
def root(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("report_end")
    rows = [(f"d{i}", "one two three four" if i % 3 else "too short") for i in range(9)]
    spark.createDataFrame(rows, "doc string, body string").write.parquet(str(root / "in"))
    return root


def test_report_on_by_default_and_named_last(spark, root):
    lines = []
    result = run(_recipe(root), spark=spark, echo=lines.append)
    path = str(root / "out_report.html")
    assert os.path.isfile(path) and not result.notes
    assert result.summary.splitlines()[-1] == f"report: {path}"
    assert result.outputs["report"] == f"html {path}"


def test_report_path_false_and_hash(spark, root, tmp_path):
    named = _recipe(root, report=str(tmp_path / "r.html"))
    assert named.spec.output.report == str(tmp_path / "r.html")
    assert named.hash == _recipe(root, report=False).hash == _recipe(root).hash
    result = run(_recipe(root, report=False), spark=spark, echo=lambda _: None)
    assert "report" not in result.outputs and "report:" not in result.summary
    with pytest.raises(RecipeError, match="output.report"):
        _recipe(root, report=[1])


def test_failing_report_is_a_note_and_the_run_stays(spark, root, monkeypatch):
    import thresher.operators.report as report

    def broken(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(report, "write_report", broken)
    result = run(_recipe(root, report=str(root / "never.html")), spark=spark, echo=lambda _: None)
    assert not os.path.exists(root / "never.html")
    assert any(n.startswith("run report not written (RuntimeError: boom)") for n in result.notes)
    assert result.output.count() == 6  # the outputs are committed and readable


def test_cli_report_command(spark, root, tmp_path, capsys):
    run(_recipe(root, report=False), spark=spark, echo=lambda _: None)
    out = tmp_path / "cli.html"
    assert main(["report", str(root / "out_stats"), "--out", str(out), "--text-column", "body",
                 "--id-column", "doc"]) == 0
    assert capsys.readouterr().out.strip() == f"report: {out}"
    assert "<section id=\"funnel\">" in out.read_text(encoding="utf-8")
    assert main(["report", str(tmp_path / "missing")]) == 2  # ReportError is a UserError
