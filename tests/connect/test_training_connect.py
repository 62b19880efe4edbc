"""The recipes with training steps on a real Spark Connect server keep the rows, rejects,
stats and trained models of classic Spark (compared on content), with no JVM access.

quality_fasttext: fasttext_train (driver-side training from a Spark read of a labelled
set), fasttext_score with the model it just wrote shipped as a session artifact,
select. preselect: lm_loss x3 (model folders shipped as archives), predictive_strength,
preselect_train, fasttext_score, select. Both run on every ninth row of the bundled
corpus (200 rows, every kind, a ninth of the time: the suite is
over its time budget), through ``run(recipe, spark=<Connect>)``.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import thresher.jobs.builtins  # noqa: F401
from thresher.operators.runner import run

from .test_recipes_connect import ROOT, RUNNER, _env, _same

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Every ninth row of data/quickstart (ordered by id: the same rows on every machine)."""
    table = ds.dataset(ROOT / "data" / "quickstart").to_table().sort_by("id")
    folder = tmp_path_factory.mktemp("corpus") / "part"
    folder.mkdir()
    pq.write_table(table.take(list(range(0, table.num_rows, 9))), folder / "part-00000.parquet")
    return folder


def _overrides(out: Path, corpus: Path, recipe: str) -> list[str]:
    sets = [f"input.path={corpus}", f"output.path={out}/kept", f"output.rejects={out}/rejects",
            f"output.stats={out}/stats", "output.mode=overwrite", "output.report=false"]
    model = out / "model" / "m.bin"
    # One training thread: fastText's multi-threaded training is not reproducible, and
    # the comparison is of Connect against classic, not of one thread schedule against another.
    if recipe == "quality_fasttext":
        sets += [f"steps.fasttext_train.input={corpus}", f"steps.fasttext_train.model={model}",
                 "steps.fasttext_train.thread=1"]
    else:
        sets += [f"steps.preselect_train.model={model}", "steps.preselect_train.thread=1"]
    return sets + [f"steps.fasttext_score.model={model}"]


def _classic_and_connect(recipe: str, connect_url: str, spark, corpus: Path, tmp_path: Path) -> dict:
    path = ROOT / "recipes" / f"{recipe}.yaml"
    classic = run(path, spark=spark, overrides=_overrides(tmp_path / "classic", corpus, recipe),
                  echo=lambda _s: None)
    assert classic.notes == []
    proc = subprocess.run([sys.executable, str(RUNNER), connect_url, str(path),
                           *_overrides(tmp_path / "connect", corpus, recipe)],
                          env=_env(), capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["touched"] == [], f"a Connect run asked for JVM-only attributes: {report['touched']}"
    _same(tmp_path / "classic", tmp_path / "connect")
    # The same training rows gave the same model, byte for byte, and the same evaluation.
    models = [tmp_path / side / "model" / "m.bin" for side in ("classic", "connect")]
    assert models[0].read_bytes() == models[1].read_bytes()
    return report


def _eval(tmp_path: Path, side: str) -> dict:
    doc = json.loads((tmp_path / side / "model" / "m.bin.eval.json").read_text())
    return {k: v for k, v in doc.items() if "seconds" not in k and k != "model"}


def _shipped(report: dict, kind: str) -> set[str]:
    """Names of what the run added as session artifacts of ``kind``, version digest cut."""
    return {name.split("-", 1)[1] for name, k in report["artifacts"] if k == kind}


def test_quality_fasttext_on_connect_same_as_classic(connect_url, spark, corpus, tmp_path):
    report = _classic_and_connect("quality_fasttext", connect_url, spark, corpus, tmp_path)
    assert report["notes"] == []
    assert _shipped(report, "file") == {"m.bin"}  # the freshly trained model, as an artifact
    assert _eval(tmp_path, "classic") == _eval(tmp_path, "connect")


def test_preselect_on_connect_same_as_classic(connect_url, spark, corpus, tmp_path):
    report = _classic_and_connect("preselect", connect_url, spark, corpus, tmp_path)
    assert report["notes"] == []
    assert _shipped(report, "archive") == {"tiny_lm_a.zip", "tiny_lm_b.zip", "tiny_lm_c.zip"}
    assert _shipped(report, "file") == {"m.bin"}
    assert _eval(tmp_path, "classic") == _eval(tmp_path, "connect")
