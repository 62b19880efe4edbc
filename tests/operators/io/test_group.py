"""A run's outputs commit as a group: a failure at any commit point leaves every output
as the previous run left it; a rerun completes (kill -9: test_group_kills.py)."""
from __future__ import annotations

import os

import pandas as pd
import pytest

import thresher.jobs.builtins  # noqa: F401
from thresher.operators.errors import OutputError
from thresher.operators.io import read_output
from thresher.operators.io.delta import committed_runs
from thresher.operators.io.fs import LocalFS, reset_failpoints
from thresher.operators.recipe import Recipe
from thresher.operators.runner import run

WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda".split()


def _corpus(path, tag: str, n: int = 12):
    path.mkdir(parents=True, exist_ok=True)
    rows = [(f"{tag}{i}", " ".join([tag] + WORDS[: 3 + i % 8])) for i in range(n)]
    pd.DataFrame(rows, columns=["doc", "body"]).to_parquet(path / "part-0.parquet")


def _recipe(tmp_path, fmt: str, corpus) -> dict:
    return {"name": "group-test",
            "input": {"format": "parquet", "path": str(corpus), "text_column": "body",
                      "id_column": "doc"},
            "steps": [{"word_count_filter": {"min": 6}}],
            "output": {"format": fmt, "path": str(tmp_path / "out"), "mode": "overwrite",
                       "rejects": str(tmp_path / "rejects"), "stats": str(tmp_path / "stats")}}


def _state(spark, tmp_path, fmt: str) -> dict:
    """What a reader sees: the ids in kept and rejects, and the run ids in stats."""
    def ids(name, col):
        return sorted(r[0] for r in read_output(spark, format=fmt, path=str(tmp_path / name))
                      .select(col).distinct().collect())
    return {"kept": ids("out", "doc"), "rejects": ids("rejects", "doc"),
            "stats": ids("stats", "run_id")}


def _journals(tmp_path) -> list[str]:
    return [n for n in os.listdir(tmp_path) if ".group-" in n]


# Commit points: @1 rejects, @2 kept, @3 stats, then the group's own.
@pytest.mark.parametrize("fmt,point", [("delta", "before_commit@1"), ("delta", "before_commit@3"),
                                       ("delta", "before_group_commit"),
                                       ("parquet", "before_commit@2"),
                                       ("parquet", "before_group_commit")])
def test_failure_at_each_commit_point_rolls_every_output_back(spark, tmp_path, monkeypatch,
                                                              fmt, point):
    _corpus(tmp_path / "in1", "a")
    first = run(Recipe.from_dict(_recipe(tmp_path, fmt, tmp_path / "in1")), spark=spark,
                echo=lambda s: None)
    before = _state(spark, tmp_path, fmt)
    assert before["kept"] and before["rejects"] and before["stats"] == [first.run_id]

    _corpus(tmp_path / "in2", "b")
    reset_failpoints()
    monkeypatch.setenv("THRESHER_FAILPOINTS", f"{point}=raise")
    with pytest.raises(OutputError, match="failpoint"):
        run(Recipe.from_dict(_recipe(tmp_path, fmt, tmp_path / "in2")), spark=spark,
            echo=lambda s: None)
    monkeypatch.delenv("THRESHER_FAILPOINTS")
    assert _state(spark, tmp_path, fmt) == before
    assert not _journals(tmp_path)
    if fmt == "delta":  # the index and other readers of run ids see only the first run
        assert committed_runs(LocalFS(), str(tmp_path / "out")) == {first.run_id}

    second = run(Recipe.from_dict(_recipe(tmp_path, fmt, tmp_path / "in2")), spark=spark,
                 echo=lambda s: None)
    after = _state(spark, tmp_path, fmt)
    assert after["stats"] == [second.run_id] and all(d.startswith("b") for d in after["kept"])


def test_first_run_that_fails_leaves_no_output(spark, tmp_path, monkeypatch):
    _corpus(tmp_path / "in1", "a")
    reset_failpoints()
    monkeypatch.setenv("THRESHER_FAILPOINTS", "before_group_commit=raise")
    recipe = _recipe(tmp_path, "delta", tmp_path / "in1")
    recipe["output"]["mode"] = "error"
    with pytest.raises(OutputError):
        run(Recipe.from_dict(recipe), spark=spark, echo=lambda s: None)
    assert not {"out", "rejects", "stats"} & set(os.listdir(tmp_path))
    monkeypatch.delenv("THRESHER_FAILPOINTS")
    run(Recipe.from_dict(recipe), spark=spark, echo=lambda s: None)  # mode error: nothing in the way
    assert len(_state(spark, tmp_path, "delta")["stats"]) == 1


def test_append_rolled_back_removes_only_this_runs_files(spark, tmp_path, monkeypatch):
    _corpus(tmp_path / "in1", "a")
    recipe = _recipe(tmp_path, "parquet", tmp_path / "in1")
    recipe["output"]["mode"] = "append"
    run(Recipe.from_dict(recipe), spark=spark, echo=lambda s: None)
    before = _state(spark, tmp_path, "parquet")
    _corpus(tmp_path / "in2", "b")
    reset_failpoints()
    monkeypatch.setenv("THRESHER_FAILPOINTS", "before_group_commit=raise")
    with pytest.raises(OutputError):
        run(Recipe.from_dict(_recipe(tmp_path, "parquet", tmp_path / "in2")
                             | {"output": recipe["output"]}), spark=spark, echo=lambda s: None)
    assert _state(spark, tmp_path, "parquet") == before
