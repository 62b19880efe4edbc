"""The whole job on the generated lake: verdicts, decoys, bad inputs, and the outputs."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from thresher.dedup.containment import ContainmentConfig, find_containment
from thresher.dedup.containment.edges import EDGE_SCHEMA
from thresher.operators.errors import ContainmentInputError


def test_finds_every_projection_filter_and_format_copy(lake_run):
    result, truth, _ = lake_run
    assert set(result.contained) == truth["contained"]


def test_decoys_are_not_contained(lake_run):
    result, truth, root = lake_run
    verdicts = {(e.child, e.parent): e for e in result.edges}
    for pair in truth["decoys"]:
        edge = verdicts.get(pair)
        assert edge is None or edge.contained is False, (pair, edge)
    renamed = str(root / "decoys/renamed.parquet")
    assert not [e for e in result.edges if e.child == renamed and e.parent == str(root / "base.parquet")]
    # the one changed value is found by the content stage, with the row as evidence
    changed = verdicts[(str(root / "decoys/changed.parquet"), str(root / "base.parquet"))]
    assert changed.decided_at in ("content", "verified") and changed.evidence["row"]


def test_bad_inputs_are_reported_not_fatal(lake_run):
    result, _, root = lake_run
    skipped = {s["table"]: s["reason"] for s in result.skipped["skipped"]}
    assert "Parquet footer" in skipped[str(root / "bad/corrupt.parquet")]
    assert [e["table"] for e in result.skipped["empty"]] == [str(root / "bad/empty.parquet")]
    assert result.skipped["case_conflicts"] == [
        {"table": str(root / "bad/case_dup.csv"), "columns": [["NAME", "Name"]]},
        {"table": str(root / "bad/case_dup.parquet"), "columns": [["ID", "id"]]}]
    bad = {str(root / "bad" / n) for n in ("corrupt.parquet", "empty.parquet", "case_dup.parquet",
                                          "case_dup.csv")}
    assert not [e for e in result.edges if e.child in bad or e.parent in bad]


def test_every_decision_names_its_stage_and_rule(lake_run):
    result, _, _ = lake_run
    for e in result.edges:
        assert e.decided_at in ("schema", "stats", "content", "verified")
        assert e.rule and e.evidence["rule"] == e.rule
        if e.verdict == "contained":
            assert e.decided_at == "verified"
        if e.decided_at == "content":   # small tables skip the sample test: only what Spark reads
            assert e.rule in ("spark_type_mismatch", "spark_schema", "read_error"), e
    assert {e.decided_at for e in result.edges} >= {"stats", "verified"}


def test_sample_test_first_finds_the_same(spark, lake, lake_run, stats_cache, tmp_path):
    """Every pair through the sample test first (as pairs of big tables go): the same
    verdicts, some decided by a sample miss, each pass reading the lake's tables once."""
    root, truth = lake
    result = find_containment([str(root)], out=str(tmp_path / "o"), spark=spark, stats_cache=stats_cache,
                              sample_above_bytes=0)
    assert set(result.contained) == truth["contained"] == set(lake_run[0].contained)
    misses = [e for e in result.edges if e.rule == "sample_miss"]
    assert misses and all(e.decided_at == "content" and e.evidence["row"] for e in misses)
    content = result.stages["stages"][3]
    assert content["sampled_pairs"] == content["pairs_before"] and content["bytes_read"] > 0
    assert content["pairs_after"] == content["pairs_before"] - len(misses)


