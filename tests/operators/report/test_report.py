"""The run report: its numbers equal the stats table, samples are escaped, nothing reruns."""
from __future__ import annotations

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
    rows = [(f"d{i}", f"{long} document number {i} is here.") for i in range(12)]
    rows += [(f"c{i}", f"{long} document number 0 is here.") for i in range(3)]  # exact copies of d0
    rows += [("s1", EVIL), ("s2", "tiny text"), ("e1", "   ")]
    return rows


@pytest.fixture(scope="module")
def finished(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    spark.createDataFrame(_docs(), "id string, text string").write.parquet(str(root / "in"))
    recipe = Recipe.from_dict({
        "name": "report_test",
        "input": {"format": "parquet", "path": str(root / "in"), "id_column": "id"},
        "steps": [{"word_count_filter": {"min": 5}}, {"exact_dedup": {}}],
        "output": {"format": "parquet", "path": str(root / "out"), "mode": "overwrite",
                   "rejects": str(root / "out_rejects"), "stats": str(root / "out_stats"),
                   "report": False}})
    result = run(recipe, spark=spark, echo=lambda _: None)
    return root, result


def _parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_panels_and_totals_equal_the_stats(spark, finished):
    root, result = finished
    page = _parse(build_report(spark, str(root / "out")))
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


def test_reject_text_is_escaped(spark, finished):
    root, _ = finished
    html = build_report(spark, str(root / "out"))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_threshold_and_copies_drawn(spark, finished):
    root, _ = finished
    html = build_report(spark, str(root / "out"))
    assert 'class="threshold"' in html and "threshold 5" in html
    assert "exact duplicates" in html and "3 extra copies" in html


def test_write_report_and_missing_stats(spark, finished, tmp_path):
    root, _ = finished
    out = write_report(spark, str(root / "out"), out=str(tmp_path / "r" / "report.html"))
    assert open(out, encoding="utf-8").read().startswith("<!DOCTYPE html>")
    with pytest.raises(ReportError, match="no stats table"):
        build_report(spark, str(tmp_path / "nothing"))
