"""A run that fails in a step frees what it cached (issue 19: staged mode left its
stage caches, and select's, behind on failure)."""
from __future__ import annotations

import pandas as pd
import thresher.jobs.builtins  # noqa: F401 - word_count_filter
import pytest
from pyspark.sql import functions as F

from thresher.operators.base import Operator, OpParams
from thresher.operators.recipe import Recipe
from thresher.operators.registry import register
from thresher.operators.runner import run


@register("test_failing_step")
class FailingStep(Operator):
    """Fails when its rows are computed (an action after the step, not transform)."""

    class Params(OpParams):
        pass

    def transform(self, df):
        return df.withColumn("boom", F.raise_error(F.lit("planted failure")))


def _persisted(spark) -> set[int]:
    return {int(k) for k in spark.sparkContext._jsc.getPersistentRDDs().keySet().toArray()}


@pytest.mark.parametrize("mode", ["staged", "fused"])
def test_a_failed_run_leaves_no_cache(spark, tmp_path, mode):
    src = tmp_path / "in"
    src.mkdir()
    pd.DataFrame({"doc": [f"d{i:02d}" for i in range(40)],
                  "body": ["w " * (1 + i % 7) for i in range(40)]}).to_parquet(src / "p.parquet")
    recipe = Recipe.from_dict({
        "name": "fails", "execution": {"mode": mode},
        "input": {"format": "parquet", "path": str(src), "text_column": "body", "id_column": "doc"},
        "steps": [{"word_count_filter": {"min": 2}},
                  {"test_failing_step": {}}],
        "output": {"format": "parquet", "path": str(tmp_path / "out"), "mode": "overwrite"}})
    before = _persisted(spark)
    with pytest.raises(Exception, match="planted failure"):
        run(recipe, spark=spark, echo=lambda s: None)
    assert _persisted(spark) - before == set()
