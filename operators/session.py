"""Getting a SparkSession: reuse the one a cluster or notebook gave us, else start local.

On Databricks and under ``spark-submit`` a session (or its master) already exists,
and forcing a ``master`` would be wrong: ``get_or_create_session(master=None)`` then
only adds the recipe's runtime confs. Locally we check for Java first, because
PySpark's own error for a missing JVM is an opaque "Java gateway process exited".

Spark's own log is quiet (ERROR) unless ``THRESHER_SPARK_LOG`` names a level: a
local JVM starts with the shipped ``log4j2.properties``, so even its start-up
warnings are gone; a JVM that spark-submit started gets the level once Python runs.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from . import class_archive
from .errors import MissingDependencyError, SettingError

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


SPARK_LOG_ENV = "THRESHER_SPARK_LOG"
DEFAULT_SPARK_LOG = "ERROR"
SPARK_LOG_LEVELS = ("ALL", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF")
# Shipped as package data; absent only where thresher runs from a --py-files zip,
# whose members the JVM cannot read as a file (the level is still set at start).
LOG4J2_PROPERTIES = Path(__file__).resolve().with_name("log4j2.properties")
_LOG_CONF_KEYS = ("log4j2.configurationFile", "log4j.configurationFile")


def spark_log_level() -> str:
    """Spark's log level: ``THRESHER_SPARK_LOG`` (any log4j level), else ERROR."""
    value = os.environ.get(SPARK_LOG_ENV, "").strip().upper() or DEFAULT_SPARK_LOG
    if value not in SPARK_LOG_LEVELS:
        raise SettingError(f"{SPARK_LOG_ENV}={os.environ[SPARK_LOG_ENV]!r} is not a log level; "
                           f"expected one of {', '.join(SPARK_LOG_LEVELS)}")
    return value


def log4j2_java_option() -> str | None:
    """The JVM option that makes Spark use thresher's quiet log configuration."""
    if not LOG4J2_PROPERTIES.is_file():
        return None
    # A file: URI, so a path with spaces survives Spark's splitting of java options.
    return f"-Dlog4j2.configurationFile={LOG4J2_PROPERTIES.as_uri()}"


def _names_log_config(java_options: str | None) -> bool:
    return any(f"-D{key}=" in (java_options or "") for key in _LOG_CONF_KEYS)


def with_quiet_log(java_options: str | None) -> str | None:
    """``spark.driver.extraJavaOptions`` with thresher's log configuration added,
    unless the user's options already name a log4j configuration of their own."""
    option = log4j2_java_option()
    if option is None or _names_log_config(java_options):
        return java_options
    return f"{option} {java_options}" if java_options else option


def _add_log_level(conf: dict, java_options: str | None, level: str) -> None:
    """Set ``spark.log.level`` where the driver's log configuration does not already
    give thresher's level.

    Spark applies ``spark.log.level`` as its context starts: under spark-submit the
    JVM is already running with the cluster's (INFO) configuration, which logs every
    query plan; only the context's first few lines come before the level takes hold.
    Thresher's own log4j2.properties reads THRESHER_SPARK_LOG itself, and a log4j
    configuration the user chose is left alone unless THRESHER_SPARK_LOG is set.
    """
    if "spark.log.level" in conf:  # the recipe's own choice
        return
    ours = log4j2_java_option()
    if ours and ours in (java_options or ""):
        return
    if _names_log_config(java_options) and SPARK_LOG_ENV not in os.environ:
        return
    conf["spark.log.level"] = level


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


REMOTE_ENV = "SPARK_REMOTE"  # pyspark's own variable for a Spark Connect URL


def remote_url(remote: str | None = None) -> str | None:
    """The Spark Connect URL to use: ``remote`` (recipe or --remote), else SPARK_REMOTE."""
    url = (remote or os.environ.get(REMOTE_ENV) or "").strip()
    if not url:
        return None
    if not url.startswith("sc://"):
        raise SettingError(f"Spark Connect URL {url!r} (spark.remote, --remote or {REMOTE_ENV}) "
                           "must start with sc://, e.g. sc://localhost:15002")
    return url


