"""Discovering tables: datasets, lake folders, Delta tables, CSV, globs, hidden files."""
from __future__ import annotations

import pandas as pd
import pytest

from thresher.dedup.containment.sources import discover, file_format
from thresher.operators.errors import ContainmentInputError

from .lakegen import write_delta


def _touch_parquet(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"x": [1]}).to_parquet(path)


def test_classifies_folders(tmp_path):
    _touch_parquet(tmp_path / "lake" / "a.parquet")                     # a file table
    _touch_parquet(tmp_path / "lake" / "ds" / "part-00000.parquet")     # a dataset
    _touch_parquet(tmp_path / "lake" / "ds" / "part-00001.parquet")
    _touch_parquet(tmp_path / "lake" / "hive" / "k=1" / "x.parquet")     # partitioned
    _touch_parquet(tmp_path / "lake" / "spark" / "anything.parquet")
    (tmp_path / "lake" / "spark" / "_SUCCESS").write_text("")
    (tmp_path / "lake" / "sub").mkdir()
    pd.DataFrame({"x": [1]}).to_csv(tmp_path / "lake" / "sub" / "c.csv", index=False)
    write_delta(pd.DataFrame({"x": [1]}), tmp_path / "lake" / "delta")
    _touch_parquet(tmp_path / "lake" / "_hidden" / "h.parquet")
    _touch_parquet(tmp_path / "lake" / ".dot.parquet")
    (tmp_path / "lake" / "README.md").write_text("hi")
    found = discover([str(tmp_path / "lake")])
    t = lambda p: str(tmp_path / "lake" / p)  # noqa: E731
    assert [(r.name, r.format) for r in found.tables] == [
        (t("a.parquet"), "parquet"), (t("delta"), "delta"), (t("ds"), "parquet"),
        (t("hive"), "parquet"), (t("spark"), "parquet"), (t("sub/c.csv"), "csv")]
    assert found.skipped == [{"table": t("README.md"), "reason": "not a Parquet or CSV file"}]


def test_globs_dedupe_and_exclude(tmp_path):
    for n in ("a", "b"):
        _touch_parquet(tmp_path / f"{n}.parquet")
    _touch_parquet(tmp_path / "out" / "edges.parquet")
    found = discover([str(tmp_path / "*.parquet"), str(tmp_path / "a.parquet"), str(tmp_path)],
                     exclude=(str(tmp_path / "out"),))
    assert [r.name for r in found.tables] == [str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")]


def test_mixed_dataset_and_empty_log_are_skipped(tmp_path):
    _touch_parquet(tmp_path / "mixed" / "part-0.parquet")
    (tmp_path / "mixed" / "part-1.csv").write_text("x\n1\n")
    (tmp_path / "nolog" / "_delta_log").mkdir(parents=True)
    found = discover([str(tmp_path)])
    reasons = {s["table"]: s["reason"] for s in found.skipped}
    assert "not all Parquet or all CSV" in reasons[str(tmp_path / "mixed")]
    assert "no commit" in reasons[str(tmp_path / "nolog")]
    assert found.tables == []


def test_bad_sources(tmp_path):
    with pytest.raises(ContainmentInputError, match="at least one SOURCE"):
        discover([])
    with pytest.raises(ContainmentInputError, match="no such file"):
        discover([str(tmp_path / "nope")])
    with pytest.raises(ContainmentInputError, match="no files or folders match"):
        discover([str(tmp_path / "*.parquet")])


def test_file_format():
    assert file_format("/x/part-0000.snappy.parquet") == "parquet"
    assert file_format("/x/a.CSV") == "csv" and file_format("/x/a.csv.gz") == "csv"
    assert file_format("/x/a.json") is None
