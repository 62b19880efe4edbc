"""Every shipped recipe's fused plan, on a 300-row slice of the bundled data (the
plan does not depend on the size; the training steps take less time): no
single-task stage, no scorer evaluated twice (issue 19).

The plan is built as the fused runner builds it (read step, then every step's
``transform``) and inspected, not run: no output is written. Steps that train or
dedup run their own jobs inside ``transform`` (fasttext_train, preselect_train,
lm_loss's sample, minhash_dedup's stages), so those recipes take their training
time here; their internal jobs' plans are not inspected, only the plan whose
result the runner writes.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

import thresher.jobs.builtins  # noqa: F401
from thresher.operators.read_step import prepare, read_source
from thresher.operators.recipe import Recipe
from tests.plan_shape import inspect

ROOT = Path(__file__).resolve().parents[2]
RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))
# Steps that evaluate a model in Python (one Python node each, at most, in the plan).
SCORERS = {"fasttext_score", "fasttext_filter", "dfn_score", "dfn_filter", "lm_loss",
           "language_id", "language_filter"}
# Params naming files a step writes: pointed at tmp so the test writes nothing in out/.
WRITES = {"fasttext_train": ("model",), "preselect_train": ("model",),
          "minhash_dedup": ("checkpoint_dir",)}
READS_TRAINED = {"fasttext_score": "model"}  # reads what a train step above wrote


@pytest.fixture(scope="module")
def corpus_slice(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plans") / "docs.parquet"
    pq.write_table(pq.read_table(ROOT / "data" / "quickstart").slice(0, 300), path)
    return path


def _overrides(path: Path, tmp: Path, corpus: Path) -> list[str]:
    raw = yaml.safe_load(path.read_text())
    out = [f"input.path={corpus}", f"output.path={tmp / 'kept'}"]
    out += [f"output.{k}={tmp / k}" for k in ("rejects", "stats") if raw["output"].get(k)]
    names = [next(iter(step)) for step in raw["steps"]]
    trained = None
    for name, step in zip(names, raw["steps"]):
        for param in WRITES.get(name, ()):
            if param in (step[name] or {}):
                target = tmp / f"{name}_{param}" / Path(step[name][param]).name
                out.append(f"steps.{name}.{param}={target}")
                trained = target if param == "model" else trained
    for name, param in READS_TRAINED.items():
        if name in names and trained is not None:
            out.append(f"steps.{name}.{param}={trained}")
    # A training step downstream computes the losses: a fifth of the rows scored is the
    # same plan (a hash filter more) in a fifth of the time.
    out += [f"steps.{i}.sample=0.2" for i, name in enumerate(names, 1) if name == "lm_loss"]
    return out


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_shipped_recipe_plan_has_no_single_task_stage_and_scores_once(spark, path, tmp_path,
                                                                     corpus_slice):
    recipe = Recipe.from_yaml(path, _overrides(path, tmp_path, corpus_slice))
    source, _ = read_source(spark, recipe)
    df = prepare(recipe, source)
    try:
        for op in recipe.operators:
            df = op.transform(df)
        problems, python = inspect(df)
        assert problems == [], f"{path.name}: {problems}"
        scorers = sum(op.name in SCORERS for op in recipe.operators)
        assert sum(python.values()) <= scorers, (
            f"{path.name}: {python} Python evaluations for {scorers} scorer steps")
    finally:
        for op in recipe.operators:
            op.release()
