"""The run's metrics sample: every live row's measured value at each filter step, kept
rows included, from the run itself (no second pass), and the outputs unchanged."""
from __future__ import annotations

from collections import Counter

import pytest
from pyspark.sql import functions as F

import thresher.jobs.builtins  # noqa: F401 - registers the operators the recipe names
from thresher.operators import measures
from thresher.operators.base import DROP_REASON, DROP_STEP, StepContext
from thresher.operators.measures import (BUCKETS, MEASURES, _parsed, metrics_path, metrics_table,
                                         sample_below)
from thresher.operators.recipe import Recipe
from thresher.operators import runner
from thresher.operators.runner import run
from thresher.operators.text.length import WordCountFilter

N = 40


def _text(i: int) -> str:
    words = 1 + i % 35  # 1..35 words, each of 1..12 characters
    return " ".join(["x" * (1 + i % 12)] * words)


@pytest.fixture(scope="module")
def corpus(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("measures")
    rows = [(f"d{i}", _text(i)) for i in range(N)] + [("blank", " ")]
    spark.createDataFrame(rows, "id string, text string").write.parquet(str(root / "in"))
    return root


def _recipe(root, mode: str, output: dict | None = None) -> Recipe:
    return Recipe.from_dict({
        "name": "measures", "execution": {"mode": mode},
        "input": {"format": "parquet", "path": str(root / "in"), "id_column": "id"},
        "steps": [{"word_count_filter": {"min": 5, "max": 30}},
                  {"mean_word_length_filter": {"min": 3, "max": 10}}, {"exact_dedup": {}}],
        **({"output": output} if output else {})})


def _run(spark, root, mode: str):
    # Without outputs (the run's final rows are what is checked), recording as a run
    # with a report does.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "records_metrics", lambda recipe: True)
        result = run(_recipe(root, mode), spark=spark, echo=lambda _: None)
    table = metrics_table(result.cached, run_id=result.run_id, ops=[s.op for s in result.steps],
                          id_column="id", below=sample_below(result.steps[0].rows_in),
                          drop_step=DROP_STEP, drop_reason=DROP_REASON)
    rows = [r.asDict() for r in table.collect()]
    kept = sorted(r["id"] for r in result.output.select("id").collect())
    columns = (result.output.columns, result.rejects.columns)
    result.release()
    return result.steps, rows, kept, columns


@pytest.fixture(scope="module")
def runs(spark, corpus):
    return {mode: _run(spark, corpus, mode) for mode in ("staged", "fused")}


def test_every_live_row_is_measured_and_accounted(runs):
    steps, rows, kept, _ = runs["staged"]
    texts = {f"d{i}": _text(i) for i in range(N)}
    for s in steps[1:3]:
        mine = [r for r in rows if r["step"] == s.step]
        outcome = {r["id"]: r["outcome"] for r in mine}
        assert len(outcome) == s.rows_in  # every row live at the step, once
        assert sum(o is None for o in outcome.values()) == s.rows_out
        assert Counter(o for o in outcome.values() if o) == s.dropped_by_reason
        assert {r["op"] for r in mine} == {s.op} and {r["fraction"] for r in mine} == {1.0}
    words = [r for r in rows if r["step"] == 1]
    assert all(r["value"] == len(texts[r["id"]].split()) and r["metric"] == "words" for r in words)
    assert {(r["reason"], r["bound"], r["drops_if"]) for r in words} == {
        ("word_count_filter:too_few_words", 5.0, "<"), ("word_count_filter:too_many_words", 30.0, ">")}
    means = [r for r in rows if r["step"] == 2]
    assert all(r["value"] == len(texts[r["id"]].split()[0]) for r in means)
    assert not [r for r in rows if r["step"] == 3]  # exact_dedup measures nothing
    assert "blank" not in {r["id"] for r in rows}  # dropped at read: not live at any filter


def test_fused_records_what_staged_records(runs):
    def key(rows):
        return sorted((r["step"], r["id"], r["reason"], r["value"], r["bound"], r["outcome"])
                      for r in rows)
    assert key(runs["fused"][1]) == key(runs["staged"][1])
    assert runs["fused"][2] == runs["staged"][2]


def test_outputs_carry_no_measures_and_keep_the_same_rows(runs):
    def passes(text):
        return 5 <= len(text.split()) <= 30 and 3 <= len(text.split()[0]) <= 10

    expected = sorted(f"d{i}" for i in range(N) if passes(_text(i)))  # no two texts are equal
    for mode in ("staged", "fused"):
        _, _, kept, (kept_cols, reject_cols) = runs[mode]
        assert kept == expected and kept_cols == ["id", "text"]
        assert MEASURES not in reject_cols


def test_a_sample_follows_the_same_documents(spark, corpus, runs, monkeypatch):
    monkeypatch.setattr(measures, "SAMPLE_ROWS", 12)
    steps, rows, kept, _ = _run(spark, corpus, "staged")
    below = sample_below(steps[0].rows_in)
    assert below < BUCKETS and {r["fraction"] for r in rows} == {below / BUCKETS}
    expected = {r["id"] for r in spark.createDataFrame([(f"d{i}",) for i in range(N)], "id string")
                .where(F.pmod(F.xxhash64("id"), F.lit(BUCKETS)) < F.lit(below)).collect()}
    first = {r["id"] for r in rows if r["step"] == 1}
    assert first == expected and 0 < len(first) < N
    passed = {r["id"] for r in rows if r["step"] == 1 and r["outcome"] is None}
    assert {r["id"] for r in rows if r["step"] == 2} == passed  # the same documents, still live
    assert kept == runs["staged"][2]  # sampling changes no verdict


DETAILS = [
    ("words=3 < min=5", ("words", 3.0, 5.0, "<")),
    ("dup_lines=2/10=0.200 > max=0.150", ("dup_lines", 0.2, 0.15, ">")),
    ("short_lines(<=30)=5/10=0.500 >= max=0.670", ("short_lines(<=30)", 0.5, 0.67, ">=")),
    ("alpha_words=0/0=null < min=0.800", ("alpha_words", None, 0.8, "<")),
    ("top_4gram=nul > max=0.150 ('null' xnull)", ("top_4gram", None, 0.15, ">")),  # %.3f of null
    ("sentences=1 < min=3 (kept lines 1/2)", ("sentences", 1.0, 3.0, "<")),
    ("top_2gram=0.310 > max=0.200 ('a=1 < min=2' x3)", ("top_2gram", 0.31, 0.2, ">")),
    ("score=1.0E-5 < min=0.2", ("score", 1e-5, 0.2, "<")),
    ("line 3: x=5 < min=3", None),  # quoted text never parses: the label is the start
    ("duplicate of d0", None),
]


def test_detail_parsing(spark):
    df = spark.createDataFrame([(d,) for d, _ in DETAILS], "d string")
    got = {}
    for r in df.select("d", _parsed(2, "op:rule", F.col("d")).alias("e")).collect():
        e = r["e"]
        assert e["step"] == 2 and e["reason"] == "op:rule"
        got[r["d"]] = None if e["metric"] is None else (e["metric"], e["value"], e["bound"],
                                                        e["drops_if"])
    assert got == dict(DETAILS)


def test_only_a_run_with_a_report_records_the_sample(spark, corpus, tmp_path):
    """The report is the sample's one reader: without it the plans carry no measures
    and no metrics table is written."""
    out = {"format": "parquet", "path": str(tmp_path / "out"), "stats": str(tmp_path / "out_stats"),
           "report": False}
    assert not runner.records_metrics(_recipe(corpus, "staged", out))
    assert runner.records_metrics(_recipe(corpus, "staged", {**out, "report": True}))
    assert not runner.records_metrics(_recipe(corpus, "staged"))  # no outputs at all
    assert not runner.records_metrics(_recipe(corpus, "staged", {**out, "report": True,
                                                                 "metrics_sample": 0}))
    recipe = _recipe(corpus, "staged", out)
    result = run(recipe, spark=spark, echo=lambda _: None)
    assert all(op.ctx.sample_below is None for op in recipe.operators)  # no step sampled
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out_stats"]
    result.release()


def test_nothing_is_recorded_outside_a_run(spark):
    df = spark.createDataFrame([("a", "one two", None, None, None)],
                               f"id string, text string, {DROP_REASON} string, {DROP_STEP} int, "
                               "_thresher_drop_detail string")
    op = WordCountFilter(min=5).bind(StepContext(step=1, op_name="word_count_filter"))
    assert MEASURES not in op.transform(df).columns


def test_metrics_sample_sets_the_sample_size(spark, corpus, tmp_path):
    """output.metrics_sample: about that many of the input's documents are measured."""
    out = {"format": "parquet", "path": str(tmp_path / "out"), "stats": str(tmp_path / "out_stats"),
           "report": str(tmp_path / "r.html"), "metrics_sample": 10}
    result = run(_recipe(corpus, "staged", out), spark=spark, echo=lambda _: None)
    sampled = spark.read.parquet(str(tmp_path / "out_metrics"))
    ids = {r["id"] for r in sampled.select("id").distinct().collect()}
    below = sample_below(N + 1, 10)
    want = {r["id"] for r in spark.read.parquet(str(corpus / "in")).where(
        measures.in_sample("id", below)).collect()}
    assert ids and ids <= want and len(want) < N  # a sample, and only of sampled documents
    assert sampled.select("fraction").first()[0] == pytest.approx(below / BUCKETS)
    result.release()


def test_sample_size_and_path():
    assert abs(sample_below(1000, 10) / BUCKETS - 0.01) < 1e-6
    assert sample_below(10) == BUCKETS and sample_below(measures.SAMPLE_ROWS) == BUCKETS
    assert abs(sample_below(10 * measures.SAMPLE_ROWS) / BUCKETS - 0.1) < 1e-6
    assert metrics_path("out/q_stats") == "out/q_metrics" and metrics_path("s/") == "s_metrics"
