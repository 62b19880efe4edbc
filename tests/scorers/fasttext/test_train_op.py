"""``fasttext_train`` in a recipe: DCLM's train-then-score in one YAML (the shipped
recipes/quality_fasttext.yaml), labels from a column or two predicates, and the
errors a bad training set or a bad spec gets, before Spark starts where possible."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("fasttext")

import thresher.jobs.builtins  # noqa: E402,F401
from thresher.operators.errors import InputError, RecipeError  # noqa: E402
from thresher.operators.recipe import Recipe  # noqa: E402
from thresher.operators.runner import run  # noqa: E402
from thresher.scorers.fasttext import TorchFastText  # noqa: E402
from tests.browser import CHROMIUM, check_report

ROOT = Path(__file__).resolve().parents[3]
RECIPE = ROOT / "recipes" / "quality_fasttext.yaml"


def _outputs(tmp_path: Path, model: Path) -> list[str]:
    out = tmp_path / "out"
    return ["output.format=parquet", f"output.path={out / 'kept'}",
            f"output.rejects={out / 'rejects'}", f"output.stats={out / 'stats'}",
            f"steps.fasttext_train.model={model}", f"steps.fasttext_score.model={model}"]


def test_the_shipped_recipe_trains_scores_and_keeps_the_best_characters(spark, tmp_path):
    model = tmp_path / "quality.bin"
    result = run(RECIPE, spark=spark, overrides=_outputs(tmp_path, model), echo=lambda s: None)
    # The model and its held-out evaluation were written by the train step ...
    report = json.loads(Path(str(model) + ".eval.json").read_text())
    assert report["label_counts"] == {"__label__hq": 1432, "__label__lq": 179}
    assert report["eval"]["accuracy"] >= 0.9
    train_step = next(s for s in result.steps if s.op == "fasttext_train")
    assert train_step.details["train_rows"] + train_step.details["held_out_rows"] == 1611
    assert train_step.rows_in == train_step.rows_out  # rows pass through
    # ... and the score step used exactly that model.
    kept = result.output.toPandas()
    ours = TorchFastText.from_file(str(model), device="cpu")
    expected = ours.predict_proba(pa.array(kept["text"].tolist()))[:, ours.labels.index("__label__hq")]
    assert abs(kept["quality"].to_numpy() - expected).max() < 1e-5
    # select kept ~30% of the characters, the best-scored ones.
    rejects = result.rejects.toPandas()
    selected = rejects[rejects["drop_reason"] == "select:not_in_top_fraction"]
    assert len(selected) > 0 and kept["quality"].min() >= selected["quality"].max()
    if CHROMIUM:  # the shipped recipe's report renders, with the score column drawn
        dom = check_report(result.outputs["report"].split(" ", 1)[1])
        assert "column quality: kept vs dropped" in dom


def _labelled(path: Path) -> Path:
    docs = pq.read_table(ROOT / "data" / "quickstart", columns=["text", "kind"]).to_pylist()
    rows = [(d["text"], "good" if d["kind"] == "clean" else "bad") for d in docs
            if d["text"] and d["kind"] in ("clean", "low_quality:ngram_spam", "low_quality:symbol_heavy")]
    pq.write_table(pa.table({"body": [r[0] for r in rows], "y": [r[1] for r in rows]}), path)
    return path


def _recipe(tmp_path: Path, train: dict, score_after: bool = True) -> Recipe:
    steps = [{"fasttext_train": train}]
    if score_after:
        steps.append({"fasttext_score": {"model": train.get("model", str(tmp_path / "m.bin")),
                                         "label": "good", "output": "q"}})
    return Recipe.from_dict({"name": "t", "input": {"format": "parquet",
                                                    "path": str(ROOT / "data" / "quickstart"),
                                                    "id_column": "id"},
                             "steps": steps})


def test_labels_from_a_column(spark, tmp_path):
    data = _labelled(tmp_path / "train.parquet")
    recipe = _recipe(tmp_path, {"input": str(data), "text_column": "body", "label_column": "y",
                                "model": str(tmp_path / "m.bin"), "epoch": 5})
    op = recipe.operators[0]
    df = spark.read.parquet(str(ROOT / "data" / "quickstart"))
    assert op.transform(df) is df
    report = json.loads((tmp_path / "m.bin.eval.json").read_text())
    assert set(report["label_counts"]) == {"__label__good", "__label__bad"}
    assert TorchFastText.from_file(str(tmp_path / "m.bin"), device="cpu").labels


def test_spec_errors_name_the_step_and_param(tmp_path):
    data = _labelled(tmp_path / "train.parquet")
    base = {"input": str(data), "model": str(tmp_path / "m.bin")}
    with pytest.raises(RecipeError, match="give label_column, or both"):
        _recipe(tmp_path, base)
    with pytest.raises(RecipeError, match="give label_column, or both"):
        _recipe(tmp_path, {**base, "positive_where": "y = 'good'"})
    with pytest.raises(RecipeError, match=r"param 'input'.*training set not found"):
        _recipe(tmp_path, {**base, "input": str(tmp_path / "nope"), "label_column": "y"})
    with pytest.raises(RecipeError, match="positive_label and negative_label must differ"):
        _recipe(tmp_path, {**base, "positive_where": "true", "negative_where": "false",
                           "positive_label": "x", "negative_label": "x"})
    # A score step naming a model no earlier step trains (and that does not exist) fails.
    with pytest.raises(RecipeError, match="fasttext_score"):
        Recipe.from_dict({"name": "t", "input": {"format": "parquet", "path": str(data)},
                          "steps": [{"fasttext_score": {"model": str(tmp_path / "m.bin"),
                                                        "label": "good"}}]})


def test_training_set_errors_name_the_file(spark, tmp_path):
    data = _labelled(tmp_path / "train.parquet")
    df = spark.read.parquet(str(ROOT / "data" / "quickstart"))
    both = _recipe(tmp_path, {"input": str(data), "text_column": "body", "model": str(tmp_path / "m.bin"),
                              "positive_where": "y = 'good'", "negative_where": "y IN ('good', 'bad')"})
    with pytest.raises(InputError, match="match both positive_where and negative_where"):
        both.operators[0].transform(df)
    no_column = _recipe(tmp_path, {"input": str(data), "model": str(tmp_path / "m.bin"),
                                   "label_column": "y"})  # text_column defaults to 'text'
    with pytest.raises(InputError, match=r"train.parquet has no text column 'text'"):
        no_column.operators[0].transform(df)
    one_label = _recipe(tmp_path, {"input": str(data), "text_column": "body", "model": str(tmp_path / "m.bin"),
                                   "positive_where": "y = 'good'", "negative_where": "y = 'none'"})
    with pytest.raises(InputError, match="needs examples of two labels"):
        one_label.operators[0].transform(df)
    assert not (tmp_path / "m.bin").exists()  # nothing written by a failed step


def test_a_training_set_over_max_train_rows_trains_on_a_deterministic_sample(spark, tmp_path):
    # 300 usable rows, bound 120: at most 120 reach the driver, the same 120 whatever the
    # files (one file vs a reshuffled copy in 3 files), and the stats say so.
    rows = [(f"doc {i} " + ("good words" if i % 2 else "bad spam"), "good" if i % 2 else "bad")
            for i in range(300)] + [("   ", "good"), (None, "bad")]
    one = tmp_path / "one.parquet"
    pq.write_table(pa.table({"body": [r[0] for r in rows], "y": [r[1] for r in rows]}), one)
    spark.read.parquet(str(one)).repartition(3).write.parquet(str(tmp_path / "three"))
    picked = []
    for name, data in (("a", one), ("b", tmp_path / "three")):
        model = tmp_path / f"{name}.bin"
        recipe = _recipe(tmp_path, {"input": str(data), "text_column": "body",
                                    "label_column": "y", "model": str(model), "epoch": 1,
                                    "max_train_rows": 120}, score_after=False)
        op = recipe.operators[0]
        lines, labels, skipped = op._examples(spark)
        assert len(lines) == 120 and skipped == 2
        picked.append(list(zip(lines, labels)))
        op.transform(spark.range(1))
        details = op.report()
        assert details["train_rows"] + details["held_out_rows"] == 120
        assert details["usable_rows"] == 300 and details["max_train_rows"] == 120
        sample = json.loads(Path(str(model) + ".eval.json").read_text())["sample"]
        assert sample == {"usable_rows": 300, "max_train_rows": 120, "sampled": True}
    assert picked[0] == picked[1]
