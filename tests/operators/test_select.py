"""The `select` operator: threshold and top-fraction modes, on content."""
from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest
from pydantic import ValidationError

from thresher.operators.base import DROP_DETAIL, DROP_REASON, DROP_STEP, Operator, OpParams, StepContext
from thresher.operators.registry import get_operator, register
from thresher.operators.errors import RecipeError
from thresher.operators.select import Select

SCHEMA = (f"id long, text string, score double, {DROP_REASON} string, {DROP_STEP} int, "
          f"{DROP_DETAIL} string")
PRE = ("earlier:too_short", 1, "chars=1 < 5")  # a drop made by an earlier step
CTX = dict(text_column="text", id_column="id", step=3)


def make(spark, rows):
    """rows: (id, text, score) live, or (id, text, score, PRE) pre-dropped."""
    data = [(r[0], r[1], r[2], *(r[3] if len(r) > 3 else (None, None, None))) for r in rows]
    return spark.createDataFrame(data, SCHEMA)


def bind(**params):
    op = Select(**params)
    return op.bind(StepContext(**CTX, op_name=op.name))


def verdicts(df):
    """id -> (reason, step, detail); (None, None, None) for kept rows."""
    return {r["id"]: (r[DROP_REASON], r[DROP_STEP], r[DROP_DETAIL])
            for r in df.select("id", DROP_REASON, DROP_STEP, DROP_DETAIL).collect()}


def kept(df):
    return {i for i, (reason, _, _) in verdicts(df).items() if reason is None}


def reasons(df):
    return {i: v[0] for i, v in verdicts(df).items()}


# ----------------------------------------------------------------- threshold mode

def test_threshold_bounds_inclusive_with_details_nulls_and_predropped(spark):
    df = make(spark, [
        (1, "a", 0.1), (2, "b", 0.2), (3, "c", 0.5), (4, "d", 1.0), (5, "e", 1.1),
        (6, "f", None), (7, "g", float("nan")),
        (8, "h", 0.0, PRE), (9, "i", None, PRE),
    ])
    out = bind(column="score", min=0.2, max=1.0).transform(df)
    v = verdicts(out)
    assert v[1] == ("select:below_min", 3, "score=0.1 < min=0.2")
    assert v[5] == ("select:above_max", 3, "score=1.1 > max=1.0")
    assert v[6] == ("select:null", 3, "score is null or NaN")
    assert v[7] == ("select:null", 3, "score is null or NaN")
    assert kept(out) == {2, 3, 4}
    assert v[8] == v[9] == PRE  # earlier drops untouched (first reason wins)
    assert out.columns == df.columns and len(v) == 9


def test_threshold_one_bound_on_integer_column(spark):
    df = spark.createDataFrame(
        [(1, "a", 3, None, None, None), (2, "b", 10, None, None, None),
         (3, "c", None, None, None, None)],
        f"id long, text string, n int, {DROP_REASON} string, {DROP_STEP} int, {DROP_DETAIL} string")
    out = bind(column="n", min=5).transform(df)
    v = verdicts(out)
    assert v[1] == ("select:below_min", 3, "n=3 < min=5.0")
    assert v[2] == (None, None, None)
    assert v[3][0] == "select:null"
    assert reasons(bind(column="n", max=5).transform(df)) == {
        1: None, 2: "select:above_max", 3: "select:null"}


# ------------------------------------------------------------- top-fraction mode

def test_top_fraction_rows_is_exact_and_ignores_dead_rows(spark):
    live_rows = [(i, "x", float(i)) for i in range(1, 11)]
    # Pre-dropped rows with the best scores must neither be kept nor shift the cut.
    dead = [(100 + i, "x", 50.0 + i, PRE) for i in range(5)]
    df = make(spark, live_rows + dead)
    out = bind(column="score", top_fraction=0.3).transform(df)
    assert kept(out) == {8, 9, 10}  # 0.3 x 10 rows = exactly 3 (no float round-up to 4)
    v = verdicts(out)
    assert all(v[100 + i] == PRE for i in range(5))
    assert v[7] == ("select:not_in_top_fraction", 3,
                    "score=7.0; rank 4 among live rows; 3 rows rank before it >= top_fraction 0.3 "
                    "x 10 rows total; last kept score=8.0 (ties by id ascending)")
    assert {i for i, r in reasons(out).items() if r == "select:not_in_top_fraction"} == set(range(1, 8))

    asc = bind(column="score", top_fraction=0.3, descending=False).transform(df)
    assert kept(asc) == {1, 2, 3}
    assert verdicts(asc)[4][2].endswith("last kept score=3.0 (ties by id ascending)")


