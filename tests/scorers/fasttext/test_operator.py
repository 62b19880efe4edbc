"""fasttext_score / fasttext_filter on Spark: values, nulls, drops, shipping, recipe checks."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

fasttext = pytest.importorskip("fasttext")  # the reference the tests compare with
pytest.importorskip("torch")

from .conftest import library_proba

import thresher.jobs.builtins  # noqa: E402,F401
from thresher.operators.base import DROP_DETAIL, DROP_REASON, DROP_STEP, StepContext  # noqa: E402
from thresher.operators.errors import RecipeError  # noqa: E402
from thresher.operators.models import ship_file  # noqa: E402
from thresher.operators.recipe import Recipe  # noqa: E402
from thresher.operators.runner import run  # noqa: E402
from thresher.scorers.fasttext.operator import FastTextFilter, FastTextScore  # noqa: E402

SCHEMA = f"id long, text string, {DROP_REASON} string, {DROP_STEP} int, {DROP_DETAIL} string"


@pytest.fixture(scope="module")
def docs(spark, texts):
    """Short texts (the 100k lines stay in the parity tests), one null, one pre-dropped."""
    rows = [(i, t, None, None, None) for i, t in enumerate(t for t in texts if len(t) < 5000)]
    rows.append((len(rows), None, None, None, None))
    rows.append((len(rows), "dropped earlier", "earlier:reason", 1, "x"))
    return spark.createDataFrame(rows, SCHEMA).repartition(2)


def bind(op):
    return op.bind(StepContext(text_column="text", id_column="id", step=2, op_name=op.name))


def test_score_equals_the_library_and_nulls_where_not_scored(docs, model_dir):
    path = str(model_dir / "softmax_both.bin")
    lib = fasttext.load_model(path)
    op = bind(FastTextScore(model=path, labels=["typing", "__label__tkinter"], batch_size=16))
    assert op.adds() == ["fasttext_typing", "fasttext_tkinter"]
    got = op.transform(docs).orderBy("id").toPandas()
    assert list(got.columns) == docs.columns + ["fasttext_typing", "fasttext_tkinter"]
    labels = list(lib.labels)
    for row in got.itertuples():
        if row.text == "dropped earlier":
            assert pd.isna(row.fasttext_typing) and pd.isna(row.fasttext_tkinter)
            continue
        want = library_proba(lib, labels, row.text or "")  # null text scores as ""
        assert abs(row.fasttext_typing - want[labels.index("__label__typing")]) <= 1e-5
        assert abs(row.fasttext_tkinter - want[labels.index("__label__tkinter")]) <= 1e-5


def test_no_prediction_is_null_and_rescoring_overwrites(spark, model_dir):
    df = spark.createDataFrame([(1, "foo", 0.5), (2, "zzz", 0.5)], "id long, text string, s double")
    op = bind(FastTextScore(model=str(model_dir / "no_eos.bin"), label="a", output="s"))
    got = {r.id: r.s for r in op.transform(df).collect()}
    assert got[1] is not None and 0 < got[1] <= 1 + 2e-5 and got[2] is None  # p + 1e-5


def test_filter_marks_drops_with_select_reasons(docs, model_dir):
    path = str(model_dir / "hs_both.bin")
    lib = fasttext.load_model(path)
    op = bind(FastTextFilter(model=path, label="typing", min=0.2, output="q"))
    got = op.transform(docs).toPandas()
    scored = got[got[DROP_REASON].isna() | got[DROP_REASON].str.startswith("fasttext_filter")]
    assert len(scored) == len(got) - 1
    for row in scored.itertuples():
        p = library_proba(lib, list(lib.labels), row.text or "")[lib.labels.index("__label__typing")]
        if abs(p - 0.2) > 1e-5:  # away from the cut, the verdict is the library's
            assert (row[got.columns.get_loc(DROP_REASON) + 1] is None) == (p >= 0.2)
    reasons = set(got[DROP_REASON].dropna())
    assert reasons == {"earlier:reason", "fasttext_filter:below_min"}
    assert got.loc[got[DROP_REASON] == "fasttext_filter:below_min", DROP_DETAIL].str.startswith(
        "q=").all()


def test_model_is_read_from_the_shipped_copy(spark, model_dir, tmp_path):
    """After addFile the executors read SparkFiles' copy: the original may even go away."""
    path = tmp_path / "m.bin"
    shutil.copy(model_dir / "ova_both.bin", path)
    shipped = ship_file(spark, str(path))
    with open(shipped.local_path(), "rb") as copy, open(path, "rb") as original:
        assert shipped.local_path() != str(path) and copy.read() == original.read()
    df = spark.createDataFrame([(1, "the module")], "id long, text string")
    scored = bind(FastTextScore(model=str(path), label="typing")).transform(df)
    path.unlink()
    value = scored.collect()[0]["fasttext_typing"]
    assert value is not None
    # A new file at the same path is a new version, shipped under a new name.
    shutil.copy(model_dir / "softmax_plain.bin", path)
    assert ship_file(spark, str(path)).name != shipped.name


