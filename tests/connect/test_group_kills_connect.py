"""kill -9 of the driver at every commit point of every output kind (issue 15), the
driver being a Spark Connect client (what a Databricks notebook or job is): Delta with
a MinHash index (before the index commits, after it) and without (before stats,
before and after the group commit) and Parquet (before rejects, kept, stats, before and after the group
commit). tests/operators/io/kill_matrix.py has the checks."""
from __future__ import annotations

import pytest

from tests.operators.io.kill_matrix import DELTA_POINTS, PARQUET_POINTS, check_kills

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("fmt,points", [("delta", DELTA_POINTS), ("parquet", PARQUET_POINTS)],
                         ids=["delta", "parquet"])
def test_kill_9_of_a_connect_driver_at_every_commit_point(connect_url, spark, tmp_path, fmt, points):
    check_kills(spark, tmp_path, fmt, points, remote=connect_url)
