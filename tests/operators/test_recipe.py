"""Recipe parsing and validation: every error names file, line, step and param. No Spark here."""
from __future__ import annotations

import os
import textwrap

import pytest

import thresher.jobs.builtins  # noqa: F401
from thresher.operators.errors import RecipeError, UnknownOperatorError
from thresher.operators.recipe import Recipe


def write(tmp_path, body: str, name="r.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip())
    return path


GOOD = """
name: t
input: {format: parquet, path: data/in, text_column: body, id_column: doc}
steps:
  - normalize_text: {form: NFKC}
  - word_count_filter:
      min: 20
      max: 100000
  - exact_dedup: {}
output: {format: delta, path: out/t, mode: overwrite}
"""


def test_good_recipe_builds_bound_operators(tmp_path):
    recipe = Recipe.from_yaml(write(tmp_path, GOOD))
    assert [op.name for op in recipe.operators] == ["normalize_text", "word_count_filter", "exact_dedup"]
    wc = recipe.operators[1]
    assert (wc.params.min, wc.params.max) == (20, 100000)
    assert (wc.ctx.step, wc.ctx.text_column, wc.ctx.id_column) == (2, "body", "doc")
    # relative paths resolve against the current directory
    assert recipe.spec.input.path == os.path.abspath("data/in")
    assert "step 2  word_count_filter(" in recipe.describe()


def test_hash_is_stable_and_tracks_params(tmp_path):
    a = Recipe.from_yaml(write(tmp_path, GOOD))
    b = Recipe.from_yaml(write(tmp_path, GOOD))
    c = Recipe.from_yaml(write(tmp_path, GOOD), overrides=["steps.2.min=21"])
    assert a.hash == b.hash and len(a.hash) == 64
    assert a.hash != c.hash


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "name: t\ninput: {format: parquet, path: x\nsteps: []\n")
    with pytest.raises(RecipeError) as err:
        Recipe.from_yaml(path)
    assert str(path) in str(err.value) and "malformed YAML" in str(err.value)
    assert err.value.line is not None


def test_unknown_operator_suggests_close_names(tmp_path):
    body = GOOD.replace("word_count_filter:", "word_cont_filter:")
    with pytest.raises(UnknownOperatorError) as err:
        Recipe.from_yaml(write(tmp_path, body))
    e = err.value
    assert (e.step, e.line) == (2, 5)
    assert "did you mean 'word_count_filter'" in str(e)


def test_unknown_param_names_step_line_and_param(tmp_path):
    body = GOOD.replace("      max: 100000", "      maxx: 100000")
    with pytest.raises(RecipeError) as err:
        Recipe.from_yaml(write(tmp_path, body))
    e = err.value
    assert (e.step, e.op, e.param, e.line) == (2, "word_count_filter", "maxx", 7)
    assert "unknown param" in str(e) and "did you mean 'max'" in str(e)


def test_wrongly_typed_param(tmp_path):
    body = GOOD.replace("      min: 20", "      min: lots")
    with pytest.raises(RecipeError) as err:
        Recipe.from_yaml(write(tmp_path, body))
    e = err.value
    assert (e.step, e.param, e.line) == (2, "min", 6)
    assert "'lots'" in str(e)
    assert f"{tmp_path / 'r.yaml'}:6, step 2 (word_count_filter), param 'min'" in str(e)


def test_bad_top_level_value(tmp_path):
    body = GOOD.replace("format: delta", "format: orc")
    with pytest.raises(RecipeError) as err:
        Recipe.from_yaml(write(tmp_path, body))
    assert err.value.param == "output.format" and err.value.line == 9
    assert "'orc'" in str(err.value)


def test_missing_required_section(tmp_path):
    with pytest.raises(RecipeError) as err:
        Recipe.from_yaml(write(tmp_path, "name: t\nsteps: []\n"))
    assert err.value.param == "input" and "missing" in str(err.value)


def test_step_must_be_single_mapping(tmp_path):
    body = GOOD.replace("  - exact_dedup: {}", "  - {exact_dedup: {}, select: {}}")
    with pytest.raises(RecipeError) as err:
        Recipe.from_yaml(write(tmp_path, body))
    assert err.value.step == 3 and err.value.line == 8


def test_overrides_by_number_and_by_name(tmp_path):
    path = write(tmp_path, GOOD)
    r = Recipe.from_yaml(path, overrides=["steps.word_count_filter.min=5", "output.mode=append",
                                          "steps.1.form=NFC"])
    assert r.operators[1].params.min == 5 and r.spec.output.mode == "append"
    assert r.operators[0].params.form == "NFC"
    with pytest.raises(RecipeError, match="no step 9"):
        Recipe.from_yaml(path, overrides=["steps.9.min=1"])
    with pytest.raises(RecipeError, match="dotted.key=value"):
        Recipe.from_yaml(path, overrides=["output.mode"])


