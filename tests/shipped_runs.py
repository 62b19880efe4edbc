"""Runs of shipped recipes that several test modules check, made once per test session
(each costs tens of seconds): the classic run of recipes/preselect.yaml on every ninth
row of the bundled corpus is asserted on by tests/scorers/preselect/test_recipe.py and
compared with a Spark Connect run by tests/connect/test_training_connect.py; the
classic runs of quickstart and dedup_web (``classic_run``) are what the Spark Connect
runs (tests/connect/test_recipes_connect.py) must equal, and dedup_web's what the
standalone cluster's (tests/jobs/test_cluster.py) must."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]


def ninth_rows(folder: Path) -> Path:
    """Every ninth row of data/quickstart, ordered by id (the same rows on every machine):
    200 rows of every kind, a ninth of the time."""
    table = ds.dataset(ROOT / "data" / "quickstart").to_table().sort_by("id")
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.take(list(range(0, table.num_rows, 9))), folder / "part-00000.parquet")
    return folder


def output_overrides(out: Path) -> list[str]:
    """kept/, rejects/ and stats/ (Delta) under ``out``, as the recipe comparisons read them."""
    return [f"output.path={out}/kept", f"output.rejects={out}/rejects", f"output.stats={out}/stats",
            "output.mode=overwrite"]


def training_overrides(recipe: str, out: Path, corpus: Path) -> list[str]:
    """Outputs and models under ``out``; one training thread (fastText's multi-threaded
    training is not reproducible, and the comparisons are of one engine against another,
    not of one thread schedule against another)."""
    sets = [f"input.path={corpus}", *output_overrides(out)]
    model = out / "model" / "m.bin"
    if recipe == "quality_fasttext":
        sets += [f"steps.fasttext_train.input={corpus}", f"steps.fasttext_train.model={model}",
                 "steps.fasttext_train.thread=1"]
    else:  # preselect: half of the pool scored by the LMs (the same half for each)
        sets += [f"steps.preselect_train.model={model}", "steps.preselect_train.thread=1"]
        sets += [f"steps.{n}.sample=0.5" for n in (3, 4, 5)]
    return sets + [f"steps.fasttext_score.model={model}"]


@dataclass
class ShippedRun:
    result: object  # the RunResult
    out: Path       # kept/, rejects/, stats/, model/m.bin (+ .eval.json) under it
    corpus: Path
    rows: int


def run_shipped(spark, recipe: str, out: Path, corpus: Path, extra: tuple[str, ...] = ()) -> ShippedRun:
    from thresher.operators.runner import run

    result = run(ROOT / "recipes" / f"{recipe}.yaml", spark=spark,
                 overrides=[*training_overrides(recipe, out, corpus), *extra], echo=lambda _s: None)
    rows = ds.dataset(corpus).count_rows()
    return ShippedRun(result, out, corpus, rows)


def classic_run(spark, recipe: str, out: Path) -> ShippedRun:
    """The classic, in-process run of a shipped recipe (staged, as shipped) that the
    cluster and Spark Connect tests compare their runs with; dedup_web's MinHash stages
    are checkpointed under ``out/stages``."""
    from thresher.operators.runner import run

    sets = output_overrides(out)
    if recipe == "dedup_web":
        sets.append(f"steps.minhash_dedup.checkpoint_dir={out}/stages")
    result = run(ROOT / "recipes" / f"{recipe}.yaml", spark=spark, overrides=sets,
                 echo=lambda _s: None)
    return ShippedRun(result, out, Path(result.recipe.spec.input.path), int(result.steps[0].rows_in))