def _connect_session(url: str, app_name: str):
    try:
        from pyspark.sql.connect.session import SparkSession as ConnectSession
    except Exception as exc:  # noqa: BLE001 - ImportError or pyspark's own dependency check
        raise MissingDependencyError(
            f"Spark Connect ({url}) needs the client's packages: pip install 'thresher[connect]' "
            f"(grpcio, grpcio-status, googleapis-common-protos, zstandard): {exc}") from exc
    active = ConnectSession.getActiveSession()
    if active is not None:
        return active
    from pyspark.sql import SparkSession

    # pyspark's own builder, not the Connect class's: it also switches pyspark.sql.functions
    # to their Connect versions for this process (SPARK_CONNECT_MODE_ENABLED).
    return SparkSession.builder.remote(url).appName(app_name).getOrCreate()


def get_or_create_session(master: str | None = None, conf: dict | None = None,
                          app_name: str = "thresher", remote: str | None = None):
    """Reuse the active session or build one.

    ``master`` is applied only when no session exists and we are not under
    ``spark-submit`` (which sets ``spark.master`` through its own launcher). With a
    Spark Connect URL (``remote``, else SPARK_REMOTE) the session is a Connect client
    of that server: ``master`` and the JVM settings do not apply there, and only
    runtime confs (``spark.sql.*``, ``spark.thresher.*``) can be set.
    """
    from pyspark.sql import SparkSession

    conf = {k: str(v) for k, v in (conf or {}).items()}
    url = remote_url(remote)
    session = _connect_session(url, app_name) if url else active_session()
    if session is None:
        level = spark_log_level()  # a bad THRESHER_SPARK_LOG fails before the JVM starts
        builder = SparkSession.builder.appName(app_name)
        submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started our JVM
        if not submitted:
            check_java()
            # Before the JVM starts, or its start-up warnings are already printed.
            java_options = with_quiet_log(conf.get("spark.driver.extraJavaOptions"))
            archive = class_archive.java_option(java_options)  # a faster JVM start, if warmed
            if archive:
                java_options = f"{java_options} {archive}" if java_options else archive
            if java_options:
                conf["spark.driver.extraJavaOptions"] = java_options
            _add_log_level(conf, java_options, level)
            # Python workers (mapInArrow stages) must run this interpreter, which has
            # thresher's dependencies, not whatever `python3` is first on PATH.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            for key, value in LOCAL_DEFAULTS.items():
                builder = builder.config(key, value)
            builder = builder.master(master or "local[*]")
        else:
            from pyspark import SparkConf

            given = SparkConf()  # what spark-submit was given (its --conf, --driver-java-options)
            if not given.contains("spark.log.level"):
                _add_log_level(conf, given.get("spark.driver.extraJavaOptions", None), level)
        if os.environ.get("THRESHER_FAILPOINTS"):  # fault tests reach into the executors too
            builder = builder.config("spark.executorEnv.THRESHER_FAILPOINTS",
                                     os.environ["THRESHER_FAILPOINTS"])
        for key, value in conf.items():
            builder = builder.config(key, value)
        return builder.getOrCreate()
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
    from .connect import is_connect

    if is_connect(spark):
        # No JVM to ask: Delta's session extension, or a Databricks server (which
        # always has Delta), says it; else thresher writes Delta itself (delta-rs).
        try:
            extensions = spark.conf.get("spark.sql.extensions", "") or ""
            databricks = spark.conf.get("spark.databricks.clusterUsageTags.sparkVersion", None)
        except Exception:  # noqa: BLE001 - a server that hides its confs: assume none
            return False
        return "delta" in extensions.lower() or bool(databricks)
    try:
        jvm = spark._jvm  # not available on Spark Connect
        jvm.java.lang.Class.forName("io.delta.tables.DeltaTable")
        return True
    except Exception:  # noqa: BLE001 - any failure means: not available here
        return False


if __name__ == "__main__":
    # For spark-submit: --driver-java-options "$(python -m thresher.operators.session)"
    print(log4j2_java_option() or "")
