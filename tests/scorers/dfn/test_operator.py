"""dfn_score / dfn_filter on Spark: values, binary vs path images, drops and stats, checks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import thresher.jobs.builtins  # noqa: F401
from thresher.operators.base import DROP_DETAIL, DROP_REASON, DROP_STEP, StepContext
from thresher.operators.errors import ColumnContractError, RecipeError
from thresher.operators.recipe import Recipe
from thresher.operators.runner import run
from thresher.scorers.dfn.operator import DfnFilter, DfnScore

from .conftest import CAPTIONS, bad_images, good_images

SCHEMA = (f"id long, text string, image binary, path string, {DROP_REASON} string, "
          f"{DROP_STEP} int, {DROP_DETAIL} string")


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """id, caption, image bytes, the same image as a file, the reason it must get."""
    folder = tmp_path_factory.mktemp("images")
    rows = []
    items = [(k, v, None) for k, v in good_images().items()]
    items += [(k, v, reason) for k, (v, reason) in bad_images().items()]
    for i, (name, data, reason) in enumerate(items):
        path = None
        if data is not None:
            path = str(folder / f"{i}-{name}.img")
            with open(path, "wb") as f:
                f.write(data)
        rows.append(dict(id=i, text=CAPTIONS[i % len(CAPTIONS)] or "x", image=data, path=path,
                         reason=reason))
    rows.append(dict(id=len(rows), text="a cat", image=None,
                     path=str(folder / "never-written.png"), reason="missing_image"))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def docs(spark, table):
    rows = [(r.id, r.text, r.image, r.path, None, None, None) for r in table.itertuples()]
    rows.append((len(rows), "dropped earlier", b"junk", None, "earlier:reason", 1, "x"))
    return spark.createDataFrame(rows, SCHEMA).repartition(3)


def bind(op):
    return op.bind(StepContext(text_column="text", id_column="id", step=2, op_name=op.name))


def test_scores_match_the_reference_for_bytes_and_paths_alike(docs, table, clip_dir, reference):
    by_bytes = bind(DfnScore(model=clip_dir, image="image", output="s", batch_size=3))
    by_path = bind(DfnScore(model=clip_dir, image="path", output="s", batch_size=5))
    assert by_bytes.adds() == ["s"]
    a = by_bytes.transform(docs).orderBy("id").toPandas()
    b = by_path.transform(docs).orderBy("id").toPandas()
    assert list(a.columns) == docs.columns + ["s"]
    good = table[table.reason.isna()]
    want = reference.scores(list(good.image), list(good.text))
    got = a.set_index("id").loc[good.id, "s"].to_numpy()
    assert np.abs(got - want).max() < 1e-5
    # the same images by path (other batch sizes: float32 noise only)
    assert np.array_equal(a["s"].isna(), b["s"].isna())
    assert np.abs(a["s"] - b["s"]).max() < 1e-6
    # unusable images: dropped with their reason, the reader's message as detail
    bad = table[table.reason.notna()]
    for frame in (a, b):
        rows = frame.set_index("id")
        assert rows.loc[bad.id, "s"].isna().all() and rows.loc[good.id, DROP_REASON].isna().all()
        for r in bad.itertuples():  # a bad image's bytes make a bad file: same reason
            assert rows.loc[r.id, DROP_REASON] == f"dfn_score:{r.reason}", r
            assert rows.loc[r.id, DROP_STEP] == 2 and rows.loc[r.id, DROP_DETAIL]
    earlier = a[a.text == "dropped earlier"].iloc[0]
    assert earlier[DROP_REASON] == "earlier:reason" and pd.isna(earlier["s"])  # not scored


def test_keep_bad_images_keeps_rows_with_a_null_score(docs, clip_dir):
    op = bind(DfnScore(model=clip_dir, image="image", keep_bad_images=True))
    got = op.transform(docs).toPandas()
    assert set(got[DROP_REASON].dropna()) == {"earlier:reason"}
    assert got["dfn_score"].isna().sum() == len(bad_images()) + 2


def test_filter_threshold_keeps_what_the_reference_keeps(docs, table, clip_dir, reference):
    good = table[table.reason.isna()]
    want = dict(zip(good.id, reference.scores(list(good.image), list(good.text))))
    cut = float(np.median(list(want.values())))
    op = bind(DfnFilter(model=clip_dir, min=cut))
    got = op.transform(docs).toPandas().set_index("id")
    for i, score in want.items():
        if abs(score - cut) > 1e-5:
            assert pd.isna(got.loc[i, DROP_REASON]) == (score >= cut), i
            if score < cut:
                assert got.loc[i, DROP_REASON] == "dfn_filter:below_min"
                assert got.loc[i, DROP_DETAIL].startswith("dfn_score=")
    reasons = set(got[DROP_REASON].dropna())
    assert reasons == {"earlier:reason", "dfn_filter:below_min", "dfn_filter:missing_image",
                       "dfn_filter:undecodable_image"}


def _recipe(src, model, step: dict, op="dfn_filter") -> dict:
    return {"name": "clip", "input": {"format": "parquet", "path": str(src), "id_column": "id",
                                      "text_column": "caption"},
            "steps": [{op: {"model": model, **step}}]}


def test_recipe_counts_bad_images_in_the_stats_and_keeps_the_top_fraction(
        spark, table, clip_dir, reference, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    frame = table.rename(columns={"text": "caption"})[["id", "caption", "image"]]
    frame.to_parquet(src / "part.parquet")
    result = run(Recipe.from_dict(_recipe(src, clip_dir, {"top_fraction": 0.5})), spark=spark,
                 echo=lambda s: None)
    good = table[table.reason.isna()]
    scores = reference.scores(list(good.image), list(good.text))
    order = np.argsort(-scores, kind="stable")
    best = set(good.id.to_numpy()[order[: int(np.ceil(len(good) * 0.5))]])
    kept = {r.id: r.dfn_score for r in result.output.collect()}
    assert set(kept) == best
    steps = {s.op: s for s in result.steps}
    reasons = table.reason.value_counts().to_dict()
    assert steps["dfn_filter"].dropped_by_reason == {
        "dfn_filter:missing_image": reasons["missing_image"],
        "dfn_filter:undecodable_image": reasons["undecodable_image"],
        "dfn_filter:not_in_top_fraction": len(good) - len(best)}
    assert steps["read"].rows_in == len(table)


def test_recipe_validation_names_the_model_and_the_problem(clip_dir, tmp_path):
    src = tmp_path
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "clip"}')
    cases = [
        ("dfn_score", str(tmp_path / "missing"), {}, "model directory not found"),
        ("dfn_score", str(broken), {}, "no weights"),
        ("dfn_score", clip_dir, {"device": "tpu"}, "device"),
        ("dfn_score", clip_dir, {"batch_size": 0}, "batch_size"),
        ("dfn_score", clip_dir, {"architecture": "ViT-B-32"}, "open_clip"),
        ("dfn_score", "hf:openai/clip-vit-base-patch32", {"architecture": "ViT-B-32"},
         "leave architecture out"),
        ("dfn_filter", clip_dir, {}, "give min and/or max"),
        ("dfn_filter", clip_dir, {"min": 0.2, "top_fraction": 0.3}, "not both"),
        ("dfn_filter", clip_dir, {"top_fraction": 1.5}, "less than or equal to 1"),
    ]
    for op, model, step, message in cases:
        with pytest.raises(RecipeError, match=message) as info:
            Recipe.from_dict(_recipe(src, model, step, op))
        assert f"step 1 ({op})" in str(info.value)
        if "not found" in message or "weights" in message:
            assert model in str(info.value) and "param 'model'" in str(info.value)
    ok = Recipe.from_dict(_recipe(src, "hf:openai/clip-vit-base-patch32", {}, "dfn_score"))
    assert ok.operators[0].params.model == "hf:openai/clip-vit-base-patch32"


def test_image_column_must_be_binary_or_string(spark, clip_dir, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    pd.DataFrame({"id": [1], "caption": ["a cat"], "image": [3]}).to_parquet(src / "p.parquet")
    with pytest.raises(ColumnContractError, match="'image' to be binary or string, but it is bigint"):
        run(Recipe.from_dict(_recipe(src, clip_dir, {}, "dfn_score")), spark=spark,
            echo=lambda s: None)
    df = spark.createDataFrame([(1, "a", 2.0)], "id long, text string, image double")
    with pytest.raises(ColumnContractError, match="must be binary or string, found double"):
        bind(DfnScore(model=clip_dir)).transform(df)


def _persisted_rdds(spark) -> set[int]:
    return {int(k) for k in spark.sparkContext._jsc.getPersistentRDDs().keySet().toArray()}


def test_filter_top_fraction_releases_the_select_cache(spark, docs, clip_dir):
    # select caches the scored rows (so CLIP runs once per row); dfn_filter built that
    # select itself, so its release() must free the cache, or every run leaks it.
    before = _persisted_rdds(spark)
    op = bind(DfnFilter(model=clip_dir, image="image", top_fraction=0.5))
    op.transform(docs).count()
    assert _persisted_rdds(spark) - before, "select cached nothing: test no longer meaningful"
    op.release()
    assert _persisted_rdds(spark) - before == set()
