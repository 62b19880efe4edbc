"""A class-data archive (JDK AppCDS) of Spark's classes, so a local run's JVM starts faster.

A cold Spark driver spends much of its start loading and verifying Spark's classes.
``build()`` (run by ``python -m thresher.jobs.warm``, as ``make quickstart`` does) runs
one small job with ``-XX:ArchiveClassesAtExit``, and every later local session that
thresher starts maps the archive (``-XX:SharedArchiveFile``): on 2 cores a one-step
``thresher run`` takes about a quarter less (``benchmarks/results/jvm_start.md``). The
archive is only valid for the same Java and the same classpath, so its name hashes
both; one that does not match is not found, and a JVM given a mismatched archive
starts without it (``-Xshare:auto``, silently).

    python -m thresher.operators.class_archive   # the option, e.g. for spark-submit's
                                                  # --driver-java-options on this install

Opt out with ``THRESHER_CLASS_ARCHIVE=off``; ``THRESHER_CACHE_DIR`` moves the cache
(default ``~/.cache/thresher``).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from .errors import ClassArchiveError

ENV = "THRESHER_CLASS_ARCHIVE"
CACHE_ENV = "THRESHER_CACHE_DIR"
BUILD_TIMEOUT_S = 600
# A user's own CDS settings win over thresher's archive.
_USER_CDS_OPTIONS = ("-XX:SharedArchiveFile=", "-Xshare:", "-XX:ArchiveClassesAtExit=")


def enabled() -> bool:
    return os.environ.get(ENV, "on").strip().lower() not in ("off", "0", "false", "no")


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "thresher")


def _java() -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else shutil.which("java")
    return os.path.realpath(java) if java and os.path.exists(java) else None


def archive_key() -> str | None:
    """What the archive depends on: the Java binary and pyspark's jars (where they are,
    names, sizes: the classpath is checked by path)."""
    java = _java()
    if java is None:
        return None
    import pyspark

    jars = Path(pyspark.__file__).parent / "jars"
    entries = sorted((p.name, p.stat().st_size) for p in jars.glob("*.jar")) if jars.is_dir() else []
    blob = repr((java, os.stat(java).st_size, pyspark.__version__, str(jars), entries))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def archive_path() -> Path | None:
    key = archive_key()
    return None if key is None else cache_dir() / f"spark-classes-{key}.jsa"


def java_option(user_options: str | None = None) -> str | None:
    """``-XX:SharedArchiveFile=...`` when an archive for this Java and pyspark exists,
    else None (also when disabled, or the user's options set CDS themselves)."""
    if not enabled() or any(o in (user_options or "") for o in _USER_CDS_OPTIONS):
        return None
    path = archive_path()
    if path is None or not path.is_file():
        return None
    # A path with a space would be split by Spark's parsing of java options.
    return None if " " in str(path) else f"-XX:SharedArchiveFile={path}"


_BUILD_JOB = textwrap.dedent("""
    import sys, tempfile
    from thresher.operators.session import get_or_create_session
    spark = get_or_create_session(master="local[1]", conf={
        "spark.driver.extraJavaOptions": sys.argv[1], "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "2"}, app_name="thresher-class-archive")
    # Load what a recipe run loads: Parquet read and write, a shuffle, a join, Arrow.
    with tempfile.TemporaryDirectory() as tmp:
        df = spark.range(2000).selectExpr("id", "cast(id % 7 as string) as k", "repeat('x', 50) as text")
        df.write.parquet(tmp + "/p")
        back = spark.read.parquet(tmp + "/p")
        back.groupBy("k").count().join(back, "k").orderBy("id").limit(5).toPandas()
    print("CLASSPATH", spark.sparkContext._jvm.System.getProperty("java.class.path"), flush=True)
    gateway = spark.sparkContext._gateway
    spark.stop()
    # The JVM writes the archive as it exits: close its stdin (pyspark's launcher exits
    # the JVM on EOF) and wait, so the archive is whole when this process ends.
    gateway.proc.stdin.close()
    gateway.proc.wait(timeout=300)
""")


def build(force: bool = False) -> Path | None:
    """Build the archive (a child process, ~30 s on 2 cores) unless it exists; its path,
    or None where there is no Java or it is disabled. A dump that the JVM cannot map
    again is deleted, not kept."""
    path = archive_path()
    if path is None or not enabled():
        return None
    if path.is_file() and not force:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.jsa")
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "PYSPARK_GATEWAY_PORT")}
    env[ENV] = "off"  # the dump run must not map an older archive
    proc = subprocess.run([sys.executable, "-c", _BUILD_JOB, f"-XX:ArchiveClassesAtExit={tmp}"],
                          env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    if proc.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise ClassArchiveError(f"the class archive {path} was not written (exit {proc.returncode}): "
                                f"{proc.stderr[-2000:]}")
    classpath = next((line.split(" ", 1)[1] for line in proc.stdout.splitlines()
                      if line.startswith("CLASSPATH ")), "")
    problem = mapping_problem(tmp, classpath)
    if problem:
        tmp.unlink(missing_ok=True)
        raise ClassArchiveError(f"the class archive {path} was written but the JVM cannot map it: {problem}")
    os.replace(tmp, path)  # readers see a whole archive or none
    return path


def mapping_problem(archive: Path, classpath: str) -> str | None:
    """None when a JVM with ``classpath`` maps ``archive`` (``-Xshare:on`` refuses to
    start otherwise), else what the JVM said."""
    java = _java()
    if java is None:
        return "no Java"
    proc = subprocess.run([java, "-Xshare:on", f"-XX:SharedArchiveFile={archive}", "-cp", classpath,
                           "-version"], capture_output=True, text=True, timeout=120)
    return None if proc.returncode == 0 else (proc.stderr or proc.stdout).strip()[-1000:]


def main() -> int:
    print(java_option() or "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
