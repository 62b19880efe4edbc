"""One real Spark Connect server for all Connect tests: pyspark's own
``sbin/start-connect-server.sh`` on loopback, local[2], a free port, stopped by pid.

The Connect runs themselves go through subprocesses (``connect_run.py``, the CLI): in
one Python process pyspark.sql.functions build either classic or Connect columns
(SPARK_CONNECT_MODE_ENABLED is process-wide), and the rest of the suite is classic.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

START_TIMEOUT_S = 180  # a cold JVM on a loaded 2-core machine


def _client_missing() -> str | None:
    try:
        from pyspark.sql.connect.utils import check_dependencies

        check_dependencies()
    except Exception as exc:  # noqa: BLE001 - ImportError or pyspark's own dependency check
        return f"Spark Connect client packages missing (pip install 'thresher[connect]'): {exc}"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def connect_url(tmp_path_factory):
    missing = _client_missing()
    if missing:
        pytest.skip(missing)
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java for the Spark Connect server")
    import pyspark

    home = Path(pyspark.__file__).parent
    script = home / "sbin" / "start-connect-server.sh"
    if not script.is_file():
        pytest.skip(f"this pyspark has no {script}")
    run_dir = tmp_path_factory.mktemp("connect-server")
    port = _free_port()
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_PID_DIR": str(run_dir),
           "SPARK_LOG_DIR": str(run_dir), "SPARK_IDENT_STRING": f"thresher-{port}",
           "PYSPARK_PYTHON": sys.executable}
    env.pop("SPARK_REMOTE", None)
    # The server's JVM maps the class archive too, when warmed: same jars, a faster start.
    from thresher.operators.class_archive import java_option

    archive = java_option()
    subprocess.run(["bash", str(script), "--master", "local[2]",
                    *(["--driver-java-options", archive] if archive else []),
                    "--conf", f"spark.connect.grpc.binding.port={port}",
                    "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
                    "--conf", "spark.sql.shuffle.partitions=4",
                    "--conf", "spark.ui.enabled=false"],
                   env=env, check=True, capture_output=True, timeout=120)
    pid_files = list(run_dir.glob("*.pid"))
    pid = int(pid_files[0].read_text().strip()) if pid_files else None
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _listening(port):
            if pid is None or time.monotonic() > deadline or not _alive(pid):
                logs = "\n".join(p.read_text()[-3000:] for p in run_dir.glob("*.out"))
                pytest.fail(f"the Spark Connect server did not start on port {port}:\n{logs}")
            time.sleep(1)
        yield f"sc://127.0.0.1:{port}"
    finally:
        if pid is not None:
            _stop(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(pid: int) -> None:
    """SIGTERM the server we started, SIGKILL after 30 s."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
