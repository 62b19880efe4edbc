"""The shipped recipes on a real Spark Connect server keep exactly the rows, rejects and
stats of classic Spark (compared on content), and a Connect run never reaches for the JVM.

quickstart goes through the CLI (``SPARK_REMOTE``, staged mode: every step timed);
dedup_web through ``run(recipe, spark=<Connect session>)`` (fused: one plan), with
every JVM-only attribute it asks for recorded, its connected components on the
driver (the small-graph path). The classic runs are the session's
(``classic_runs``: staged, shared with the cluster tests), so dedup_web's comparison
is also fused against staged.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from deltalake import DeltaTable

import thresher.jobs.builtins  # noqa: F401
from tests.shipped_runs import output_overrides

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("connect_run.py")
STAT_COLUMNS = ["step", "op", "rows_in", "rows_out", "dropped", "dropped_by_reason", "details"]


def _overrides(out: Path, recipe: str) -> list[str]:
    sets = output_overrides(out)
    if recipe == "dedup_web":
        # fused: one plan, so the test stays short (quickstart covers staged mode)
        sets += [f"steps.3.checkpoint_dir={out}/stages", "execution.mode=fused"]
    return sets


def _table(path: Path, sort: list[str]) -> pd.DataFrame:
    df = DeltaTable(str(path)).to_pandas()
    return df.sort_values(sort).reset_index(drop=True)


def _stats(path: Path) -> pd.DataFrame:
    df = DeltaTable(str(path)).to_pandas()
    cols = [c for c in STAT_COLUMNS if c in df.columns]
    df = df[cols].sort_values("step").reset_index(drop=True)
    # Maps: their entries in a stable order; timings (seconds_*) differ run to run.
    df["dropped_by_reason"] = df["dropped_by_reason"].map(lambda m: sorted(dict(m or []).items()))
    df["details"] = df["details"].map(
        lambda m: sorted((k, v) for k, v in dict(m or []).items() if "seconds" not in k))
    return df


def _same(classic: Path, connect: Path) -> None:
    kept_c, kept_r = _table(classic / "kept", ["id"]), _table(connect / "kept", ["id"])
    assert len(kept_c) > 0
    pd.testing.assert_frame_equal(kept_c, kept_r)
    rej_c, rej_r = _table(classic / "rejects", ["id"]), _table(connect / "rejects", ["id"])
    pd.testing.assert_frame_equal(rej_c, rej_r)
    pd.testing.assert_frame_equal(_stats(classic / "stats"), _stats(connect / "stats"))


def _env(url: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "PYSPARK_GATEWAY_PORT")}
    if url:
        env["SPARK_REMOTE"] = url
    return env


def on_connect(connect_url: str, recipe: Path, overrides: list[str], cwd: Path) -> dict:
    """``recipe`` run by connect_run.py on the Connect server; its report, after checking
    that it never asked for a JVM-only attribute."""
    proc = subprocess.run([sys.executable, str(RUNNER), connect_url, str(recipe), *overrides],
                          env=_env(), capture_output=True, text=True, timeout=600, cwd=cwd)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["touched"] == [], f"a Connect run asked for JVM-only attributes: {report['touched']}"
    return report


def test_quickstart_cli_spark_remote_same_as_classic(connect_url, classic_runs, tmp_path):
    out = tmp_path / "connect"
    proc = subprocess.run(
        [sys.executable, "-m", "thresher.jobs.cli", "run", str(ROOT / "recipes" / "quickstart.yaml"),
         *[a for s in _overrides(out, "quickstart") for a in ("--set", s)]],
        env=_env(connect_url), capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert "1,801 rows in" in proc.stdout or "rows in" in proc.stdout
    _same(classic_runs("quickstart").out, out)


def test_dedup_web_python_api_same_as_classic_and_no_jvm(connect_url, classic_runs, tmp_path):
    out = tmp_path / "connect"
    on_connect(connect_url, ROOT / "recipes" / "dedup_web.yaml", _overrides(out, "dedup_web"),
               tmp_path)
    _same(classic_runs("dedup_web").out, out)
    # The candidate graph is small: components ran once on the driver (union-find over
    # the edges collected as Arrow, labels sent back by createDataFrame), on Connect too.
    details = _stats(out / "stats").set_index("op").loc["minhash_dedup", "details"]
    assert dict(details)["components_on_driver"] == 1.0, details