def test_top_fraction_ties_broken_by_id(spark):
    df = make(spark, [(9, "x", 1.0), (3, "x", 1.0), (5, "x", 1.0), (1, "x", 1.0),
                      (7, "x", 2.0), (2, "x", 0.5)])
    # order: 7 (2.0), then the 1.0 ties by id 1, 3, 5, 9, then 2 -> top 3 = {7, 1, 3}
    assert kept(bind(column="score", top_fraction=0.5).transform(df)) == {7, 1, 3}
    # ascending: 2 (0.5), then ties 1, 3, 5, 9 by id -> top 3 = {2, 1, 3}
    assert kept(bind(column="score", top_fraction=0.5, descending=False).transform(df)) == {2, 1, 3}


def test_top_fraction_nulls_rank_last_count_in_total_and_are_dropped(spark):
    df = make(spark, [(1, "x", 4.0), (2, "x", 3.0), (3, "x", 2.0), (4, "x", 1.0),
                      (5, "x", None), (6, "x", float("nan"))])
    out = bind(column="score", top_fraction=0.5).transform(df)  # 0.5 x 6 live rows = 3
    assert reasons(out) == {1: None, 2: None, 3: None, 4: "select:not_in_top_fraction",
                            5: "select:null", 6: "select:null"}
    # ascending: nulls still rank last, not first; NaN is not "largest"
    out = bind(column="score", top_fraction=0.5, descending=False).transform(df)
    assert kept(out) == {4, 3, 2}
    # all of them: the non-null rows are kept, the nulls still dropped as null
    out = bind(column="score", top_fraction=1.0).transform(df)
    assert kept(out) == {1, 2, 3, 4}
    assert verdicts(out)[5] == ("select:null", 3, "score is null or NaN")


def test_top_fraction_chars_hand_computed(spark):
    rows = [(1, "a" * 50, 0.9), (2, "b" * 30, 0.8), (3, "c" * 10, 0.7), (4, "d" * 10, 0.6),
            (5, "e" * 100, 0.5), (6, None, 0.95),  # null text weighs 0 chars
            (7, "z" * 1000, 0.99, PRE)]            # dead: not in the 200-char total
    df = make(spark, rows)
    # total = 50+30+10+10+100 = 200 chars; order 6(0), 1(50), 2(30), 3(10), 4(10), 5(100)
    # 0.4 -> cut 80: chars before 6=0, 1=0, 2=50, 3=80 (not < 80) -> keep {6, 1, 2}
    out = bind(column="score", top_fraction=0.4, weight="chars").transform(df)
    assert kept(out) == {6, 1, 2}
    v = verdicts(out)
    assert v[3] == ("select:not_in_top_fraction", 3,
                    "score=0.7; rank 4 among live rows; 80 chars rank before it >= top_fraction "
                    "0.4 x 200 chars total; last kept score=0.8 (ties by id ascending)")
    assert v[7] == PRE
    # 0.41 -> cut 82: 3 (80 before) is kept, 4 (90 before) is not
    assert kept(bind(column="score", top_fraction=0.41, weight="chars").transform(df)) == {6, 1, 2, 3}
    # 0.1 -> cut 20: 6 (0 before) and 1 (0 before) kept; 1 alone overshoots the budget
    assert kept(bind(column="score", top_fraction=0.1, weight="chars").transform(df)) == {6, 1}


def test_top_fraction_weight_column_counts_tokens(spark):
    # Token counts as weights (token_count's n_tokens): nulls and negatives weigh 0.
    rows = [(1, 40, 0.9), (2, 30, 0.8), (3, None, 0.75), (4, 20, 0.7), (5, -5, 0.65),
            (6, 10, 0.6), (7, 1000, 0.99, PRE)]
    data = [(r[0], "t", r[2], r[1], *(r[3] if len(r) > 3 else (None, None, None))) for r in rows]
    df = spark.createDataFrame(data, SCHEMA.replace("score double,", "score double, n long,"))
    # total = 40+30+0+20+0+10 = 100 tokens; cut 0.5 -> 50: before 1=0, 2=40, 3=70 -> {1, 2}
    op = bind(column="score", top_fraction=0.5, weight_column="n")
    assert op.requires() == {"score": "numeric", "id": "any", "n": "numeric"}
    out = op.transform(df)
    assert kept(out) == {1, 2}
    assert verdicts(out)[4][2] == ("score=0.7; rank 4 among live rows; 70 n rank before it >= "
                                   "top_fraction 0.5 x 100 n total; last kept score=0.8 (ties by "
                                   "id ascending)")
    assert verdicts(out)[7] == PRE
    assert kept(bind(column="score", top_fraction=0.71, weight_column="n").transform(df)) == {
        1, 2, 3, 4}  # 3 weighs nothing: 70 before 4 is < 71


