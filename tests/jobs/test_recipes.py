"""Every recipe shipped in recipes/ validates (operators, params, paths, model files)."""
from __future__ import annotations

from pathlib import Path

import pytest

import thresher.jobs.builtins  # noqa: F401
from thresher.operators.recipe import Recipe
from thresher.operators.runner import preflight

RECIPES = sorted((Path(__file__).resolve().parents[2] / "recipes").glob("*.yaml"))


def test_there_are_recipes():
    assert {"quickstart.yaml", "dedup_web.yaml", "quality_fasttext.yaml"} <= {p.name for p in RECIPES}


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_shipped_recipe_validates(path):
    recipe = Recipe.from_yaml(path)
    preflight(recipe)
    assert recipe.operators, f"{path.name} has no steps"
