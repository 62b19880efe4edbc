"""``thresher preselect score|train``: the errors that name a model, and a run on the
bundled toy models (data/models/tiny_lm_*)."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from thresher.jobs.cli import EXIT_OK, EXIT_USER, main

pytest.importorskip("fasttext")
pytest.importorskip("transformers")

ROOT = Path(__file__).resolve().parents[2]
MODELS = {n: str(ROOT / "data" / "models" / f"tiny_lm_{n[-1]}") for n in ("lm_a", "lm_b", "lm_c")}


@pytest.fixture()
def inputs(tmp_path):
    table = pq.read_table(ROOT / "data" / "quickstart").slice(0, 200)
    pq.write_table(table, tmp_path / "docs.parquet")
    scores = tmp_path / "scores.yaml"
    scores.write_text("lm_a: 0.31\nlm_b: 0.38\nlm_c: 0.44\n")
    return tmp_path


def score_args(root: Path, models: dict, *extra: str) -> list[str]:
    spec = ",".join(f"{k}={v}" for k, v in models.items())
    return ["preselect", "score", "--input", str(root / "docs.parquet"), "--models", spec,
            "--benchmarks", str(root / "scores.yaml"), "--out", str(root / "out"),
            "--block-size", "128", "--stride", "64", *extra]


def test_models_and_benchmarks_must_match_and_be_three(inputs, capsys):
    two = {k: MODELS[k] for k in ("lm_a", "lm_b")}
    assert main(score_args(inputs, two)) == EXIT_USER
    assert ("model(s) lm_c have a benchmark score in "
            f"{inputs / 'scores.yaml'} but no losses in --models") in capsys.readouterr().err
    assert main(score_args(inputs, {**MODELS, "lm_d": MODELS["lm_a"]})) == EXIT_USER
    assert "model(s) lm_d in --models have no benchmark score" in capsys.readouterr().err
    (inputs / "scores.yaml").write_text("lm_a: 0.31\nlm_b: 0.38\n")
    assert main(score_args(inputs, two)) == EXIT_USER
    assert "at least 3 models, found 2" in capsys.readouterr().err
    assert main(score_args(inputs, {"lm_a": ""})) == EXIT_USER
    assert "--models: expected NAME=PATH, found 'lm_a='" in capsys.readouterr().err
    assert not (inputs / "out").exists()


def test_score_then_train(spark, inputs, capsys):
    out = inputs / "out"
    assert main(score_args(inputs, MODELS, "--sample", "0.6", "--correlation", "spearman")) \
        == EXIT_OK
    scores = spark.read.parquet(str(out / "scores")).toPandas()
    assert {"lm_a_loss", "lm_b_tokens", "lm_c_chars", "lm_c_bpc", "predictive_strength",
            "predictive_strength_norm", "predictive_strength_spearman"} <= set(scores.columns)
    scored = scores["predictive_strength"].notna()
    assert 0.4 * len(scores) < scored.sum() < 0.8 * len(scores)
    assert scores.loc[scored, "lm_c_bpc"].notna().all()
    assert (out / "stats").exists() and (out / "rejects").exists()
    assert main(score_args(inputs, MODELS)) == EXIT_USER  # outputs exist: no --overwrite
    assert "already exists" in capsys.readouterr().err

    model = inputs / "selector.bin"
    assert main(["preselect", "train", "--input", str(out), "--out", str(model),
                 "--top", "0.25", "--epoch", "5"]) == EXIT_OK
    printed = capsys.readouterr().out
    report = json.loads(Path(str(model) + ".eval.json").read_text())
    n = report["preselect"]["positives"]
    assert n == report["preselect"]["negatives"] == -(-scored.sum() // 4)  # ceil(0.25 x scored)
    assert f"{n} positives" in printed and report["config"]["epoch"] == 5
    assert report["config"]["word_ngrams"] == 2
    assert main(["preselect", "train", "--input", str(out), "--out", str(model),
                 "--score-column", "nope"]) == EXIT_USER
    assert "no score column 'nope'" in capsys.readouterr().err
