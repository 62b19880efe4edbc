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


@pytest.fixture(scope="session")
def ninth_corpus(tmp_path_factory):
    from tests.shipped_runs import ninth_rows

    return ninth_rows(tmp_path_factory.mktemp("ninth") / "part")


@pytest.fixture(scope="session")
def preselect_classic(spark, ninth_corpus, tmp_path_factory):
    """recipes/preselect.yaml on classic Spark, once (tests/shipped_runs.py)."""
    pytest.importorskip("fasttext")
    pytest.importorskip("transformers")
    import thresher.jobs.builtins  # noqa: F401
    from tests.shipped_runs import run_shipped

    return run_shipped(spark, "preselect", tmp_path_factory.mktemp("preselect_classic"),
                       ninth_corpus)


@pytest.fixture(scope="session")
def classic_runs(spark, tmp_path_factory):
    """``classic_runs(name)``: the session's one classic run of recipes/<name>.yaml
    (tests/shipped_runs.py), made on first use."""
    import thresher.jobs.builtins  # noqa: F401
    from tests.shipped_runs import classic_run

    made = {}

    def get(recipe: str):
        if recipe not in made:
            made[recipe] = classic_run(spark, recipe, tmp_path_factory.mktemp(f"classic_{recipe}"))
        return made[recipe]
    return get
