"""spark-submit in the tests, with the JVM class-data archive where one is built
(operators/class_archive.py): local sessions map it by themselves, but spark-submit
starts the driver's JVM before thresher runs, and a standalone cluster's executors
are JVMs of their own. Each JVM start costs seconds of the suite's two cores."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from thresher.operators import class_archive

SPARK_SUBMIT = str(Path(sys.executable).parent / "spark-submit")


def submit_env(**extra: str) -> dict:
    """This process's environment for spark-submit: the executors' and driver's Python
    is this interpreter, and the driver's JVM maps the archive (``SPARK_SUBMIT_OPTS``
    is added to the JVM that spark-submit starts, beside ``--driver-java-options``)."""
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable,
               **extra)
    option = class_archive.java_option(env.get("SPARK_SUBMIT_OPTS"))
    if option:
        env["SPARK_SUBMIT_OPTS"] = f"{env.get('SPARK_SUBMIT_OPTS', '')} {option}".strip()
    return env


def executor_java_options() -> str:
    """``spark.executor.extraJavaOptions`` for a standalone cluster on this machine: its
    executors map the archive too (their classpath is the driver's: pyspark's conf and
    jars). Empty where there is no archive."""
    return class_archive.java_option() or ""


def executor_archive_conf() -> list[str]:
    """The same, as spark-submit's ``--conf``."""
    option = executor_java_options()
    return ["--conf", f"spark.executor.extraJavaOptions={option}"] if option else []
