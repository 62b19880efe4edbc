"""Balanced positives / negatives: who is chosen, ties by id, caps; the selector's errors."""
from __future__ import annotations

import pytest

from thresher.operators.errors import PreSelectError
from thresher.scorers.preselect.examples import balanced_examples, fit_selector

# (id, text, score): 3 at the maximum 6, ties at 2 and 0, a null score, an empty text
ROWS = [("a", "t a", 6), ("b", "t b", 2), ("c", "t c", 6), ("d", "t d", 0), ("e", "t e", 3),
        ("f", "t f", 0), ("g", "t g", 6), ("h", "t h", 2), ("i", "t i", None), ("j", "", 6),
        ("k", "t k", 1), ("l", "t l", 0)]


@pytest.fixture(scope="module")
def df(spark):
    return spark.createDataFrame(ROWS, "id string, text string, score int").repartition(3)


def chosen(df, **kw) -> dict[str, list[str]]:
    got = balanced_examples(df, score="score", id_column="id", text_column="text", **kw).collect()
    out = {"pos": [], "neg": []}
    for r in got:
        out[r.label].append(r.id)
        assert r.text == f"t {r.id}" and r.score == dict((x[0], x[2]) for x in ROWS)[r.id]
    return {k: sorted(v) for k, v in out.items()}


def test_positives_are_every_document_at_the_maximum_and_negatives_as_many_lowest(df):
    # usable: 10 (i has no score, j no text). Max 6: a, c, g. Lowest 3 of (score desc, id
    # asc) are the last three: d, f, l (score 0).
    assert chosen(df) == {"pos": ["a", "c", "g"], "neg": ["d", "f", "l"]}


def test_top_fraction_is_exact_and_ties_break_by_id(df):
    # ceil(0.2 x 10) = 2: a, c (g loses the tie); negatives: the last 2 of the order, f, l
    assert chosen(df, top=0.2) == {"pos": ["a", "c"], "neg": ["f", "l"]}
    # 0.3 x 10 = 3 exactly (no float rounding up to 4)
    assert chosen(df, top=0.3) == {"pos": ["a", "c", "g"], "neg": ["d", "f", "l"]}


def test_positives_are_capped_at_half_so_the_sets_never_overlap(spark):
    rows = [(str(i), f"t {i}", 5 if i < 7 else 1) for i in range(10)]
    df = spark.createDataFrame(rows, "id string, text string, score int")
    got = balanced_examples(df, score="score", id_column="id").collect()
    pos = {r.id for r in got if r.label == "pos"}
    neg = {r.id for r in got if r.label == "neg"}
    assert len(pos) == len(neg) == 5 and not pos & neg
    assert pos == {"0", "1", "2", "3", "4"} and neg == {"5", "6", "7", "8", "9"}


def test_the_selector_refuses_examples_that_cannot_differ(tmp_path):
    with pytest.raises(PreSelectError, match="no training examples"):
        fit_selector([], [], [], str(tmp_path / "m.bin"), source="test")
    with pytest.raises(PreSelectError, match="every document has predictive strength 3"):
        fit_selector(["a b", "c d"], ["pos", "neg"], [3, 3], str(tmp_path / "m.bin"),
                     source="test")
    assert not (tmp_path / "m.bin").exists()


def test_nan_scores_take_no_part(spark):
    rows = [("a", "t a", 1.0), ("b", "t b", float("nan")), ("c", "t c", 0.5), ("d", "t d", 0.1)]
    df = spark.createDataFrame(rows, "id string, text string, score double")
    got = {r.id: r.label for r in balanced_examples(df, score="score").collect()}
    assert got == {"a": "pos", "d": "neg"}


def test_examples_plan_has_no_single_task_stage(spark):
    # The order used to be one Window.orderBy without partitionBy: every row in one task.
    from tests.plan_shape import inspect
    rows = [(f"d{i:04d}", f"t {i}", float((i * 37) % 101)) for i in range(400)]
    df = spark.createDataFrame(rows, "id string, text string, score double").repartition(4)
    for top in (None, 0.1):
        problems, _ = inspect(balanced_examples(df, score="score", top=top))
        assert problems == [], problems


def test_distributed_order_matches_a_plain_sort(spark):
    # 400 documents over many quantile buckets, ties included: same picks as sorted().
    rows = [(f"d{i:04d}", f"t {i}", float((i * 37) % 101)) for i in range(400)]
    df = spark.createDataFrame(rows, "id string, text string, score double").repartition(4)
    order = sorted(rows, key=lambda r: (-r[2], r[0]))
    k = 40  # ceil(0.1 x 400)
    picked = balanced_examples(df, score="score", top=0.1).collect()
    got = {lab: sorted(r.id for r in picked if r.label == lab) for lab in ("pos", "neg")}
    assert got == {"pos": sorted(r[0] for r in order[:k]),
                   "neg": sorted(r[0] for r in order[-k:])}
