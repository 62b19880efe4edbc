"""language_id / language_filter: the top language and its score equal the fastText
library's ``predict(k=1)`` on language-ID models trained here on twelve languages
(softmax, and a quantized hierarchical-softmax one as lid.176 is), the filter's
reasons and details, per-language bounds, recipe checks, and the rows through a run."""
from __future__ import annotations

import pandas as pd
import pytest

fasttext = pytest.importorskip("fasttext")  # the reference the tests compare with
pytest.importorskip("torch")
pytest.importorskip("faker")

from .conftest import train_models, train_spec  # noqa: E402
from .multilingual import LOCALES, documents, training_lines  # noqa: E402

import thresher.jobs.builtins  # noqa: E402,F401
from thresher.operators.base import DROP_DETAIL, DROP_REASON, DROP_STEP, StepContext  # noqa: E402
from thresher.operators.errors import RecipeError  # noqa: E402
from thresher.operators.recipe import Recipe  # noqa: E402
from thresher.operators.runner import run  # noqa: E402
from thresher.scorers.fasttext.language import LanguageFilter, LanguageID  # noqa: E402

SCHEMA = f"id long, text string, {DROP_REASON} string, {DROP_STEP} int, {DROP_DETAIL} string"
LID = dict(dim=16, epoch=10, lr=0.5, minn=2, maxn=4, bucket=20000, wordNgrams=1, thread=1,
           seed=1, verbose=0)


@pytest.fixture(scope="module")
def lid_models(tmp_path_factory):
    """{"softmax": lid.bin, "hs": lid_hs.ftz (quantized)}, trained on 400 sentences a language."""
    root = tmp_path_factory.mktemp("lid")
    train = root / "train.txt"
    train.write_text("\n".join(training_lines(400, seed=0)) + "\n", encoding="utf-8")
    train_models(train_spec(root / "lid.bin", input=train, loss="softmax", **LID),
                 train_spec(root / "lid_hs.bin", input=train, loss="hs", **LID),
                 train_spec(root / "lid_hs.ftz", base=root / "lid_hs.bin", cutoff=2000, dsub=2))
    return {"softmax": str(root / "lid.bin"), "hs": str(root / "lid_hs.ftz")}


# Held-out documents of each language (other seeds than the training's), and odd texts.
HELD_OUT = [(lang, doc) for lang in LOCALES for doc in documents(lang, 12, seed=99)]
ODD = ["", "   ", "12345 67890", "🎉🎉", "x" * 20_000, "Hello Welt, bonjour le monde."]


@pytest.fixture(scope="module")
def docs(spark):
    rows = [(i, t, None, None, None) for i, (_, t) in enumerate(HELD_OUT)]
    rows += [(len(rows) + i, t, None, None, None) for i, t in enumerate(ODD)]
    rows.append((len(rows), None, None, None, None))
    rows.append((len(rows), "Das wurde vorher entfernt.", "earlier:reason", 1, "x"))
    return spark.createDataFrame(rows, SCHEMA).repartition(3)


def bind(op, step=2):
    return op.bind(StepContext(text_column="text", id_column="id", step=step, op_name=op.name))


def library_top(model, text):
    """(language, score) as fastText's predict(k=1) reports them, or (None, None)."""
    labels, probs = model.predict((text or "").replace("\n", " "), k=1)
    return (labels[0].removeprefix("__label__"), float(probs[0])) if labels else (None, None)


@pytest.mark.parametrize("kind", ["softmax", "hs"])
def test_top_language_equals_the_library(docs, lid_models, kind):
    lib = fasttext.load_model(lid_models[kind])
    op = bind(LanguageID(model=lid_models[kind], batch_size=7))
    assert op.adds() == ["language", "language_score"]
    got = op.transform(docs).orderBy("id").toPandas()
    assert list(got.columns) == docs.columns + ["language", "language_score"]
    right = 0
    for row in got.itertuples():
        if row.text == "Das wurde vorher entfernt.":  # dropped earlier: not scored
            assert row.language is None and pd.isna(row.language_score)
            continue
        want_lang, want_score = library_top(lib, row.text)
        assert row.language == want_lang, row.text[:80]
        assert abs(row.language_score - want_score) <= 1e-5
        if row.id < len(HELD_OUT):
            right += row.language == HELD_OUT[row.id][0]
    # A language identifier after all: nearly every held-out document is placed right.
    assert right >= 0.95 * len(HELD_OUT)


