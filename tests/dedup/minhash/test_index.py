"""``minhash_dedup`` with ``index``: batches deduplicated against everything kept
before, the index appended with the output, and never counted for a run whose
output did not commit."""
from __future__ import annotations

import pytest

from thresher.dedup.minhash.index import read_index
from thresher.operators import runner as runner_module
from thresher.operators.errors import InputError, OutputError, RecipeError
from thresher.operators.io import read_input
from thresher.operators.recipe import Recipe
from thresher.operators.runner import run
from tests.dedup.minhash.test_operator import BASE, OTHER

THIRD = ("A small museum near the old bridge keeps photographs of every flood since the "
         "eighteen eighties, together with the marks that the water left on the walls of "
         "the mill, and the keeper will tell anyone who asks which year was the worst.")
REASON = "minhash_dedup:near_duplicate"


def write_batch(spark, path, rows: dict[str, str]) -> str:
    spark.createDataFrame(sorted(rows.items()), "id string, text string") \
        .coalesce(1).write.mode("overwrite").parquet(str(path))
    return str(path)


def recipe(batch: str, tmp_path, **params) -> Recipe:
    step = {"ngram": 3, "threshold": 0.5, "index": str(tmp_path / "index"), **params}
    return Recipe.from_dict({
        "name": "incremental",
        "input": {"format": "parquet", "path": batch, "id_column": "id"},
        "steps": [{"minhash_dedup": step}],
        "output": {"format": "delta", "path": str(tmp_path / "kept"), "mode": "append",
                   "rejects": str(tmp_path / "rejects")}})


def run_batch(spark, tmp_path, name: str, rows: dict[str, str], **params):
    batch = write_batch(spark, tmp_path / name, rows)
    result = run(recipe(batch, tmp_path, **params), spark=spark, echo=lambda s: None)
    result.batch = set(rows)
    return result


def outcome(result) -> tuple[set, dict]:
    """This batch's kept ids and near-duplicate details (the outputs are appended to)."""
    kept = {r["id"] for r in result.output.collect()} & result.batch
    dropped = {r["id"]: r["drop_detail"] for r in result.rejects.collect()
               if r["drop_reason"] == REASON and r["id"] in result.batch}
    return kept, dropped


def index_ids(spark, tmp_path) -> set[str]:
    rows = read_index(spark, str(tmp_path / "index"), config=_config(spark, tmp_path))
    return {r["id"] for r in rows.select("id").distinct().collect()}


def _config(spark, tmp_path) -> str:
    stored = read_input(spark, format="delta", path=str(tmp_path / "index"))
    (config,), = stored.select("config").distinct().collect()
    return config


def test_batches_are_deduplicated_against_earlier_keepers(spark, tmp_path):
    first = run_batch(spark, tmp_path, "b1", {"a": BASE, "d": OTHER, "a2": BASE + " Yes."})
    kept, dropped = outcome(first)
    assert kept == {"a", "d"} and set(dropped) == {"a2"}
    assert index_ids(spark, tmp_path) == {"a", "d"}  # keepers only

    # b, c: near-duplicates of the indexed a; b2 joins their cluster only through b;
    # e, e2: new, a cluster of their own.
    second = run_batch(spark, tmp_path, "b2", {
        "b": BASE.replace("forty", "fifty"),
        "c": BASE.upper(),
        "e": THIRD, "e2": THIRD.replace("worst", "wettest")})
    kept, dropped = outcome(second)
    assert kept == {"e"}
    assert dropped["b"] == "near duplicate of indexed a (cluster of 2)"
    assert dropped["c"].startswith("near duplicate of indexed a")
    assert dropped["e2"] == "near duplicate of e (cluster of 2)"
    details = second.steps[1].details
    assert details["index_matches"] == 2 and details["near_duplicates"] == 3
    assert index_ids(spark, tmp_path) == {"a", "d", "e"}

    third = run_batch(spark, tmp_path, "b3", {"x": THIRD + " Really."})
    assert outcome(third)[0] == set()
    # rows in == kept + dropped on every run
    for result in (first, second, third):
        step = result.steps[1]
        assert step.rows_in == step.rows_out + sum(step.dropped_by_reason.values())


def test_mark_mode_labels_indexed_clusters(spark, tmp_path):
    run_batch(spark, tmp_path, "b1", {"a": BASE}, mode="mark")
    out = run_batch(spark, tmp_path, "b2", {"b": BASE.replace("forty", "fifty"), "e": THIRD},
                    mode="mark")
    rows = {r["id"]: (r["dup_cluster"], r["dup_keep"]) for r in out.output.collect()
            if r["id"] in out.batch}
    assert rows == {"b": ("a", False), "e": ("e", True)}


def test_index_rows_of_a_failed_output_never_count(spark, tmp_path, monkeypatch):
    run_batch(spark, tmp_path, "b1", {"a": BASE})
    real = runner_module.write_output
    kept_path = str(tmp_path / "kept")

    def fail_on_output(df, *, path, **kw):
        if path == kept_path:
            raise OutputError("simulated crash before the output commit")
        return real(df, path=path, **kw)

    monkeypatch.setattr(runner_module, "write_output", fail_on_output)
    with pytest.raises(OutputError):
        run_batch(spark, tmp_path, "b2", {"e": THIRD})
    monkeypatch.setattr(runner_module, "write_output", real)
    stored = read_input(spark, format="delta", path=str(tmp_path / "index"))
    # e's rows were written (a runner that rolls a failed group back removes them)...
    assert {r["id"] for r in stored.collect()} <= {"a", "e"}
    assert index_ids(spark, tmp_path) == {"a"}  # ...but its run never counts
    kept, _ = outcome(run_batch(spark, tmp_path, "b2again", {"e": THIRD}))
    assert kept == {"e"}


def test_index_with_other_signature_params_is_refused(spark, tmp_path):
    run_batch(spark, tmp_path, "b1", {"a": BASE})
    with pytest.raises(InputError, match=r"step 1 \(minhash_dedup\), param 'index'.*other "
                                         r"signature params"):
        run_batch(spark, tmp_path, "b2", {"e": THIRD}, ngram=4)


def test_index_that_is_not_a_delta_table(spark, tmp_path):
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "x.txt").write_text("not an index")
    with pytest.raises(InputError, match="not a Delta table"):
        run_batch(spark, tmp_path, "b1", {"a": BASE})


def test_index_needs_a_delta_output(tmp_path):
    data = {"name": "r", "input": {"format": "parquet", "path": str(tmp_path)},
            "steps": [{"minhash_dedup": {"index": str(tmp_path / "i")}}],
            "output": {"format": "parquet", "path": str(tmp_path / "o")}}
    with pytest.raises(RecipeError, match=r"step 1 \(minhash_dedup\), param 'index'.*format: delta"):
        Recipe.from_dict(data)
    del data["output"]
    with pytest.raises(RecipeError, match="found none"):
        Recipe.from_dict(data)
