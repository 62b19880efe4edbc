"""Getting a SparkSession: reuse the one a cluster or notebook gave us, else start local.

On Databricks and under ``spark-submit`` a session (or its master) already exists,
and forcing a ``master`` would be wrong: ``get_or_create_session(master=None)`` then
only adds the recipe's runtime confs. Locally we check for Java first, because
PySpark's own error for a missing JVM is an opaque "Java gateway process exited".
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from .errors import MissingDependencyError

JAVA_HELP = (
    "Spark needs Java 17 or newer. Install it, then run again:\n"
    "  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless\n"
    "  macOS:         brew install openjdk@17\n"
    "  conda:         conda install -c conda-forge openjdk=17\n"
    "or point JAVA_HOME at an existing JDK/JRE 17+."
)

# Quiet, local-friendly defaults; recipe confs override them.
LOCAL_DEFAULTS = {
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "4g",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


def java_version() -> int | None:
    """Major version of the Java that Spark would launch, or None if there is none."""
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else shutil.which("java")
    if not java or not os.path.exists(java):
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major


def check_java() -> None:
    """Raise a clear error, with install instructions, if Java 17+ is missing."""
    version = java_version()
    if version is None:
        raise MissingDependencyError(f"no Java found (JAVA_HOME unset and no `java` on PATH). {JAVA_HELP}")
    if version < 17:
        raise MissingDependencyError(f"found Java {version}, but Spark 4 needs 17 or newer. {JAVA_HELP}")


def active_session():
    """The SparkSession already running in this process (notebook, spark-submit), if any."""
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession()


def get_or_create_session(master: str | None = None, conf: dict | None = None,
                          app_name: str = "thresher"):
    """Reuse the active session or build one.

    ``master`` is applied only when no session exists and we are not under
    ``spark-submit`` (which sets ``spark.master`` through its own launcher).
    """
    from pyspark.sql import SparkSession

    conf = {k: str(v) for k, v in (conf or {}).items()}
    session = active_session()
    if session is None:
        builder = SparkSession.builder.appName(app_name)
        submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started our JVM
        if not submitted:
            check_java()
            # Python workers (mapInArrow stages) must run this interpreter, which has
            # thresher's dependencies, not whatever `python3` is first on PATH.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            for key, value in LOCAL_DEFAULTS.items():
                builder = builder.config(key, value)
            builder = builder.master(master or "local[*]")
        for key, value in conf.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        if not submitted:
            session.sparkContext.setLogLevel("ERROR")
        return session
    # An existing session: static confs cannot change; runtime (spark.sql.*) ones can.
    for key, value in conf.items():
        try:
            if session.conf.get(key, None) != value:
                session.conf.set(key, value)
        except Exception:  # noqa: BLE001 - static conf on a running session: keep the cluster's
            pass
    return session


def has_native_delta(spark) -> bool:
    """True when the JVM has Delta Lake's classes (Databricks, or delta-spark jars)."""
    try:
        jvm = spark._jvm  # not available on Spark Connect
        jvm.java.lang.Class.forName("io.delta.tables.DeltaTable")
        return True
    except Exception:  # noqa: BLE001 - any failure means: not available here
        return False
