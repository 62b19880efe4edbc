"""Progress lines while a run works (operators/progress.py)."""
from __future__ import annotations

import io
import time

import pytest

import thresher.jobs.builtins  # noqa: F401
from thresher.operators.errors import ThresherError
from thresher.operators.progress import Progress
from thresher.operators.recipe import Recipe
from thresher.operators.runner import run


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _recipe(spark, tmp_path, mode: str) -> Recipe:
    spark.createDataFrame([(str(i), "word " * (i % 7)) for i in range(60)], "id string, text string") \
        .write.parquet(str(tmp_path / "in"))
    return Recipe.from_dict({
        "name": "progress", "execution": {"mode": mode},
        "input": {"format": "parquet", "path": str(tmp_path / "in"), "id_column": "id"},
        "steps": [{"word_count_filter": {"min": 3}}, {"exact_dedup": {}}],
        "output": {"format": "parquet", "path": str(tmp_path / "out"), "mode": "overwrite",
                   "stats": str(tmp_path / "stats"), "report": False}})


def _tasks(line: str) -> int:
    return int(line.rsplit(": ", 1)[1].split(" tasks")[0].replace(",", ""))


def test_a_line_per_step_with_its_tasks(spark, tmp_path):
    stream = io.StringIO()
    progress = Progress(spark, mode="lines", stream=stream)
    run(_recipe(spark, tmp_path, "staged"), spark=spark, echo=lambda _: None, progress=progress)
    lines = stream.getvalue().splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "step 0/2 read", "step 1/2 word_count_filter", "step 2/2 exact_dedup", "writing kept, stats"]
    assert lines == progress.lines and "\r" not in stream.getvalue()
    assert all(_tasks(line) > 0 for line in lines)  # each step ran Spark tasks of its own group


def test_fused_run_is_one_tracked_block(spark, tmp_path):
    stream = io.StringIO()
    run(_recipe(spark, tmp_path, "fused"), spark=spark, echo=lambda _: None,
        progress=Progress(spark, mode="lines", stream=stream))
    assert [line.split(": ")[1] for line in stream.getvalue().splitlines()] == [
        "steps 0-2 of 2, fused into one plan", "writing kept, stats"]


def test_live_mode_redraws_in_place_and_restores_the_job_group(spark):
    stream = Terminal()
    progress = Progress(spark, mode="live", stream=stream, interval=0.02)
    spark.sparkContext.setJobGroup("callers-group", "the caller's own", interruptOnCancel=False)
    try:
        with progress.track("counting"):
            spark.range(1000, numPartitions=3).count()
            time.sleep(0.2)  # several redraw intervals
        assert spark.sparkContext.getLocalProperty("spark.jobGroup.id") == "callers-group"
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    text = stream.getvalue()
    assert text.count("\r\033[K") >= 3 and "tasks done" in text and "running" in text
    assert text.endswith("\n") and _tasks(progress.lines[0]) >= 3


def test_a_failed_block_says_so_and_raises(spark):
    stream = io.StringIO()
    progress = Progress(spark, mode="lines", stream=stream)
    with pytest.raises(ZeroDivisionError):
        with progress.step(1, 1, "broken"):
            1 / 0
    assert stream.getvalue().rstrip().endswith("(failed)")


def test_auto_mode(spark, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert Progress.auto(spark, stream=Terminal()).mode == "live"
    assert Progress.auto(spark, stream=io.StringIO()).mode == "lines"
    assert Progress.auto(spark, stream=Terminal(), quiet=True).mode == "off"
    monkeypatch.setenv("CI", "true")
    assert Progress.auto(spark, stream=Terminal()).mode == "off"
    off = Progress.auto(spark, stream=io.StringIO())
    with off.step(1, 1, "silent"):
        spark.range(3).count()
    assert off.lines == []
    with pytest.raises(ThresherError, match="progress mode"):
        Progress(spark, mode="loud")


def test_notebook_shows_the_summary_as_a_table(spark, tmp_path):
    result = run(_recipe(spark, tmp_path, "staged"), spark=spark, echo=lambda _: None)
    html = result._repr_html_()
    assert html.count("<tr>") == 1 + len(result.steps)  # the head and a row per step
    kept = result.steps[-1].rows_out
    assert f"{kept:,} kept" in html and "word_count_filter:too_few_words: " in html
    assert f"<code>parquet {tmp_path / 'out'}</code>" in html
