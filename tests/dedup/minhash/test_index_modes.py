"""The incremental index under every output mode (issue 15, item 2): overwrite
supersedes the runs it replaced, append keeps them counting, a repeated run gives
the same answer, and a document with no other copy is never lost.

The recipe's output mode reaches the step as ``StepContext.output_mode``. Until the
framework sets that field, ``run_recipe`` binds the step to a context that carries
it, exactly as ``Recipe.from_dict`` would; the runner path is otherwise the real one.
"""
from __future__ import annotations

import dataclasses

from thresher.operators.base import StepContext
from thresher.operators.recipe import Recipe
from thresher.operators.runner import run
from tests.dedup.minhash.test_index import REASON, THIRD, index_ids, write_batch
from tests.dedup.minhash.test_operator import BASE, OTHER

FOURTH = ("Every autumn the orchard behind the school is harvested by the pupils, who sort "
          "the apples into baskets by size and colour, press the bruised ones into juice, and "
          "sell the rest at the market on the square to pay for the winter trip to the coast.")


@dataclasses.dataclass(frozen=True)
class _ModeContext(StepContext):
    output_mode: str | None = None


def _bind_mode(recipe: Recipe) -> Recipe:
    if "output_mode" in {f.name for f in dataclasses.fields(StepContext)}:
        return recipe  # the framework passes the mode itself
    mode = recipe.spec.output.mode
    recipe.operators = [op.bind(_ModeContext(**dataclasses.asdict(op.ctx), output_mode=mode))
                        for op in recipe.operators]
    return recipe


def run_recipe(spark, tmp_path, name: str, rows: dict[str, str], mode: str):
    batch = write_batch(spark, tmp_path / name, rows)
    recipe = Recipe.from_dict({
        "name": "incremental",
        "input": {"format": "parquet", "path": batch, "id_column": "id"},
        "steps": [{"minhash_dedup": {"ngram": 3, "threshold": 0.5,
                                     "index": str(tmp_path / "index")}}],
        "output": {"format": "delta", "path": str(tmp_path / "kept"), "mode": mode,
                   "rejects": str(tmp_path / f"rejects-{name}")}})
    result = run(_bind_mode(recipe), spark=spark, echo=lambda s: None)
    step = result.steps[1]
    assert step.rows_in == step.rows_out + sum(step.dropped_by_reason.values())
    return result


def output_ids(result) -> set[str]:
    """Every id in the output table (all runs that still count)."""
    return {r["id"] for r in result.output.collect()}


def details(result, batch: dict) -> dict[str, str]:
    return {r["id"]: r["drop_detail"] for r in result.rejects.collect()
            if r["drop_reason"] == REASON and r["id"] in batch}


BATCH = {"a": BASE, "a2": BASE + " Yes.", "d": OTHER, "e": THIRD}


def test_overwrite_twice_keeps_what_one_run_keeps(spark, tmp_path):
    once = output_ids(run_recipe(spark, tmp_path, "b1", BATCH, "overwrite"))
    assert once == {"a", "d", "e"}
    for attempt in ("b2", "b3"):  # repeated runs of the same batch
        again = run_recipe(spark, tmp_path, attempt, BATCH, "overwrite")
        assert output_ids(again) == once
        assert details(again, BATCH) == {"a2": "near duplicate of a (cluster of 2)"}
    assert index_ids(spark, tmp_path) == once  # only the last run's rows count


def test_overwrite_with_another_batch_loses_no_document(spark, tmp_path):
    run_recipe(spark, tmp_path, "b1", {"a": BASE, "d": OTHER}, "overwrite")
    # b's only near-duplicate, a, is replaced by this very run: b has no other copy.
    b = BASE.replace("forty", "fifty")
    second = run_recipe(spark, tmp_path, "b2", {"b": b, "f": FOURTH}, "overwrite")
    assert output_ids(second) == {"b", "f"}
    assert index_ids(spark, tmp_path) == {"b", "f"}


def test_append_twice_keeps_only_new_documents(spark, tmp_path):
    first = run_recipe(spark, tmp_path, "b1", {"a": BASE, "a2": BASE + " Yes.", "d": OTHER},
                       "append")
    assert output_ids(first) == {"a", "d"}
    batch = {"a": BASE, "a2": BASE + " Yes.", "d": OTHER, "f": FOURTH}
    second = run_recipe(spark, tmp_path, "b2", batch, "append")
    rows = [r["id"] for r in second.output.collect()]
    assert sorted(rows) == ["a", "d", "f"]  # a and d were not appended a second time
    found = details(second, batch)
    assert found["a"] == "already kept: id a is in the index for this output"
    assert found["d"] == "already kept: id d is in the index for this output"
    assert found["a2"].startswith("near duplicate of indexed a")


def test_append_after_overwrite_counts_only_the_overwriting_run(spark, tmp_path):
    run_recipe(spark, tmp_path, "b1", {"a": BASE}, "append")
    run_recipe(spark, tmp_path, "b2", {"e": THIRD}, "overwrite")  # the output is {e} now
    batch = {"b": BASE.replace("forty", "fifty"), "e2": THIRD.replace("worst", "wettest"),
             "f": FOURTH}
    third = run_recipe(spark, tmp_path, "b3", batch, "append")
    # b's near-duplicate a was overwritten away: b is kept; e is still there: e2 goes.
    assert output_ids(third) == {"e", "b", "f"}
    assert details(third, batch) == {"e2": "near duplicate of indexed e (cluster of 1)"}
    assert index_ids(spark, tmp_path) == {"e", "b", "f"}


def test_live_runs_replays_overwrite_restore_and_rollback(tmp_path):
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake
    from deltalake.transaction import CommitProperties

    from thresher.dedup.minhash.index import live_runs
    from thresher.operators.io import get_fs

    path = str(tmp_path / "t")
    fs, norm = get_fs(path)

    def commit(mode: str, **tags):
        write_deltalake(path, pa.table({"x": [1]}), mode=mode,
                        commit_properties=CommitProperties(custom_metadata=tags))

    assert live_runs(fs, norm) == set()
    commit("error", **{"thresher.run_id": "r1"})
    commit("append", **{"thresher.run_id": "r2"})
    assert live_runs(fs, norm) == {"r1", "r2"}
    commit("overwrite", **{"thresher.run_id": "r3"})
    assert live_runs(fs, norm) == {"r3"}
    commit("append", **{"thresher.run_id": "r4"})
    assert live_runs(fs, norm) == {"r3", "r4"}
    DeltaTable(path).restore(1)  # back to r1 + r2
    assert live_runs(fs, norm) == {"r1", "r2"}
    commit("append", **{"thresher.run_id": "r5"})
    DeltaTable(path).restore(4, commit_properties=CommitProperties(
        custom_metadata={"thresher.rolled_back_run": "r5"}))
    assert live_runs(fs, norm) == {"r1", "r2"}