def test_filter_reasons_details_and_bounds(docs, lid_models):
    path = lid_models["softmax"]
    lib = fasttext.load_model(path)
    op = bind(LanguageFilter(model=path, languages=["de", "__label__fr"],
                             min_score={"de": 0.9, "fr": 0.5}))
    got = {r["id"]: r for r in op.transform(docs).collect()}
    bounds = {"de": 0.9, "fr": 0.5}
    seen = set()
    for i, row in got.items():
        if row["text"] == "Das wurde vorher entfernt.":
            assert row[DROP_REASON] == "earlier:reason" and row[DROP_STEP] == 1
            continue
        lang, score = library_top(lib, row["text"])
        if lang not in bounds:
            want = "other_language"
        elif score < bounds[lang]:
            want = "low_language_score"
        else:
            want = None
        reason = row[DROP_REASON]
        assert reason == (want and f"language_filter:{want}"), (row["text"][:60], lang, score)
        seen.add(want)
        if want == "other_language":
            assert row[DROP_DETAIL] == (f"language={lang} language_score={score:.3f} "
                                        "not in [de, fr]")
        elif want == "low_language_score":
            assert row[DROP_DETAIL] == (f"language_score={score:.4f} < "
                                        f"min={bounds[lang]:.4f} (language={lang})")
    assert seen == {None, "other_language", "low_language_score"}


def test_no_prediction_and_any_language(spark, model_dir):
    # no_eos.bin's dictionary lacks </s>: a text of unknown words gives it no input.
    df = spark.createDataFrame([(1, "foo bar", None, None, None), (2, "zzz", None, None, None)],
                               SCHEMA)
    op = bind(LanguageFilter(model=str(model_dir / "no_eos.bin"), min_score=0.0))
    got = {r["id"]: (r["language"], r[DROP_REASON]) for r in op.transform(df).collect()}
    assert got[1][0] in ("a", "b") and got[1][1] is None  # no languages given: any is kept
    assert got[2] == (None, "language_filter:no_language")


def test_recipe_checks_name_the_problem(lid_models, tmp_path):
    path = lid_models["softmax"]

    def step_error(params) -> str:
        recipe = {"name": "t", "input": {"format": "parquet", "path": str(tmp_path)},
                  "steps": [{"language_filter": params}]}
        with pytest.raises(RecipeError) as info:
            Recipe.from_dict(recipe)
        return str(info.value)

    unknown = step_error({"model": path, "languages": ["en", "xx"]})
    assert "['xx'] are not labels of model" in unknown and "its languages:" in unknown
    assert all(lang in unknown.split("its languages:")[1] for lang in LOCALES)
    assert "min_score must be in 0..1" in step_error({"model": path, "min_score": 1.5})
    assert "needs languages" in step_error({"model": path, "min_score": {"en": 0.5}})
    assert "one bound for each of languages" in step_error(
        {"model": path, "languages": ["en", "de"], "min_score": {"en": 0.5}})
    assert "model file not found" in step_error({"model": str(tmp_path / "nope.bin")})
    assert "different columns" in step_error({"model": path, "output": "x", "score_output": "x"})
    assert "step 1" in unknown or "language_filter" in unknown


def test_recipe_keeps_the_language_and_accounts_for_every_row(spark, lid_models, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    texts = [doc for _, doc in HELD_OUT] + ODD
    pd.DataFrame({"id": [f"d{i}" for i in range(len(texts))], "text": texts}).to_parquet(
        src / "part-0.parquet")
    recipe = Recipe.from_dict({
        "name": "lid", "input": {"format": "parquet", "path": str(src), "id_column": "id"},
        "steps": [{"language_filter": {"model": lid_models["hs"], "languages": ["en"],
                                       "min_score": 0.65}}],
        "output": {"format": "parquet", "path": str(tmp_path / "out"),
                   "rejects": str(tmp_path / "rejects")}})
    result = run(recipe, spark=spark, echo=lambda s: None)
    kept = result.output.toPandas()
    rejects = result.rejects.toPandas()
    lib = fasttext.load_model(lid_models["hs"])
    want_kept = {f"d{i}" for i, t in enumerate(texts)
                 if (top := library_top(lib, t))[0] == "en" and top[1] >= 0.65}
    assert set(kept["id"]) == want_kept and len(want_kept) >= 11  # 12 English documents
    assert (kept["language"] == "en").all() and (kept["language_score"] >= 0.65).all()
    assert len(kept) + len(rejects) == len(texts)
    read, step = result.steps
    assert step.rows_in == len(texts) - read.dropped and step.rows_out == len(kept)
    assert sum(step.dropped_by_reason.values()) == len(rejects) - read.dropped