def test_top_fraction_keeps_at_least_one_row(spark):
    df = make(spark, [(1, "x", 1.0), (2, "x", 2.0), (3, "x", 3.0)])
    assert kept(bind(column="score", top_fraction=0.01).transform(df)) == {3}
    empty = make(spark, [(1, "", 1.0), (2, "", 2.0), (3, None, 3.0)])  # total weight 0
    assert kept(bind(column="score", top_fraction=0.5, weight="chars").transform(empty)) == {3}
    # no live rows at all: nothing changes
    dead = make(spark, [(1, "x", 1.0, PRE), (2, "x", 2.0, PRE)])
    assert verdicts(bind(column="score", top_fraction=0.5).transform(dead)) == {1: PRE, 2: PRE}


def _reference(rows, fraction, descending, weight):
    """Pure-Python model of the documented rule: id -> reason (None = kept)."""
    def is_null(s):
        return s is None or math.isnan(s)

    live = [r for r in rows if len(r) == 3]
    live.sort(key=lambda r: (is_null(r[2]), 0 if is_null(r[2]) else (-r[2] if descending else r[2]),
                             r[0]))
    w = (lambda r: 1) if weight == "rows" else (lambda r: len(r[1] or ""))
    total = sum(w(r) for r in live)
    out, before = {}, 0
    for rank, r in enumerate(live):
        keep = rank == 0 or before < Fraction(repr(fraction)) * total
        out[r[0]] = ("select:null" if is_null(r[2]) else
                     None if keep else "select:not_in_top_fraction")
        before += w(r)
    out.update({r[0]: PRE[0] for r in rows if len(r) > 3})
    return out


@pytest.mark.parametrize("fraction,descending,weight", [
    (0.25, True, "rows"), (0.1, True, "chars"), (0.6, False, "chars")])
def test_top_fraction_matches_reference_and_partitioning(spark, fraction, descending, weight):
    rng = random.Random(7)
    ids = rng.sample(range(10_000), 120)
    rows = []
    for i in ids:
        score = rng.choice([None, float("nan")] + [round(rng.random(), 1)] * 8)  # many ties
        text = "w" * rng.randint(0, 40)
        rows.append((i, text, score, PRE) if rng.random() < 0.2 else (i, text, score))
    df = make(spark, rows)
    op = bind(column="score", top_fraction=fraction, descending=descending, weight=weight)
    one = verdicts(op.transform(df.repartition(1)))
    seven = verdicts(op.transform(df.repartition(7)))
    assert one == seven
    assert {i: v[0] for i, v in one.items()} == _reference(rows, fraction, descending, weight)


def test_transform_is_lazy(spark):
    df = make(spark, [(1, "x", 1.0), (2, "x", 2.0)])
    sc = spark.sparkContext
    sc.setJobGroup("select-lazy", "no actions inside transform")
    try:
        bind(column="score", top_fraction=0.5, weight="chars").transform(df)
        bind(column="score", min=0.5).transform(df)
        assert list(sc.statusTracker().getJobIdsForGroup("select-lazy")) == []
    finally:
        sc.setJobGroup(None, None)  # type: ignore[arg-type]


# ----------------------------------------------------------------- params, contract

@pytest.mark.parametrize("params,match", [
    (dict(column="s", min=0.1, top_fraction=0.5), "not both"),
    (dict(column="s"), "found none"),
    (dict(column="s", top_fraction=0.0), "greater than 0"),
    (dict(column="s", top_fraction=1.5), "less than or equal to 1"),
    (dict(column="s", top_fraction=-0.1), "greater than 0"),
    (dict(column="s", min=2.0, max=1.0), "greater than max"),
    (dict(column="s", min=float("nan")), "NaN"),
    (dict(column="s", min=0.1, weight="chars"), "only apply to top_fraction"),
    (dict(column="s", top_fraction=0.5, weight="tokens"), "rows"),
    (dict(column="s", top_fraction=0.5, weight="chars", weight_column="n"), "not both"),
    (dict(column="s", min=0.5, weight_column="n"), "only apply to top_fraction"),
    (dict(column="s", top_fraction=0.5, fraction=0.5), "Extra inputs"),
    (dict(min=0.5), "column"),
])
def test_param_validation(params, match):
    with pytest.raises(ValidationError, match=match):
        Select(**params)


