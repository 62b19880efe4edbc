"""Operator registry: recipe names -> operator classes.

Built-in and third-party operators register the same way: a module decorates its
classes with ``@register("name")`` and is listed under the ``thresher.operators``
entry-point group, so the runner finds them without importing ``dedup`` or
``scorers`` itself. Example::

    @register("shout")
    class Shout(Operator):
        class Params(OpParams):
            suffix: str = "!"
        def transform(self, df): ...
"""
from __future__ import annotations

import difflib
import importlib
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from .errors import DuplicateOperatorError, UnknownOperatorError

if TYPE_CHECKING:
    from .base import Operator

ENTRY_POINT_GROUP = "thresher.operators"

_registry: dict[str, type["Operator"]] = {}
_plugins_loaded = False

# This package's own operator modules, imported even without installed metadata
# (a zip on --py-files has no entry points). Operators of dedup/ and scorers/ come
# through entry points, or through jobs/, which imports them explicitly.
BUILTIN_MODULES = ("thresher.operators.text", "thresher.operators.select")


def register(name: str):
    """Class decorator: make the operator usable in recipes as ``name``."""

    def decorate(cls: type["Operator"]) -> type["Operator"]:
        existing = _registry.get(name)
        if existing is not None and (existing.__module__, existing.__qualname__) != (
            cls.__module__, cls.__qualname__
        ):
            raise DuplicateOperatorError(
                f"operator name '{name}' is registered twice: by "
                f"{existing.__module__}.{existing.__qualname__} and {cls.__module__}.{cls.__qualname__}"
            )
        cls.name = name
        _registry[name] = cls
        return cls

    return decorate


def load_plugins() -> None:
    """Import every module that registers operators (entry points, then built-ins)."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    modules = [ep.value.split(":")[0] for ep in entry_points(group=ENTRY_POINT_GROUP)]
    for module in dict.fromkeys([*BUILTIN_MODULES, *modules]):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            # Only tolerate the module itself being absent (a trimmed install);
            # a missing dependency inside it is a real error.
            if exc.name != module and not module.startswith(f"{exc.name}."):
                raise


def get_operator(name: str, **where) -> type["Operator"]:
    """The class registered as ``name``; unknown names get "did you mean ..."."""
    load_plugins()
    try:
        return _registry[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_registry), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownOperatorError(
            f"unknown operator '{name}'{hint} (`thresher ops` lists all {len(_registry)})", **where
        ) from None


def all_operators() -> dict[str, type["Operator"]]:
    """Every registered operator, sorted by name."""
    load_plugins()
    return dict(sorted(_registry.items()))
