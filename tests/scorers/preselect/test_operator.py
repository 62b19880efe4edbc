"""predictive_strength and preselect_train as recipe steps: validation, column checks, and
a planted-answer pipeline (strength -> selector -> fasttext_score -> select by chars)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

pytest.importorskip("fasttext")
pytest.importorskip("torch")

import thresher.jobs.builtins  # noqa: E402,F401
from thresher.operators.errors import ColumnContractError, PreSelectError, RecipeError  # noqa: E402
from thresher.operators.recipe import Recipe  # noqa: E402
from thresher.operators.runner import run  # noqa: E402
from thresher.scorers.preselect.synthetic import auc, domain_corpus, planted_bpc  # noqa: E402

MODELS = ["m1", "m2", "m3", "m4"]  # worst to best
BENCH = {"m1": 0.30, "m2": 0.36, "m3": 0.41, "m4": 0.47}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Three domains, BPCs tracking the benchmark on 'astronomy' only, as Parquet."""
    docs = domain_corpus(["cooking", "astronomy", "law"], per_domain=80, seed=3)
    bpc = planted_bpc(docs, target="astronomy", models=MODELS, seed=3)
    frame = pd.DataFrame([{**d, **{f"{m}_bpc": b[m] for m in MODELS}}
                          for d, b in zip(docs, bpc)])
    root = tmp_path_factory.mktemp("planted")
    frame.to_parquet(root / "docs.parquet")
    return root


def recipe(path, steps, out=None) -> dict:
    data = {"name": "ps", "input": {"format": "parquet", "path": str(path), "id_column": "id"},
            "steps": steps}
    if out:
        data["output"] = {"format": "parquet", "path": str(out), "mode": "overwrite"}
    return data


def test_benchmarks_are_checked_when_the_recipe_is_validated(tmp_path):
    two = {"m1": 0.3, "m2": 0.4}
    cases = [({"benchmarks": two}, "at least 3 models, found 2"),
             ({"benchmarks": str(tmp_path / "none.yaml")}, "benchmark scores file not found"),
             ({"benchmarks": BENCH, "bpc_column": "bpc"}, "should match pattern"),
             ({"benchmarks": BENCH, "correlation": "pearson"}, "spearman"),
             ({"benchmarks": {**BENCH, "m-5": 0.5}}, "'m-5' is not usable")]
    for step, message in cases:
        with pytest.raises(RecipeError, match=message) as info:
            Recipe.from_dict(recipe("/nowhere", [{"predictive_strength": step}]))
        assert "step 1 (predictive_strength)" in str(info.value)


def test_a_model_an_earlier_step_trains_validates_before_it_exists(tmp_path):
    model = str(tmp_path / "selector.bin")
    score = {"fasttext_score": {"model": model, "label": "pos", "output": "sel"}}
    train = {"preselect_train": {"model": model}}
    ok = Recipe.from_dict(recipe("/nowhere", [train, score]))
    assert ok.operators[0].produces() == [model] and ok.operators[1].params.model == model
    for steps in ([score], [score, train]):  # no step, or only a later one, writes it
        with pytest.raises(RecipeError, match="model file not found"):
            Recipe.from_dict(recipe("/nowhere", steps))


def test_bpc_columns_and_benchmarks_must_name_the_same_models(spark, planted):
    three = {m: BENCH[m] for m in MODELS[:3]}
    with pytest.raises(PreSelectError, match=r"step 1 \(predictive_strength\): model\(s\) m4 "
                                             r"have BPC columns \(m4_bpc\) but no benchmark"):
        run(Recipe.from_dict(recipe(planted, [{"predictive_strength": {"benchmarks": three}}])),
            spark=spark, echo=lambda s: None)
    five = {**BENCH, "m5": 0.5}
    with pytest.raises(ColumnContractError, match="needs column 'm5_bpc'"):
        run(Recipe.from_dict(recipe(planted, [{"predictive_strength": {"benchmarks": five}}])),
            spark=spark, echo=lambda s: None)


def test_the_selector_finds_the_domain_whose_losses_predict(spark, planted, tmp_path):
    model = str(tmp_path / "selector.bin")
    steps = [{"predictive_strength": {"benchmarks": BENCH, "correlation": "kendall"}},
             {"preselect_train": {"model": model, "epoch": 10}},
             {"fasttext_score": {"model": model, "label": "pos", "output": "sel"}},
             {"select": {"column": "sel", "top_fraction": 0.3, "weight": "chars"}}]
    result = run(Recipe.from_dict(recipe(planted, steps, out=tmp_path / "out")), spark=spark,
                 echo=lambda s: None)
    everything = pd.concat([result.output.toPandas(), result.rejects.toPandas()])
    assert len(everything) == 240
    target = everything["domain"] == "astronomy"
    # The planted answer: positives are (almost only) the target domain, negatives never.
    labels = everything.groupby(["preselect_label", "domain"]).size()
    assert labels["pos"].sum() == labels["neg"].sum()
    assert labels["pos"].get("astronomy", 0) >= 0.9 * labels["pos"].sum()
    assert "astronomy" not in labels["neg"]
    assert (everything.loc[target, "predictive_strength"] == 6).mean() > 0.8
    assert everything.loc[target, "predictive_strength_kendall"].max() == pytest.approx(-1)
    assert auc(everything["sel"].tolist(), target.tolist()) >= 0.95
    kept = result.output.toPandas()
    assert (kept["domain"] == "astronomy").mean() >= 0.9
    chars = everything["text"].str.len()
    assert kept["text"].str.len().sum() >= 0.3 * chars.sum()
    report = json.loads(open(model + ".eval.json").read())
    assert report["preselect"]["positives"] == labels["pos"].sum()
    assert report["config"]["epoch"] == 10 and report["config"]["word_ngrams"] == 2
    details = {s.op: s.details for s in result.steps}["preselect_train"]
    assert details["positives"] == labels["pos"].sum()


def test_more_examples_than_max_train_rows_train_on_a_balanced_deterministic_sample(
        spark, planted, tmp_path, monkeypatch):
    # top 0.5 picks 120 positives + 120 negatives; the bound 40 trains on 20 of each,
    # the same ids from one file and from a 3-file reshuffle, and with the labels joined
    # back by a shuffle join instead of a broadcast (bound on broadcast rows lowered).
    import thresher.scorers.preselect.operator as op_module
    copy = tmp_path / "three"
    spark.read.parquet(str(planted)).repartition(3).write.parquet(str(copy))
    labelled = []
    for i, path in enumerate((planted, copy)):
        if i:
            monkeypatch.setattr(op_module, "_BROADCAST_ROWS", 10)
        steps = [{"predictive_strength": {"benchmarks": BENCH}},
                 {"preselect_train": {"model": str(tmp_path / f"s{i}.bin"), "top": 0.5,
                                      "epoch": 1, "max_train_rows": 40}}]
        result = run(Recipe.from_dict(recipe(path, steps)), spark=spark, echo=lambda s: None)
        details = {s.op: s.details for s in result.steps}["preselect_train"]
        assert details["picked_examples"] == 240 and details["trained_examples"] == 40
        assert details["positives"] == details["negatives"] == 20
        rows = result.output.where("preselect_label IS NOT NULL").select(
            "id", "preselect_label").collect()
        labelled.append(sorted((r.id, r.preselect_label) for r in rows))
        result.release()
    assert len(labelled[0]) == 40 and labelled[0] == labelled[1]
