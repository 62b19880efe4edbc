"""The models' benchmark scores: a YAML mapping ``model: score``, higher = better.

::

    # scores.yaml: each model's average benchmark score
    llama_400m: 0.412
    llama_1b: 0.455
    llama_3b: 0.503

A model's name is also the prefix of its loss columns (``<name>_bpc``), so it must be
a column-name-like identifier. PreSelect needs at least 3 models, and the models
given losses and the models given scores must be the same set.

Example::

    scores = load_benchmarks("scores.yaml")          # {'llama_400m': 0.412, ...}
    check_models(scores, ["llama_400m", "llama_1b"], where="--models",
                 scores_where="scores.yaml")                   # PreSelectError: llama_3b
"""
from __future__ import annotations

import math
import re

import yaml

from thresher.operators.errors import PreSelectError

MIN_MODELS = 3
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def load_benchmarks(source: str | dict, *, where: str | None = None) -> dict[str, float]:
    """Scores from a YAML file (a path) or a mapping, checked: names, numbers, >= 3 models,
    and at least two different scores. ``where`` names the source in messages."""
    if isinstance(source, dict):
        data, where = source, where or "benchmarks"
    else:
        where = where or source
        try:
            with open(source, encoding="utf-8") as f:
                data = yaml.safe_load(f)
        except FileNotFoundError:
            raise PreSelectError(f"benchmark scores file not found: {source}") from None
        except (OSError, yaml.YAMLError) as exc:
            raise PreSelectError(f"{source}: cannot read benchmark scores: {exc}") from None
    if not isinstance(data, dict):
        raise PreSelectError(f"{where}: expected a mapping of model name to benchmark score, "
                             f"found {type(data).__name__}")
    scores: dict[str, float] = {}
    for name, value in data.items():
        name = str(name)
        if not NAME.match(name):
            raise PreSelectError(f"{where}: model name {name!r} is not usable as a column "
                                 "prefix (letters, digits and _, not starting with a digit)")
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise PreSelectError(f"{where}: benchmark score of model {name!r} must be a "
                                 f"number, found {value!r}")
        scores[name] = float(value)
    if len(scores) < MIN_MODELS:
        raise PreSelectError(f"{where}: PreSelect needs at least {MIN_MODELS} models, found "
                             f"{len(scores)} ({', '.join(scores) or 'none'})")
    if len(set(scores.values())) < 2:
        raise PreSelectError(f"{where}: every model has the same benchmark score; there is no "
                             "ranking to predict")
    return scores


def check_models(scores: dict[str, float], models, *, where: str, scores_where: str) -> None:
    """The models with losses (``models``, named in ``where``) are exactly those with
    benchmark scores (named in ``scores_where``); the error names every odd one out."""
    models = list(models)
    missing = [m for m in scores if m not in models]
    extra = [m for m in models if m not in scores]
    problems = []
    if missing:
        problems.append(f"model(s) {', '.join(missing)} have a benchmark score in "
                        f"{scores_where} but no losses in {where}")
    if extra:
        problems.append(f"model(s) {', '.join(extra)} in {where} have no benchmark score in "
                        f"{scores_where}")
    if problems:
        raise PreSelectError("; ".join(problems))
    if len(models) < MIN_MODELS:
        raise PreSelectError(f"{where}: PreSelect needs at least {MIN_MODELS} models, found "
                             f"{len(models)}")
