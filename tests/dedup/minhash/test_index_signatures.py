"""Index matches verified by signature: a band collision with an indexed document
counts only where the two signatures agree in ``threshold`` of their positions; an
index written before signatures were kept still works, its matches unverified."""
from __future__ import annotations

from deltalake import DeltaTable, write_deltalake

from thresher.dedup.minhash.index import ANCHOR, SELF, UNVERIFIED, index_matches
from thresher.operators.io import read_input
from tests.dedup.minhash.test_index import THIRD, index_ids, outcome, run_batch
from tests.dedup.minhash.test_operator import BASE, OTHER

KEYS = "id string, bands array<bigint>, sig array<int>"
INDEX = "id string, band int, key bigint, output string, signature array<int>"


def _matches(spark, keys, index, threshold=0.5):
    found = index_matches(spark.createDataFrame(keys, KEYS), spark.createDataFrame(index, INDEX),
                          "id", "out", threshold=threshold)
    return {r["id"]: (r[ANCHOR], r[SELF], r[UNVERIFIED]) for r in found.collect()}


def test_a_band_collision_counts_only_with_agreeing_signatures(spark):
    sig = list(range(10))
    half = sig[:5] + [-1] * 5  # agrees in 5 of 10 positions
    few = sig[:4] + [-1] * 6
    keys = [("near", [7, 100], sig), ("far", [7, 101], few), ("edge", [8, 102], half),
            ("old", [9, 103], few), ("kept", [50, 51], sig)]
    index = [("a", 0, 7, "out", sig), ("a", 1, 999, "out", None),  # band 1 rows carry none
             ("b", 0, 8, "out", sig),
             ("c", 0, 9, "out", None),  # written before signatures were kept
             ("kept", 0, 1, "out", sig)]
    assert _matches(spark, keys, index) == {
        "near": ("a", False, False), "edge": ("b", False, False), "old": ("c", False, True),
        "kept": ("kept", True, False)}  # far collides with a, but agrees in 4 of 10
    assert "edge" not in _matches(spark, keys, index, threshold=0.6)
    # the other signature of the same id in another output is not this one's
    other = [("a", 0, 7, "elsewhere", few)]
    assert _matches(spark, [("near", [7, 100], sig)], other) == {}
    # a verified anchor wins over a smaller unverified one
    both = [("a", 0, 7, "out", sig), ("0", 0, 100, "out", None)]
    assert _matches(spark, [("near", [7, 100], sig)], both) == {"near": ("a", False, False)}


def test_runs_keep_signatures_in_the_index(spark, tmp_path):
    first = run_batch(spark, tmp_path, "b1", {"a": BASE, "d": OTHER})
    rows = read_input(spark, format="delta", path=str(tmp_path / "index")).collect()
    band0 = {r["id"]: r["signature"] for r in rows if r["band"] == 0}
    assert set(band0) == {"a", "d"} and all(len(s) == 128 for s in band0.values())
    assert all(r["signature"] is None for r in rows if r["band"] != 0)
    second = run_batch(spark, tmp_path, "b2", {"b": BASE.replace("forty", "fifty"), "e": THIRD})
    assert outcome(second)[0] == {"e"}
    details = second.steps[1].details
    assert details["index_matches"] == 1 and details["index_matches_unverified"] == 0
    assert first.steps[1].details["index_matches"] == 0


def test_an_index_without_signatures_still_matches_and_is_appended_as_it_is(spark, tmp_path):
    run_batch(spark, tmp_path, "b1", {"a": BASE, "d": OTHER})
    path = str(tmp_path / "index")
    old = DeltaTable(path).to_pandas().drop(columns=["signature"])
    write_deltalake(path, old, mode="overwrite", schema_mode="overwrite")
    second = run_batch(spark, tmp_path, "b2", {"b": BASE.replace("forty", "fifty"), "e": THIRD})
    kept, dropped = outcome(second)
    assert kept == {"e"} and dropped["b"].startswith("near duplicate of indexed a")
    details = second.steps[1].details
    assert details["index_matches"] == 1 and details["index_matches_unverified"] == 1
    assert "signature" not in DeltaTable(path).to_pandas().columns
    assert index_ids(spark, tmp_path) == {"a", "d", "e"}
