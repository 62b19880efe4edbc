"""A real Spark standalone cluster on loopback, from the pip-installed PySpark.

One master and N workers, each a separate JVM started with ``bin/spark-class``
(PyPI's PySpark ships no ``sbin/``). Executors run ``PYSPARK_PYTHON`` (this
interpreter by default): without it they would run whatever ``python3`` is on
PATH, which lacks thresher's dependencies. Every process is started in its own
process group and stopped by PID. The master and workers log with thresher's quiet
log configuration (``THRESHER_SPARK_LOG`` sets their level, as for the CLI).

For people::

    python -m thresher.jobs.local_cluster --workers 2 --cores 1     # prints the master URL; Ctrl-C stops it
    spark-submit --master spark://127.0.0.1:PORT jobs/run_recipe.py recipes/quickstart.yaml
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field

from thresher.operators.errors import ThresherError
from thresher.operators import class_archive
from thresher.operators.session import log4j2_java_option, spark_log_level


def spark_home() -> str:
    import pyspark

    return os.path.dirname(os.path.abspath(pyspark.__file__))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalCluster:
    """Start with ``start()``, stop with ``stop()``; also a context manager."""

    workers: int = 2
    cores_per_worker: int = 1
    memory_per_worker: str = "2g"
    python: str = sys.executable
    work_dir: str | None = None
    master_url: str = ""
    ui_url: str = ""
    processes: list[subprocess.Popen] = field(default_factory=list)

    def _spawn(self, cls: str, *args: str, log: str) -> subprocess.Popen:
        env = dict(os.environ, SPARK_HOME=spark_home(), PYSPARK_PYTHON=self.python,
                   SPARK_LOCAL_IP="127.0.0.1", SPARK_NO_DAEMONIZE="1")
        option = log4j2_java_option()
        # spark-class passes SPARK_DAEMON_JAVA_OPTS to the master and worker JVMs; a
        # log configuration the user put there wins.
        if option and "log4j" not in env.get("SPARK_DAEMON_JAVA_OPTS", ""):
            env["SPARK_DAEMON_JAVA_OPTS"] = f"{option} {env.get('SPARK_DAEMON_JAVA_OPTS', '')}".strip()
        archive = class_archive.java_option(env.get("SPARK_DAEMON_JAVA_OPTS"))  # same jars: faster start
        if archive:
            env["SPARK_DAEMON_JAVA_OPTS"] = f"{env.get('SPARK_DAEMON_JAVA_OPTS', '')} {archive}".strip()
        out = open(os.path.join(self.work_dir, log), "w")  # noqa: SIM115 - lives with the process
        proc = subprocess.Popen([os.path.join(spark_home(), "bin", "spark-class"), cls, *args],
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(proc)
        return proc

    def start(self, timeout: float = 120.0) -> "LocalCluster":
        spark_log_level()  # a bad THRESHER_SPARK_LOG fails here, not as a JVM's odd level
        self.work_dir = self.work_dir or tempfile.mkdtemp(prefix="thresher-cluster-")
        port, ui = free_port(), free_port()
        self.master_url, self.ui_url = f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui}"
        self._spawn("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                    "--webui-port", str(ui), log="master.log")
        for i in range(self.workers):
            work = os.path.join(self.work_dir, f"worker-{i}")
            os.makedirs(work, exist_ok=True)
            self._spawn("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                        "--cores", str(self.cores_per_worker), "--memory", self.memory_per_worker,
                        "--webui-port", str(free_port()), "--work-dir", work, self.master_url,
                        log=f"worker-{i}.log")
        try:
            self._wait_for_workers(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def alive_workers(self) -> int:
        with urllib.request.urlopen(f"{self.ui_url}/json/", timeout=5) as resp:
            state = json.load(resp)
        return sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE")

    def _wait_for_workers(self, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            dead = [p for p in self.processes if p.poll() is not None]
            if dead:
                raise ThresherError(f"a cluster process exited early (code {dead[0].returncode}); "
                                    f"logs in {self.work_dir}")
            try:
                if self.alive_workers() >= self.workers:
                    return
            except OSError:
                pass  # master UI not up yet
            time.sleep(0.5)
        raise ThresherError(f"{self.workers} workers did not register within {timeout:.0f} s; "
                            f"logs in {self.work_dir}")

    def stop(self, timeout: float = 30.0) -> list[int]:
        """Stop every process this cluster started (workers first); return their PIDs."""
        pids = []
        for proc in reversed(self.processes):
            pids.append(proc.pid)
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for proc in self.processes:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.processes.clear()
        return pids

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cores", type=int, default=1, help="cores per worker")
    ap.add_argument("--memory", default="2g", help="memory per worker")
    args = ap.parse_args(argv)
    with LocalCluster(args.workers, args.cores, args.memory) as cluster:
        print(f"master {cluster.master_url}  ui {cluster.ui_url}  logs {cluster.work_dir}", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