def test_valid_edges_and_contract():
    assert Select(column="s", top_fraction=1.0).params.top_fraction == 1.0
    assert Select(column="s", min=0.5, max=0.5).params.max == 0.5
    assert get_operator("select") is Select
    assert bind(column="s", min=0.1).requires() == {"s": "numeric"}
    assert bind(column="s", top_fraction=0.1).requires() == {"s": "numeric", "id": "any"}
    assert bind(column="s", top_fraction=0.1, weight="chars").requires() == {
        "s": "numeric", "id": "any", "text": "string"}
    assert bind(column="s", top_fraction=0.1).adds() == []
    for name, field in Select.Params.model_fields.items():
        assert field.description, name
    assert "Example::" in (Select.__doc__ or "")


# ------------------------------------------------------ distributed, scorer once

def test_top_fraction_plan_has_no_single_task_stage(spark):
    from tests.plan_shape import inspect
    df = make(spark, [(i, "x" * i, float(i % 7)) for i in range(1, 60)])
    for weight in ("rows", "chars"):
        out = bind(column="score", top_fraction=0.3, weight=weight).transform(df)
        problems, _ = inspect(out)
        assert problems == [], problems


def test_top_fraction_buckets_spread_rows_and_stay_exact(spark):
    # 3,000 distinct scores over many buckets: offsets between buckets are exact.
    rows = [(i, "w" * (i % 13), float((i * 7919) % 3000)) for i in range(3000)]
    df = make(spark, rows)
    op = bind(column="score", top_fraction=0.37, weight="chars")
    out = op.transform(df)
    assert {i: v[0] for i, v in verdicts(out).items()} == _reference(rows, 0.37, True, "chars")
    op.release()


@register("test_counting_score")
class CountingScore(Operator):
    """A scorer-like mapInArrow that counts the rows it sees (test only)."""

    calls = None  # an accumulator, set by the test

    class Params(OpParams):
        pass

    def adds(self):
        return ["score"]

    def transform(self, df):
        calls = CountingScore.calls

        def score(batches):
            import pyarrow as pa
            import pyarrow.compute as pc
            for b in batches:
                calls.add(b.num_rows)
                yield b.append_column("score", pc.cast(pc.utf8_length(b.column("body")), pa.float64()))

        return df.mapInArrow(score, f"{df.schema.simpleString()[7:-1]}, score double")


@pytest.mark.parametrize("mode", ["staged", "fused"])
def test_scorer_before_select_runs_once_per_row(spark, tmp_path, mode):
    import pandas as pd

    from thresher.operators.recipe import Recipe
    from thresher.operators.runner import run
    n = 200
    src = tmp_path / "in"
    src.mkdir()
    pd.DataFrame({"doc": [f"d{i:03d}" for i in range(n)],
                  "body": ["w" * (1 + i % 17) for i in range(n)]}).to_parquet(src / "p.parquet")
    CountingScore.calls = spark.sparkContext.accumulator(0)
    recipe = Recipe.from_dict({
        "name": "scorer-once", "execution": {"mode": mode},
        "input": {"format": "parquet", "path": str(src), "text_column": "body", "id_column": "doc"},
        "steps": [{"test_counting_score": {}},
                  {"select": {"column": "score", "top_fraction": 0.5, "weight": "chars"}}],
        "output": {"format": "parquet", "path": str(tmp_path / "out"), "mode": "overwrite"}})
    result = run(recipe, spark=spark, echo=lambda s: None)
    assert result.output.count() > 0
    assert CountingScore.calls.value == n  # once per row, not once per branch of select
    # The cut in the stats and the summary: the lowest kept score.
    kept_scores = [r["score"] for r in result.output.select("score").collect()]
    assert result.steps[2].details == {"cut": min(kept_scores)}
    assert f"step 2 select: cut={min(kept_scores):.3g}" in result.summary