def test_output_files(spark, lake_run):
    result, _, _ = lake_run
    out = Path(result.out)
    assert sorted(p.name for p in out.iterdir()) == ["edges.parquet", "graph.svg", "report.html",
                                                     "skipped.json", "stages.json", "tables.json"]
    # `thresher report OUT` writes the same page again from the files alone.
    from thresher.operators.report import report_command

    page = (out / "report.html").read_text()
    (out / "report.html").unlink()
    assert report_command(str(out)) == str(out / "report.html")
    assert (out / "report.html").read_text() == page
    tables = json.loads((out / "tables.json").read_text())
    assert tables and all(t["rows"] >= 0 and t["data_bytes"] > 0 for t in tables.values())
    table = pq.read_table(out / "edges.parquet")
    assert table.schema.equals(EDGE_SCHEMA)
    df = result.edges_df(spark)
    got = {(r.child, r.parent, r.contained, r.decided_at) for r in df.collect()}
    assert got == {(e.child, e.parent, e.contained, e.decided_at) for e in result.edges}
    stages = json.loads((out / "stages.json").read_text())
    names = [s["stage"] for s in stages["stages"]]
    assert names == ["inspect", "schema", "stats", "content", "verified"]
    chain = stages["stages"][1:]
    for before, after in zip(chain, chain[1:]):
        assert after["pairs_before"] == before["pairs_after"]
    for s in stages["stages"]:
        assert s["seconds"] >= 0 and (s["bytes_read"] is None or s["bytes_read"] >= 0)
    content, verified = stages["stages"][3:]
    assert content["direct_pairs"] == content["pairs_before"] > 0   # small tables: no sample test
    assert content["bytes_read"] == 0 and verified["bytes_read"] > 0  # measured by Spark's status store
    assert json.loads((out / "skipped.json").read_text()) == result.skipped
    ET.parse(out / "graph.svg")  # well-formed


def test_rerun_reuses_csv_stats_and_replaces_the_output(spark, lake, tmp_path, monkeypatch):
    from thresher.dedup.containment import csv_meta

    root, truth = lake
    out = tmp_path / "out"
    cache = tmp_path / "cache"
    first = find_containment([str(root / "csv"), str(root / "base.parquet")], out=str(out),
                             spark=spark, stats_cache=str(cache))
    assert first.contained == [(str(root / "csv/proj_filt.csv"), str(root / "base.parquet"))]
    monkeypatch.setattr(csv_meta, "compute_csv_stats", lambda df: pytest.fail("stats recomputed"))
    second = find_containment([str(root / "csv"), str(root / "base.parquet")], out=str(out),
                              spark=spark, stats_cache=str(cache))
    assert second.contained == first.contained
    assert second.stages["stages"][0]["bytes_read"] < first.stages["stages"][0]["bytes_read"]


def test_sample_mode_reports_probable(spark, lake, tmp_path):
    root, _ = lake
    result = find_containment([str(root / "filt.parquet"), str(root / "base.parquet")],
                              out=str(tmp_path / "o"), spark=spark, verify="sample")
    [edge] = [e for e in result.edges if e.verdict == "probable"]
    assert (edge.child, edge.parent, edge.contained) == (str(root / "filt.parquet"),
                                                        str(root / "base.parquet"), None)
    assert result.stages["stages"][4]["pairs_before"] == 0


def test_refuses_to_replace_a_folder_that_is_not_its_output(lake, tmp_path):
    root, _ = lake
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "keep.txt").write_text("precious")
    with pytest.raises(ContainmentInputError, match="not a containment output"):
        find_containment([str(root)], out=str(tmp_path / "data"))
    assert (tmp_path / "data" / "keep.txt").read_text() == "precious"


def test_bad_options_and_sources_fail_before_spark(tmp_path, monkeypatch):
    import thresher.operators.session as session

    monkeypatch.setattr(session, "get_or_create_session", lambda **kw: pytest.fail("Spark started"))
    with pytest.raises(ContainmentInputError, match="sample_rows"):
        find_containment([str(tmp_path)], out=str(tmp_path / "o"), sample_rows=0)
    with pytest.raises(ContainmentInputError, match="no such file"):
        find_containment([str(tmp_path / "missing")], out=str(tmp_path / "o"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ContainmentInputError, match="no tables found"):
        find_containment([str(tmp_path / "empty")], out=str(tmp_path / "o"))
    with pytest.raises(ContainmentInputError, match="config or keyword"):
        find_containment([str(tmp_path)], out=str(tmp_path / "o"), config=ContainmentConfig(), seed=1)
    for remote_out in ("s3a://bucket/containment", "dbfs:/out/containment"):
        for remote in (None, "sc://localhost:1"):  # classic, and SPARK_REMOTE (Connect)
            if remote:
                monkeypatch.setenv("SPARK_REMOTE", remote)
            with pytest.raises(ContainmentInputError, match=f"'{remote_out}'.*must be a local folder"):
                find_containment([str(tmp_path)], out=remote_out)
            monkeypatch.delenv("SPARK_REMOTE", raising=False)
