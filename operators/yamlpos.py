"""YAML loading that remembers the line of every value, for error messages."""
from __future__ import annotations

from typing import Any

import yaml

from .errors import RecipeError

Path_ = tuple  # a key path such as ("steps", 1, "word_count_filter", "min")


class SetOrigin(str):
    """Where a value came from the command line, ``--set KEY=VALUE``: it stands in the
    line map for a line number, so errors about the value name the option, not the
    line of the recipe value it replaced."""

# A recipe is a few hundred values. Aliases let a small file name exponentially many
# (a "billion laughs" file), and deep nesting exhausts the parser's stack: refuse
# both with the line, instead of hanging or a RecursionError traceback.
MAX_VALUES = 100_000
MAX_DEPTH = 64


def load_with_lines(text: str, file: str | None = None) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML; return the data and a map from key path to 1-based line number."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise RecipeError(f"YAML nested too deeply (a recipe needs at most {MAX_DEPTH} levels)",
                          file=file) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise RecipeError(f"malformed YAML: {problem}", file=file,
                          line=mark.line + 1 if mark else None) from None
    if root is None:
        return None, {}
    lines: dict[Path_, int] = {}
    _walk(root, (), lines, [0], file)
    data = yaml.safe_load(text)
    return data, lines


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], count: list[int],
          file: str | None) -> None:
    count[0] += 1
    line = node.start_mark.line + 1
    if count[0] > MAX_VALUES:
        raise RecipeError(f"YAML expands to over {MAX_VALUES:,} values (aliases repeating "
                          "aliases?); a recipe is far smaller", file=file, line=line)
    if len(path) > MAX_DEPTH:
        raise RecipeError(f"YAML nested over {MAX_DEPTH} levels deep", file=file, line=line)
    lines[path] = line
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node)) if not isinstance(key_node, yaml.ScalarNode) \
                else _scalar(key_node)
            _walk(value_node, path + (key,), lines, count, file)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines, count, file)


def _scalar(node: yaml.ScalarNode) -> Any:
    constructor = yaml.SafeLoader("")
    return constructor.construct_object(node)


def line_of(lines: dict[Path_, int | SetOrigin], path: Path_) -> int | SetOrigin | None:
    """Line of the deepest known prefix of ``path`` (an unknown key points at its parent),
    or the ``--set`` that gave its value."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())
