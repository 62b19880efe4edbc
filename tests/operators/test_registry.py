"""The registry, and every registered operator built from its own docstring example."""
from __future__ import annotations

import re
import textwrap

import pytest
import yaml

import thresher.jobs.builtins  # noqa: F401
from thresher.operators.base import Operator, OpParams
from thresher.operators.errors import DuplicateOperatorError, UnknownOperatorError
from thresher.operators.recipe import Recipe
from thresher.operators.registry import all_operators, get_operator, register


def docstring_examples(cls) -> list[dict]:
    """The recipe steps shown in an operator's ``Example::`` block(s)."""
    doc = textwrap.dedent(cls.__doc__ or "")
    steps = []
    for block in re.findall(r"Example[^:\n]*::\n\n?((?:[ \t]+.*\n?|\n)+)", doc):
        data = yaml.safe_load(textwrap.dedent(block))
        items = data if isinstance(data, list) else [data]
        steps.extend(item for item in items if isinstance(item, dict) and cls.name in item)
    return steps


def test_builtin_operators_are_registered():
    names = set(all_operators())
    expected = {"normalize_text", "char_count_filter", "word_count_filter", "mean_word_length_filter",
                "alpha_ratio_filter", "symbol_ratio_filter", "line_end_ellipsis_filter",
                "bullet_line_filter", "duplicate_line_fraction_filter", "top_ngram_repetition_filter",
                "stopword_filter", "select", "exact_dedup"}
    assert expected <= names, expected - names


SHIPPED = sorted(n for n, c in all_operators().items() if not c.__module__.startswith("tests."))


@pytest.mark.parametrize("name", SHIPPED)
def test_every_operator_builds_from_its_docstring_example(name, tmp_path, monkeypatch):
    cls = get_operator(name)
    examples = docstring_examples(cls)
    assert examples, f"{name}: docstring has no `Example::` block with a `- {name}: ...` step"
    lists = [v for step in examples for k, v in (step[name] or {}).items()
             if k.endswith("_file") and isinstance(v, str)]
    if lists:  # block lists an example names (url_filter's): made in a folder of their own
        monkeypatch.chdir(tmp_path)
        for value in lists:
            (tmp_path / value).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / value).write_text("example.com\n")
    data = {"name": "t", "input": {"format": "parquet", "path": "/nonexistent", "id_column": "id"},
            "steps": examples}
    recipe = Recipe.from_dict(data)
    assert [op.name for op in recipe.operators] == [name] * len(examples)
    for op in recipe.operators:
        assert isinstance(op, Operator)
        assert isinstance(op.requires(), dict) and isinstance(op.adds(), list)


def test_duplicate_names_are_an_error():
    @register("test_dup_probe")
    class First(Operator):
        pass

    with pytest.raises(DuplicateOperatorError, match="test_dup_probe"):
        @register("test_dup_probe")
        class Second(Operator):
            pass


def test_unknown_operator_hint():
    with pytest.raises(UnknownOperatorError, match="did you mean 'exact_dedup'"):
        get_operator("exact_dedupe")


def test_params_are_keyword_only_and_typed():
    @register("test_params_probe")
    class Probe(Operator):
        class Params(OpParams):
            level: int = 3

    assert Probe(level=4).params.level == 4
    with pytest.raises(Exception):
        Probe(levle=4)
    with pytest.raises(Exception):
        Probe(level="high")
