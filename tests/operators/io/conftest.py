"""Helpers for the I/O tests: snapshots of folders, and a writer process to kill -9."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

WRITER = textwrap.dedent("""
    import sys
    from thresher.operators.session import get_or_create_session
    from thresher.operators.io import write_output
    fmt, path, mode = sys.argv[1:4]
    spark = get_or_create_session(master="local[1]", conf={"spark.sql.shuffle.partitions": "2", "spark.ui.enabled": "false"})
    df = spark.range(1000, 1100).selectExpr("id", "concat('new ', id) AS text", "CAST(id % 2 AS INT) AS k")
    write_output(df, format=fmt, path=path, mode=mode, commit_info={"thresher.run_id": "killed"})
    print("WRITE FINISHED", flush=True)
""")


@pytest.fixture
def killed_writer():
    """Start a writer with ``before_commit=sleep:60``; kill -9 its process group once it
    reaches the failpoint (after ``ready()`` says its data files exist)."""

    def run(fmt: str, path, mode: str, ready) -> None:
        env = dict(os.environ, THRESHER_FAILPOINTS="before_commit=sleep:60",
                   PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.Popen([sys.executable, "-c", WRITER, fmt, str(path), mode], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in proc.stderr] + [lines.put(None)],
                         daemon=True).start()
        try:
            deadline, seen = time.monotonic() + 120, []
            while True:  # the failpoint announces itself on stderr
                try:
                    line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
                except queue.Empty:
                    pytest.fail("writer never reached the failpoint:\n" + "".join(seen[-30:]))
                if line is None:
                    pytest.fail(f"writer exited early (rc={proc.wait()}):\n" + "".join(seen[-30:]))
                seen.append(line)
                if "thresher failpoint before_commit" in line:
                    break
            assert ready(), "the writer reached the failpoint without its data files in place"
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        assert "WRITE FINISHED" not in proc.stdout.read()

    return run
