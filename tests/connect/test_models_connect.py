"""Model files and folders reach a Connect server's Python workers as session
artifacts (no SparkContext.addFile), and a changed file is shipped again."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .test_recipes_connect import _env

SCRIPT = Path(__file__).with_name("connect_ship.py")


def test_model_file_and_folder_shipped_as_artifacts(connect_url, tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), connect_url, str(tmp_path)],
                          env=_env(), capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-5000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen == {"first": "FILE-V1|DIR-V1", "second": "FILE-V2, longer"}
