"""`spark-submit jobs/containment.py` in a fresh process, from outside the repo."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_spark_submit_containment(lake, tmp_path):
    root, _ = lake
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    proc = subprocess.run(
        [str(BIN / "spark-submit"), "--master", "local[1]", str(REPO / "jobs" / "containment.py"),
         str(root / "proj"), str(root / "base.parquet"), "--out", str(tmp_path / "out")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "verdicts: 1 contained" in proc.stdout
    stages = json.loads((tmp_path / "out" / "stages.json").read_text())
    assert stages["verdicts"]["contained"] == 1
