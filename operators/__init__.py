"""thresher's framework: operator contract, registry, recipes, runner and I/O.

Notebook use::

    from thresher import Recipe, run
    result = run("recipes/quickstart.yaml", overrides=["output.mode=overwrite"])
    display(result.stats)
"""
from .base import DropRule, Filter, Operator, OpParams, StepContext
from .registry import all_operators, get_operator, register

__all__ = ["DropRule", "Filter", "Operator", "OpParams", "Recipe", "RunResult", "StepContext",
           "all_operators", "get_operator", "register", "run"]


def __getattr__(name):
    # Lazy: the runner pulls in the I/O stack, which `thresher ops` does not need.
    if name == "Recipe":
        from .recipe import Recipe
        return Recipe
    if name in ("run", "RunResult"):
        from . import runner
        return getattr(runner, name)
    raise AttributeError(f"module '{__name__}' has no attribute {name!r}")
