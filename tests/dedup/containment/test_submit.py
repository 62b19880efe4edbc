"""`spark-submit jobs/containment.py` in a fresh process, from outside the repo."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.submit import SPARK_SUBMIT, submit_env

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_spark_submit_containment(lake, tmp_path):
    root, _ = lake
    proc = subprocess.run(
        [SPARK_SUBMIT, "--master", "local[1]", str(REPO / "jobs" / "containment.py"),
         str(root / "proj"), str(root / "base.parquet"), "--out", str(tmp_path / "out")],
        cwd=tmp_path, env=submit_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "verdicts: 1 contained" in proc.stdout
    stages = json.loads((tmp_path / "out" / "stages.json").read_text())
    assert stages["verdicts"]["contained"] == 1
