"""The recipes with training steps on a real Spark Connect server keep the rows, rejects,
stats and trained models of classic Spark (compared on content), with no JVM access.

quality_fasttext: fasttext_train (driver-side training from a Spark read of a labelled
set), fasttext_score with the model it just wrote shipped as a session artifact,
select. preselect: lm_loss x3 (model folders shipped as archives), predictive_strength,
preselect_train, fasttext_score, select. Both run on every ninth row of the bundled
corpus (200 rows, every kind, a ninth of the time), through ``run(recipe,
spark=<Connect>)``; preselect's classic side is the session's one classic run
(tests/shipped_runs.py), which tests/scorers/preselect checks in detail.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import thresher.jobs.builtins  # noqa: F401
from tests.shipped_runs import run_shipped, training_overrides

from .test_recipes_connect import ROOT, _same, on_connect

pytestmark = pytest.mark.slow


def _connect_like(recipe: str, connect_url: str, classic: Path, corpus: Path, tmp_path: Path) -> dict:
    """Run ``recipe`` on the Connect server as the classic run under ``classic`` was run,
    and compare the two on content."""
    path = ROOT / "recipes" / f"{recipe}.yaml"
    report = on_connect(connect_url, path, [*training_overrides(recipe, tmp_path / "connect", corpus),
                                            "output.report=false"], tmp_path)
    _same(classic, tmp_path / "connect")
    # The same training rows gave the same model, byte for byte, and the same evaluation.
    models = [side / "model" / "m.bin" for side in (classic, tmp_path / "connect")]
    assert models[0].read_bytes() == models[1].read_bytes()
    assert _eval(classic) == _eval(tmp_path / "connect")
    return report


def _eval(out: Path) -> dict:
    doc = json.loads((out / "model" / "m.bin.eval.json").read_text())
    return {k: v for k, v in doc.items() if "seconds" not in k and k != "model"}


def _shipped(report: dict, kind: str) -> set[str]:
    """Names of what the run added as session artifacts of ``kind``, version digest cut."""
    return {name.split("-", 1)[1] for name, k in report["artifacts"] if k == kind}


def test_quality_fasttext_on_connect_same_as_classic(connect_url, spark, ninth_corpus, tmp_path):
    classic = run_shipped(spark, "quality_fasttext", tmp_path / "classic", ninth_corpus,
                          extra=("output.report=false",))
    assert classic.result.notes == []
    report = _connect_like("quality_fasttext", connect_url, classic.out, ninth_corpus, tmp_path)
    assert report["notes"] == []
    assert _shipped(report, "file") == {"m.bin"}  # the freshly trained model, as an artifact


def test_preselect_on_connect_same_as_classic(connect_url, preselect_classic, tmp_path):
    assert preselect_classic.result.notes == []
    report = _connect_like("preselect", connect_url, preselect_classic.out,
                           preselect_classic.corpus, tmp_path)
    assert report["notes"] == []
    assert _shipped(report, "archive") == {"tiny_lm_a.zip", "tiny_lm_b.zip", "tiny_lm_c.zip"}
    assert _shipped(report, "file") == {"m.bin"}
