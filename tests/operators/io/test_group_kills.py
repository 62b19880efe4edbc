"""kill -9 of a classic driver (its own JVM, and its Python workers) before the group's
commit point (Parquet outputs). The
matrix of every point, both formats, runs with Spark Connect clients
(tests/connect/test_group_kills_connect.py): a cold JVM per kill costs ~30 s here."""
from __future__ import annotations

import pytest

from tests.operators.io.kill_matrix import PARQUET_POINTS, check_kills

pytestmark = pytest.mark.slow


def test_kill_9_before_the_group_commit(spark, tmp_path):
    check_kills(spark, tmp_path, "parquet", [p for p in PARQUET_POINTS if p[0] == "before_group_commit"])