# ----------------------------------------------------------------- share_of
def test_share_of_reports_the_enrichment_of_the_kept_weight(spark):
    # 10 live rows (ids 1..10, score = id) and one pre-dropped row that must not count.
    # Texts starting with "ref" are the target: ids 8, 9, 10 and 2 (4 of 10 rows; chars below).
    texts = {i: ("ref " if i in (2, 8, 9, 10) else "doc ") + "x" * i for i in range(1, 11)}
    df = make(spark, [(i, texts[i], float(i)) for i in range(1, 11)]
              + [(99, "ref " + "x" * 50, 99.0, PRE)])
    rows = bind(column="score", top_fraction=0.3, share_of="text LIKE 'ref%'")
    out = rows.transform(df)
    assert kept(out) == {8, 9, 10}
    assert rows.report() == {"share_of_pool_pct": 40.0, "share_of_kept_pct": 100.0, "enrichment": 2.5}

    chars = bind(column="score", top_fraction=0.5, weight="chars", share_of="text LIKE 'ref%'")
    out = chars.transform(df)
    total = sum(len(t) for t in texts.values())
    pool = sum(len(texts[i]) for i in (2, 8, 9, 10))
    kept_ids = kept(out)
    kept_total = sum(len(texts[i]) for i in kept_ids)
    kept_ref = sum(len(texts[i]) for i in kept_ids if texts[i].startswith("ref"))
    report = chars.report()
    assert report["share_of_pool_pct"] == round(100 * pool / total, 2)
    assert report["share_of_kept_pct"] == round(100 * kept_ref / kept_total, 2)
    assert report["enrichment"] == round((kept_ref / kept_total) / (pool / total), 3)
    chars.release()
    assert chars.report() == {}


def test_share_of_that_spark_cannot_evaluate_names_the_step_and_param(spark):
    df = make(spark, [(1, "a", 1.0)])
    with pytest.raises(RecipeError, match=r"step 3 \(select\) share_of: cannot evaluate 'no_such_column = 1'"):
        bind(column="score", top_fraction=0.5, share_of="no_such_column = 1").transform(df)


# ------------------------------------------------- what the run's metrics sample holds

def _sampled(spark, rows, **params):
    """The metrics-sample rows (operators/measures.py) of one select step over ``rows``,
    every live row sampled, by (id, reason)."""
    from thresher.operators.measures import BUCKETS, metrics_table

    op = Select(**params)
    op = op.bind(StepContext(**CTX, op_name=op.name, sample_below=BUCKETS))
    table = metrics_table(op.transform(make(spark, rows)), run_id="r", ops=["read", "a", "b", "select"],
                          id_column="id", below=BUCKETS, drop_step=DROP_STEP, drop_reason=DROP_REASON)
    return {(int(r["id"]), r["reason"].split(":")[1]): r.asDict() for r in table.collect()}


@pytest.mark.parametrize("descending", [True, False])
def test_top_fraction_records_the_cut_at_the_kept_dropped_boundary(spark, descending):
    scores = [0.9, 0.1, 0.5, 0.5, 0.7, 0.3, None, 0.5]  # ids 1..8; 0.5 tied three times
    rows = [(i, "x", s) for i, s in enumerate(scores, start=1)] + [(20, "x", 0.99, PRE)]
    got = {i: r for (i, _), r in _sampled(spark, rows, column="score", top_fraction=0.5,
                                          descending=descending).items()}
    assert len(got) == 8 and set(got) == set(range(1, 9))  # live rows only, each once
    kept_ = [r["value"] for r in got.values() if r["outcome"] is None]
    dropped = [r["value"] for r in got.values() if r["outcome"] == "select:not_in_top_fraction"]
    cut = {r["bound"] for r in got.values() if r["value"] is not None}
    assert len(cut) == 1 and len(kept_) == 4 and len(dropped) == 3  # 0.5 x 8 live rows
    cut = cut.pop()
    # The cut is the last kept row's score: the worst kept, no dropped row beyond it.
    assert cut == (min(kept_) if descending else max(kept_)) == 0.5
    assert all((v <= cut) if descending else (v >= cut) for v in dropped)
    assert got[8]["value"] == cut and got[8]["outcome"] == "select:not_in_top_fraction"  # tie, by id
    assert got[7]["value"] is None and got[7]["outcome"] == "select:null"
    assert {(r["metric"], r["reason"], r["drops_if"]) for r in got.values()} == {
        ("score", "select:not_in_top_fraction", "<" if descending else ">")}


def test_threshold_mode_records_its_bounds(spark):
    rows = [(1, "a", 0.1), (2, "b", 0.5), (3, "c", 1.5), (4, "d", None)]
    got = _sampled(spark, rows, column="score", min=0.2, max=1.0)
    assert {k: (r["value"], r["bound"], r["drops_if"], r["outcome"]) for k, r in got.items()} == {
        (1, "below_min"): (0.1, 0.2, "<", "select:below_min"),
        (1, "above_max"): (0.1, 1.0, ">", "select:below_min"),
        (2, "below_min"): (0.5, 0.2, "<", None), (2, "above_max"): (0.5, 1.0, ">", None),
        (3, "below_min"): (1.5, 0.2, "<", "select:above_max"),
        (3, "above_max"): (1.5, 1.0, ">", "select:above_max"),
        (4, "below_min"): (None, 0.2, "<", "select:null"),
        (4, "above_max"): (None, 1.0, ">", "select:null")}
