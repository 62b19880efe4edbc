"""A generated lake and one containment run over it, shared by the job-level tests."""
from __future__ import annotations

import pytest

from .lakegen import make_lake


@pytest.fixture(scope="session")
def lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("lake")
    return root, make_lake(root)


@pytest.fixture(scope="session")
def stats_cache(tmp_path_factory):
    """One CSV statistics cache for the session: later runs over the lake skip CSV scans."""
    return str(tmp_path_factory.mktemp("stats-cache"))


@pytest.fixture(scope="session")
def lake_run(spark, lake, stats_cache, tmp_path_factory):
    from thresher.dedup.containment import find_containment

    root, truth = lake
    out = tmp_path_factory.mktemp("contain") / "out"
    return find_containment([str(root)], out=str(out), spark=spark, stats_cache=stats_cache), truth, root
