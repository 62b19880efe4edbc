"""The run report: its numbers equal the stats table, samples are escaped, nothing reruns."""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import pytest

import thresher.jobs.builtins  # noqa: F401 - registers the operators the recipe names
from thresher.operators.errors import ReportError
from thresher.operators.recipe import Recipe
from thresher.operators.report import build_report, write_report
from thresher.operators.runner import run

EVIL = "<script>alert('x')</script> short"


class Page(HTMLParser):
    """Sections by id, texts by element id, svg count, and every text node."""

    def __init__(self):
        super().__init__()
        self.sections, self.ids, self.svgs, self.texts, self.scripts = [], {}, 0, [], 0
        self._open_id = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs.get("id"))
        if tag == "svg":
            self.svgs += 1
        if tag == "script":
            self.scripts += 1
        self._open_id = attrs.get("id")

    def handle_data(self, data):
        self.texts.append(data)
        if self._open_id:
            self.ids[self._open_id] = data
            self._open_id = None


def _docs():
    long = " ".join(f"word{i} alpha beta gamma" for i in range(10))
    rows = [(f"d{i}", f"{long} document number {i} is here.", i / 10) for i in range(12)]
    rows += [(f"c{i}", f"{long} document number 0 is here.", 0.0) for i in range(3)]  # copies of d0
    rows += [("s1", EVIL, 0.5), ("s2", "tiny text", 0.5), ("e1", "   ", 0.5)]
    rows += [(f"w{i}", " ".join(["many"] * (5 + i)), 0.35) for i in range(4)]  # 5 words and up
    return rows


@pytest.fixture(scope="module")
def finished(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    spark.createDataFrame(_docs(), "id string, text string, score double").write.parquet(str(root / "in"))
    recipe = Recipe.from_dict({
        "name": "report_test",
        "input": {"format": "parquet", "path": str(root / "in"), "id_column": "id"},
        "steps": [{"word_count_filter": {"min": 5}}, {"exact_dedup": {}},
                  {"select": {"column": "score", "top_fraction": 0.5}}],
        "output": {"format": "parquet", "path": str(root / "out"), "mode": "overwrite",
                   "rejects": str(root / "out_rejects"), "stats": str(root / "out_stats")}})
    # report on (the default): the run records the metrics sample the filter panels draw
    result = run(recipe, spark=spark, echo=lambda _: None)
    return root, result


@pytest.fixture(scope="module")
def report(spark, finished):
    """The report of the finished run, built once for the tests that only read it."""
    return build_report(spark, str(finished[0] / "out"))


def _parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_panels_and_totals_equal_the_stats(finished, report):
    root, result = finished
    page = _parse(report)
    assert page.sections == ["funnel", "metrics", "dedup", "samples", "run"]
    assert page.scripts == 0 and page.svgs >= 3
    steps = result.steps
    rows_in, kept = steps[0].rows_in, steps[-1].rows_out
    assert page.ids["rows-in"] == f"{rows_in:,}" and page.ids["rows-kept"] == f"{kept:,}"
    assert rows_in == kept + sum(n for s in steps for n in s.dropped_by_reason.values())
    assert int(page.ids["rows-dropped"].replace(",", "")) == rows_in - kept
    text = "\n".join(page.texts)
    for s in steps:
        for reason in s.dropped_by_reason:
            assert reason in text  # every reason has a row in the funnel and samples
    assert result.recipe.hash in text


def test_same_report_from_stats_or_rejects_path(spark, finished):
    root, _ = finished
    a = build_report(spark, str(root / "out_stats"))
    b = build_report(spark, str(root / "out_rejects"))
    assert a == b  # deterministic samples, same tables found


def test_reject_text_is_escaped(report):
    html = report
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_threshold_and_copies_drawn(report):
    html = report
    assert 'class="threshold"' in html and "threshold 5" in html
    assert "exact duplicates" in html and "3 extra copies" in html


def test_write_report_and_missing_stats(spark, finished, tmp_path):
    root, _ = finished
    out = write_report(spark, str(root / "out"), out=str(tmp_path / "r" / "report.html"))
    assert open(out, encoding="utf-8").read().startswith("<!DOCTYPE html>")
    with pytest.raises(ReportError, match="no stats table"):
        build_report(spark, str(tmp_path / "nothing"))


BAR = re.compile(r'<title>(kept|dropped|other) \[([^,]+), ([^)]+)\): ([0-9,]+)</title>')


def _panel(html: str, step: int, metric: str) -> tuple[str, list[tuple[str, float, float, int]]]:
    """The input-metric panel of (step, metric): its HTML and bars (series, from, to, rows)."""
    start = html.index(f'<div class="input-metric" data-step="{step}" data-metric="{metric}">')
    part = html[start:html.index("</div>", start)]
    return part, [(s, float(a), float(b), int(n.replace(",", ""))) for s, a, b, n in BAR.findall(part)]


def test_filter_panels_count_every_row_of_the_steps_input(finished, report):
    _, result = finished
    html = report
    for step, metric, bound in ((1, "words", 5.0), (3, "score", None)):
        s = result.steps[step]
        part, bars = _panel(html, step, metric)
        total = {name: sum(n for b, _, _, n in bars if b == name) for name in ("kept", "dropped")}
        assert total == {"kept": s.rows_out, "dropped": s.dropped}  # all rows: a small run
        assert f"over all {s.rows_in:,} rows of the step&#x27;s input" in part
        assert not [b for b in bars if b[0] == "other"]
        if bound is not None:  # the threshold is a bucket edge: no bucket holds both sides
            assert 'class="threshold"' in part and f"threshold {bound:g}" in part
            assert all(b <= bound for name, _, b, _ in bars if name == "dropped")
            assert all(a >= bound for name, a, _, _ in bars if name == "kept")
    assert "too_many_words drops words &gt; 100000 (off the chart" in html


def test_select_cut_is_the_last_kept_score(spark, finished, report):
    root, result = finished
    html = report
    cut = float(re.search(r'<span class="cut">([^<]+)</span>', html).group(1))
    kept = [r["score"] for r in spark.read.parquet(str(root / "out")).collect()]
    dropped = [r["score"] for r in spark.read.parquet(str(root / "out_rejects"))
               .where("drop_reason = 'select:not_in_top_fraction'").collect()]
    assert cut == min(kept) == 0.4 and max(dropped) <= cut and len(dropped) == result.steps[3].dropped
    part, bars = _panel(html, 3, "score")
    assert "cut 0.4" in part
    assert all(a >= cut for name, a, _, _ in bars if name == "kept")
    assert all(b <= cut for name, _, b, _ in bars if name == "dropped")


def test_dropped_rows_only_without_a_metrics_table(spark, finished, tmp_path):
    root, _ = finished
    for name in ("out", "out_stats", "out_rejects"):  # an older run: no out_metrics
        shutil.copytree(root / name, tmp_path / name)
    html = build_report(spark, str(tmp_path / "out"))
    assert 'class="input-metric"' not in html
    assert "Dropped rows only" in html and "wrote no metrics table" in html
    assert "threshold 5" in html  # drawn from the rejects' details
