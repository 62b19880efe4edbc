"""thresher: Spark-native data curation and dedup.

The public API for notebooks and scripts::

    from thresher import Recipe, run
    result = run("recipes/quickstart.yaml", overrides=["output.mode=overwrite"])
    display(result.stats)

The framework, the dedup and scorer families and the entry points are the
subpackages ``thresher.operators``, ``thresher.dedup``, ``thresher.scorers`` and
``thresher.jobs``. Their sources live in the repository's top-level folders
(operators/, dedup/, scorers/, jobs/); the wheel maps them under this package.
"""
from __future__ import annotations

from pathlib import Path as _Path

__version__ = "0.1.0"

_SUBPACKAGES = ("operators", "dedup", "scorers", "jobs")


def _source_checkout_root() -> str | None:
    # Imported from a source checkout (the repo root on sys.path, no install, or a
    # script beside it) the subpackages are siblings of this folder, not inside it.
    # Searching the root as well keeps `thresher.operators` importable there, as the
    # editable install's finder does. In a wheel or a --py-files zip they are inside.
    here = _Path(__file__).resolve().parent
    root = here.parent
    if (here / "operators").is_dir() or not (root / "pyproject.toml").is_file():
        return None
    if all((root / name / "__init__.py").is_file() for name in _SUBPACKAGES):
        return str(root)
    return None


_root = _source_checkout_root()
if _root is not None and _root not in __path__:
    __path__.append(_root)

__all__ = ["DropRule", "Filter", "Operator", "OpParams", "Recipe", "RunResult", "StepContext",
           "__version__", "register", "run"]


def __getattr__(name: str):
    # Lazy, so that `import thresher` does not start importing pyspark.
    if name in __all__ and name != "__version__":
        from thresher import operators
        return getattr(operators, name)
    raise AttributeError(f"module 'thresher' has no attribute {name!r}")
