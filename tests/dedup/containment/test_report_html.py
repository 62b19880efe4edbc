"""report.html beside edges.parquet: its numbers are the run's outputs, names escaped,
and it renders in a real browser without console messages."""
from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests import browser
from thresher.dedup.containment import find_containment

from .test_deletion import EAGER, _lake

VERDICTS = ("contained", "not_contained", "probable", "error")
EVIL = "<script>alert(1)"  # a file name may hold it: the report must show it, not run it


class Page(HTMLParser):
    """Sections, span texts by id, and every table's rows (cell texts) by its class."""

    def __init__(self):
        super().__init__()
        self.sections, self.ids, self.tables, self.scripts, self.svgs = [], {}, {}, 0, 0
        self._id = self._table = self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs.get("id"))
        self.scripts += tag == "script"
        self.svgs += tag == "svg"
        if tag == "span" and attrs.get("id"):
            self._id = attrs["id"]
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("class"), [])
        if tag == "tr" and self._table is not None:
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None:
            self._row.append(self._cell)
            self._cell = None
        if tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        if tag == "table":
            self._table = None
        if tag == "span":
            self._id = None

    def handle_data(self, data):
        if self._id:
            self.ids[self._id] = self.ids.get(self._id, "") + data
        if self._cell is not None:
            self._cell += data


def _parse(out) -> Page:
    page = Page()
    page.feed((Path(out) / "report.html").read_text(encoding="utf-8"))
    return page


def _num(text: str) -> float | None:
    return None if text.strip() == "-" else float(text.replace(",", "").replace("\xa0", ""))


def _by_first(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    """A table's rows by their first cell, each as head -> cell."""
    head, *body = rows
    return {r[0]: dict(zip(head, r)) for r in body}


def test_report_numbers_are_the_runs_outputs(lake_run):
    result, _, root = lake_run
    out = Path(result.out)
    page = _parse(out)
    assert page.sections == ["funnel", "graph", "skipped", "run"] and page.scripts == 0
    assert page.svgs == 2  # the funnel chart and the graph
    stages = json.loads((out / "stages.json").read_text())
    funnel = _by_first(page.tables["funnel"])
    for s in stages["stages"][1:]:
        row = funnel[s["stage"]]
        assert (_num(row["pairs in"]), _num(row["pairs out"])) == (s["pairs_before"], s["pairs_after"])
        assert _num(row["pruned"]) == s["pairs_before"] - s["pairs_after"]
        assert _num(row["bytes read"]) == s["bytes_read"]
    pruned = _by_first(page.tables["rules"])
    assert {k: _num(v["pairs pruned"]) for k, v in pruned.items()} == stages["stages"][2]["pruned_by_rule"]
    edges = pq.read_table(out / "edges.parquet").to_pylist()
    verdicts = Counter(e["verdict"] for e in edges)
    for k in VERDICTS:
        assert _num(page.ids[f"verdict-{k}"]) == stages["verdicts"][k] == verdicts[k]
    decided = Counter((e["decided_at"], e["verdict"]) for e in edges)
    matrix = _by_first(page.tables["decided"])
    for stage in ("schema", "stats", "content", "verified"):
        row = matrix[stage]
        assert _num(row["pairs decided"]) == sum(n for (s, _), n in decided.items() if s == stage)
        assert {v: _num(row[v]) for v in VERDICTS} == {v: decided[(stage, v)] for v in VERDICTS}
    tables = _by_first(page.tables["tables"])
    assert len(tables) == stages["tables"]["analysed"]
    for name, row in tables.items():
        if name.endswith(".parquet") and os.path.isfile(name):  # one file: its size and rows
            assert _num(row["bytes"]) == os.path.getsize(name), name
            assert _num(row["rows"]) == pq.read_metadata(name).num_rows, name
        assert _num(row["contained in"]) == sum(1 for c, _ in result.contained if c == name)
    base = str(root / "base.parquet")
    assert _num(tables[base]["contains"]) == sum(1 for _, p in result.contained if p == base) > 0
    skipped = _by_first(page.tables["skipped"])
    assert str(root / "bad/corrupt.parquet") in skipped and str(root / "bad/empty.parquet") in skipped
    assert result.summary().splitlines()[-1] == f"report: {out / 'report.html'}"
    assert result.paths["report.html"] == str(out / "report.html")


def test_plan_savings_and_escaped_names(spark, tmp_path):
    _lake(tmp_path)
    shutil.copy(tmp_path / "ranged.parquet", tmp_path / f"{EVIL}.parquet")  # contained, deleted
    out = tmp_path / "out"
    result = find_containment([str(tmp_path)], out=str(out), spark=spark,
                              plan={**EAGER, "max_rebuild_seconds": 60})
    page = _parse(out)
    assert page.sections == ["funnel", "graph", "plan", "run"]
    assert page.scripts == 0
    plan = json.loads((out / "plan.json").read_text())
    assert _num(page.ids["bytes-saved"]) == plan["bytes_saved"] > 0
    assert _num(page.ids["tables-deleted"]) == len(plan["deleted"]) == 4
    assert _num(page.ids["rebuild-bound"]) == 60
    longest = max(d["rebuild_seconds"] for d in plan["deleted"])
    assert _num(page.ids["longest-rebuild"]) == pytest.approx(longest, rel=1e-3)
    assert _num(page.ids["cost-saved"]) == pytest.approx(plan["cost_per_month"]["saved"], rel=1e-3)
    deleted = _by_first(page.tables["deleted"])
    assert {n: (r["rebuilt from"], _num(r["bytes saved"])) for n, r in deleted.items()} == {
        d["table"]: (d["parent"], d["bytes_saved"]) for d in plan["deleted"]}
    evil = str(tmp_path / f"{EVIL}.parquet")
    tables = _by_first(page.tables["tables"])
    assert tables[evil]["plan"] == f"delete, rebuild from {deleted[evil]['rebuilt from']}"
    assert {n for n, r in tables.items() if r["plan"] == "keep"} == {str(tmp_path / "parent.parquet")}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert EVIL not in html and "&lt;script&gt;alert(1)" in html
    assert (out / "graph.svg").is_file() and result.summary().endswith(f"report: {out / 'report.html'}")
    if browser.CHROMIUM:
        dom = browser.check_report(out / "report.html")
        assert '<section id="plan">' in dom and "&lt;script&gt;alert(1)" in dom


def test_sample_mode_shows_probable_pairs_unverified(spark, lake, tmp_path):
    root, _ = lake
    result = find_containment([str(root / "filt.parquet"), str(root / "base.parquet")],
                              out=str(tmp_path / "o"), spark=spark, verify="sample")
    page = _parse(result.out)
    assert _num(page.ids["verdict-probable"]) == result.stages["verdicts"]["probable"] == 1
    verified = _by_first(page.tables["funnel"])["verified"]
    assert _num(verified["pairs in"]) == 0 and verified["pruned"] == "-"  # nothing was verified


@pytest.mark.skipif(browser.CHROMIUM is None, reason="chromium is not installed")
def test_report_renders_in_chromium(lake_run):
    dom = browser.check_report(Path(lake_run[0].out) / "report.html")
    assert '<section id="graph">' in dom and dom.count("<svg") == 2
