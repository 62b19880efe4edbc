"""The README's tables and commands match the code."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def _table_names(section: str) -> list[str]:
    """The backticked names of a Markdown table's first column (header row excluded)."""
    return re.findall(r"^\| `([^`]+)` \|", section, re.M)


def test_operator_table_lists_every_registered_operator():
    import thresher.jobs.builtins  # noqa: F401  - every built-in operator module
    from thresher.operators.registry import all_operators

    # Other tests register operators of their own (tests.*): only thresher's count.
    shipped = {name for name, cls in all_operators().items() if cls.__module__.startswith("thresher.")}
    table = _table_names(_section("Operators"))
    assert len(table) == len(set(table)), "an operator is listed twice"
    assert set(table) == shipped, (f"missing from the README: {sorted(shipped - set(table))}; "
                                   f"not operators: {sorted(set(table) - shipped)}")


def test_recipe_table_lists_every_shipped_recipe():
    shipped = {p.name for p in (REPO / "recipes").glob("*.yaml")}
    assert set(_table_names(_section("Recipes"))) == shipped


def test_the_two_commands_say_how_long_and_mention_test_fast():
    section = _section("The two commands")
    assert "make test-fast" in section
    assert re.search(r"`make quickstart`: about [\d.]+ minutes", section)
    assert re.search(r"`make test`: about \d+-\d+ minutes", section)