@pytest.mark.parametrize("item", ["steps.word_count_filter.min=abc", "steps.2.min=abc",
                                  "steps.word_count_filter.word_count_filter.min=abc"])
def test_a_bad_override_is_reported_at_its_set_option(tmp_path, item):
    """The bad value came from the command line: the error names the option, not the
    recipe line of the value it replaced (line 6 here)."""
    path = write(tmp_path, GOOD)
    with pytest.raises(RecipeError) as err:
        Recipe.from_yaml(path, overrides=[item])
    assert str(err.value).startswith(f"--set {item}, step 2 (word_count_filter), param 'min': ")
    assert f"{path}:" not in str(err.value)
    assert err.value.line == f"--set {item}" and err.value.param == "min"


def test_override_errors_elsewhere_and_the_file_lines_that_stay(tmp_path):
    path = write(tmp_path, GOOD)
    with pytest.raises(RecipeError, match=r"^--set output.mode=bogus, param 'output.mode': "):
        Recipe.from_yaml(path, overrides=["output.mode=bogus"])
    with pytest.raises(RecipeError) as err:  # an unknown param given by --set
        Recipe.from_yaml(path, overrides=["steps.2.mni=3"])
    assert str(err.value).startswith("--set steps.2.mni=3, step 2 (word_count_filter), param 'mni'")
    with pytest.raises(RecipeError) as err:  # two bad values: both named by their option
        Recipe.from_yaml(path, overrides=["steps.2.min=x", "steps.2.max=y"])
    assert "\n  also --set steps.2.max=y, param 'max'" in str(err.value)
    # A bad value in the file, with an unrelated override: still the file's line.
    bad = write(tmp_path, GOOD.replace("max: 100000", "max: lots"), name="bad.yaml")
    with pytest.raises(RecipeError) as err:
        Recipe.from_yaml(bad, overrides=["steps.2.min=5"])
    assert str(err.value).startswith(f"{bad}:7, step 2 (word_count_filter), param 'max'")
    # Recipe.where (the runner's input/output messages) names the option too.
    r = Recipe.from_yaml(path, overrides=["output.path=elsewhere"])
    assert r.where("output", "path") == "--set output.path=elsewhere"
    assert r.where("input", "path") == f"{path}:2"


def test_path_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("THRESHER_TEST_ROOT", "/data/lake")
    # quoted: a bare ${...} inside a YAML flow mapping {...} does not parse
    body = GOOD.replace("path: data/in", "path: '${recipe_dir}/../in'").replace(
        "path: out/t", "path: '${env:THRESHER_TEST_ROOT}/t'")
    r = Recipe.from_yaml(write(tmp_path, body))
    assert r.spec.input.path == os.path.abspath(tmp_path / ".." / "in")
    assert r.spec.output.path == "/data/lake/t"
    monkeypatch.delenv("THRESHER_TEST_ROOT")
    with pytest.raises(RecipeError, match="THRESHER_TEST_ROOT is not set"):
        Recipe.from_yaml(write(tmp_path, body))


def test_variables_in_step_params(tmp_path, monkeypatch):
    monkeypatch.setenv("THRESHER_TEST_CKPT", "/ckpt")
    body = GOOD.replace("  - exact_dedup: {}", "  - minhash_dedup:\n"
                        "      checkpoint_dir: '${env:THRESHER_TEST_CKPT}/mh'\n"
                        "      keep: 'max:${recipe_dir}'")
    r = Recipe.from_yaml(write(tmp_path, body))
    params = r.operators[2].params
    assert params.checkpoint_dir == "/ckpt/mh"  # substituted, not made absolute
    assert params.keep == f"max:{tmp_path}"  # any string param
    monkeypatch.delenv("THRESHER_TEST_CKPT")
    with pytest.raises(RecipeError, match=r"r.yaml:9, step 3 \(minhash_dedup\), "
                                          r"param 'checkpoint_dir'"
                                          r".*THRESHER_TEST_CKPT is not set"):
        Recipe.from_yaml(write(tmp_path, body))


def test_remote_paths_untouched(tmp_path):
    body = GOOD.replace("path: data/in", "path: s3a://bucket/in")
    assert Recipe.from_yaml(write(tmp_path, body)).spec.input.path == "s3a://bucket/in"