def recipe(model: str, **step) -> dict:
    return {"name": "ft", "input": {"format": "parquet", "path": "/nowhere"},
            "steps": [{"fasttext_score": {"model": model, **step}}]}


def test_recipe_validation_catches_bad_models_and_labels(model_dir, tmp_path):
    good = str(model_dir / "softmax_plain.bin")
    corrupt = tmp_path / "corrupt.bin"
    corrupt.write_bytes(b"not a model at all")
    cases = [
        (recipe(str(tmp_path / "missing.bin"), label="typing"), "model file not found"),
        (recipe(str(corrupt), label="typing"), "not a fastText model"),
        (recipe(good, label="nope"), "label 'nope' is not in model .*its labels: __label__"),
        (recipe(good, label="typing", labels=["other"]), "exactly one of label"),
        (recipe(good, labels=["typing", "other"], output="x"), "a list with labels"),
        (recipe(good, labels=["typing"], output=["a", "b"]), "2 columns for 1 labels"),
        (recipe(good, label="typing", device="tpu"), "device"),
    ]
    for data, message in cases:
        with pytest.raises(RecipeError, match=message) as info:
            Recipe.from_dict(data)
        assert "step 1 (fasttext_score)" in str(info.value)
    data = recipe(good, label="typing")
    data["steps"] = [{"fasttext_filter": {"model": good, "label": "typing"}}]
    with pytest.raises(RecipeError, match="give min and/or max"):
        Recipe.from_dict(data)


def test_recipe_scores_and_filters_end_to_end(spark, model_dir, tmp_path, texts):
    model = str(model_dir / "softmax_both.bin")
    lib = fasttext.load_model(model)
    labels = list(lib.labels)
    docs = [t for t in texts[:40] if t.strip()] + [""]
    typing = [library_proba(lib, labels, t)[labels.index("__label__typing")] for t in docs]
    cut = float(np.median(typing[:-1]))  # about half the documents go
    src = tmp_path / "in"
    src.mkdir()
    pd.DataFrame({"id": range(len(docs)), "text": docs}).to_parquet(src / "p.parquet")
    data = {"name": "ft", "input": {"format": "parquet", "path": str(src), "id_column": "id"},
            "steps": [{"fasttext_score": {"model": model, "label": "tkinter", "output": "tk"}},
                      {"fasttext_filter": {"model": model, "label": "typing", "max": cut}}]}
    result = run(Recipe.from_dict(data), spark=spark, echo=lambda s: None)
    kept = {r.id: r for r in result.output.collect()}
    for i, text in enumerate(docs):
        probs = library_proba(lib, labels, text)
        if not text:
            assert i not in kept  # the runner drops blank texts at read
        elif abs(typing[i] - cut) > 1e-5:
            assert (i in kept) == (typing[i] <= cut)
        if i in kept:
            assert abs(kept[i].tk - probs[labels.index("__label__tkinter")]) <= 1e-5
            assert abs(kept[i].fasttext_typing - typing[i]) <= 1e-5
    steps = {s.op: s.dropped_by_reason for s in result.steps}
    assert steps["fasttext_filter"] == {"fasttext_filter:above_max": len(docs) - 1 - len(kept)}
