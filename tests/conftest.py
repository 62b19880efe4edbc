"""One SparkSession for the whole test session (a session takes ~6 s to start)."""
from __future__ import annotations

import os
import sys

import pytest

# Executors must run this interpreter, not whatever `python3` is on PATH.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


@pytest.fixture(scope="session")
def spark():
    from thresher.operators.session import get_or_create_session

    session = get_or_create_session(
        master="local[2]",
        conf={"spark.sql.shuffle.partitions": "4", "spark.default.parallelism": "4"},
        app_name="thresher-tests",
    )
    yield session
    session.stop()
