"""Whole runs in fresh processes: the quickstart, a kill -9 mid-commit, the notebook
(spark-submit of jobs/run_recipe.py: tests/jobs/test_spark_log.py and test_cluster.py)."""
from __future__ import annotations

import os
import runpy
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from deltalake import DeltaTable

from thresher.operators.recipe import Recipe
from tests.browser import CHROMIUM, check_report
from tests.jobs.spark_lines import progress_lines, spark_lines

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow

SENTENCES = [
    "the river runs past the old mill and the children play on the bank with their dogs",
    "data engineers build pipelines that move the tables of a lake into a curated warehouse",
    "a quiet morning in the valley with the sound of bells and the smell of fresh bread",
]


def env(**extra):
    e = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    e.update(extra)
    return e


@pytest.fixture()
def small_recipe(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    texts = [SENTENCES[i % 3] + f" number {i}" for i in range(60)] + ["too short"] * 5
    pd.DataFrame({"id": [f"d{i:03d}" for i in range(len(texts))], "text": texts}).to_parquet(
        inp / "part-0.parquet")
    recipe = tmp_path / "small.yaml"
    recipe.write_text(textwrap.dedent(f"""
        name: small
        spark: {{master: "local[2]", conf: {{spark.sql.shuffle.partitions: 4}}}}
        input: {{format: parquet, path: {inp}, id_column: id}}
        steps:
          - word_count_filter: {{min: 5}}
        output: {{format: delta, path: {tmp_path / 'out'}, mode: overwrite}}
    """))
    return recipe


def test_quickstart_cli_is_quiet_but_for_one_progress_line_per_step(tmp_path):
    out = tmp_path / "qs"
    quiet = env()
    quiet.pop("CI", None)  # CI silences the progress lines; this run shows them
    proc = subprocess.run(
        [str(BIN / "thresher"), "run", "recipes/quickstart.yaml", "--set", f"output.path={out}/kept",
         "--set", f"output.rejects={out}/rejects", "--set", f"output.stats={out}/stats"],
        cwd=REPO, env=quiet, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("thresher run "), proc.stdout[:500]
    assert "recipe quickstart" in proc.stdout and "exact_dedup:duplicate" in proc.stdout
    # Spark's own log stays quiet: stderr (a pipe here) is one plain line per step, then
    # one per output written, each with its seconds and tasks.
    assert spark_lines(proc.stderr) == [], proc.stderr[:3000]
    ops = [step.op for step in Recipe.from_yaml(REPO / "recipes" / "quickstart.yaml").spec.steps]
    lines = progress_lines(proc.stderr)
    n = len(ops)
    assert lines[:n + 1] == [f"step 0/{n} read"] + [f"step {i}/{n} {op}" for i, op in enumerate(ops, 1)], \
        proc.stderr[:3000]
    assert lines[n + 1:] and all(line.startswith("writing ") for line in lines[n + 1:]), proc.stderr[:3000]
    assert all("\r" not in line and line.endswith(" s") and " tasks, " in line
               for line in proc.stderr.splitlines() if line.startswith("thresher: "))
    assert f"kept     delta {out}/kept" in proc.stdout
    kept = DeltaTable(str(out / "kept"))
    rejects = DeltaTable(str(out / "rejects")).to_pandas()
    stats = DeltaTable(str(out / "stats")).to_pandas().sort_values("step")
    rows_in = stats.iloc[0].rows_in
    assert rows_in == len(kept.to_pandas()) + len(rejects)
    assert stats.iloc[-1].rows_out == len(kept.to_pandas())
    info = kept.history(1)[0]
    assert info.get("thresher.recipe") == "quickstart", info
    # The run names its report last, and the report is the quickstart's.
    assert proc.stdout.rstrip().endswith(f"report: {out}/kept_report.html")
    if CHROMIUM:  # CI installs it; the browser check is in tests/operators/report too
        dom = check_report(out / "kept_report.html")
        assert "exact_dedup:duplicate" in dom and '<table class="sample">' in dom


def test_kill_9_mid_commit_leaves_previous_output(small_recipe, tmp_path):
    # The first run is also the verbose one: Spark's INFO log, and --quiet: no progress
    # (CI would silence it too, so not under CI).
    loud = env()
    loud.pop("CI", None)
    first = subprocess.run([str(BIN / "thresher"), "run", "--verbose", "--quiet", str(small_recipe)],
                           env=loud, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    assert any(line.endswith(" INFO") for line in spark_lines(first.stderr)), first.stderr[:3000]
    assert "thresher: step" not in first.stderr
    table = DeltaTable(str(tmp_path / "out"))
    version, before = table.version(), table.to_pandas().sort_values("id").reset_index(drop=True)

    # Second run keeps fewer rows, but is killed after writing its files, before committing.
    proc = subprocess.Popen(
        [str(BIN / "thresher"), "run", str(small_recipe), "--set", "steps.1.min=100"],
        env=env(THRESHER_FAILPOINTS="before_commit=sleep:120"), stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        deadline = time.time() + 240
        for line in proc.stderr:
            if "failpoint before_commit" in line or time.time() > deadline:
                break
        assert proc.poll() is None, "the run ended before reaching the commit"
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its JVM
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    table = DeltaTable(str(tmp_path / "out"))
    assert table.version() == version
    after = table.to_pandas().sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(after, before)


def test_notebook_runs_locally(spark, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("THRESHER_NOTEBOOK_OUT", str(tmp_path / "nb"))
    monkeypatch.setenv("THRESHER_REPO", str(REPO))
    namespace = runpy.run_path(str(REPO / "notebooks" / "quickstart.py"), init_globals={"spark": spark})
    result = namespace["result"]
    stats = result.stats.orderBy("step").collect()
    assert stats[0].rows_in == stats[-1].rows_out + sum(r.dropped for r in stats)
    assert result.output.count() == stats[-1].rows_out
    assert "drop_reason" in capsys.readouterr().out
