"""`thresher containment`: exit codes and the summary."""
from __future__ import annotations

import json

from thresher.jobs.cli import EXIT_OK, EXIT_RUNTIME, EXIT_USER, main


def test_cli_runs_and_summarises(spark, lake, stats_cache, tmp_path, capsys):
    root, _ = lake
    out = tmp_path / "out"
    code = main(["containment", str(root / "filt.parquet"), str(root / "csv"), str(root / "base.parquet"),
                 "--out", str(out), "--sample-rows", "16", "--stats-cache", stats_cache,
                 "--plan", "--scan-rate", "1e12", "--storage-cost", "1e6", "--max-rebuild-seconds", "60"])
    assert code == EXIT_OK, capsys.readouterr().err
    text = capsys.readouterr().out
    assert "verdicts: 3 contained" in text and "stage" in text
    stages = json.loads((out / "stages.json").read_text())
    assert stages["config"]["sample_rows"] == 16 and stages["config"]["stats_cache"] == stats_cache
    assert stages["config"]["page_headers"] is True
    plan = json.loads((out / "plan.json").read_text())
    assert plan["params"]["max_rebuild_seconds"] == 60 and plan["scan_rate_source"] == "given"
    assert "plan (milp): delete" in text


def test_cli_bad_input_exit_2(tmp_path, capsys):
    assert main(["containment", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == EXIT_USER
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["containment", str(tmp_path), "--out", str(tmp_path / "o"), "--sample-rows", "0"]) == EXIT_USER
    assert "sample_rows" in capsys.readouterr().err
    assert main(["containment", str(tmp_path), "--out", str(tmp_path / "o"), "--csv-option", "x"]) == EXIT_USER
    assert "expected KEY=VALUE" in capsys.readouterr().err
    assert main(["containment", str(tmp_path), "--out", str(tmp_path / "o"), "--access-log", "a.csv"]) == EXIT_USER
    assert "only used with a deletion plan" in capsys.readouterr().err


def test_cli_runtime_failure_exit_1(tmp_path, capsys, monkeypatch):
    import thresher.dedup.containment as containment

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(containment, "find_containment", boom)
    assert main(["containment", str(tmp_path), "--out", str(tmp_path / "o")]) == EXIT_RUNTIME
    assert "disk on fire" in capsys.readouterr().err


def test_cli_page_headers_can_be_skipped(tmp_path, capsys, monkeypatch):
    import thresher.dedup.containment as containment

    seen = {}
    monkeypatch.setattr(containment, "find_containment", lambda *a, **kw: seen.update(kw) or _Done())
    assert main(["containment", str(tmp_path), "--out", str(tmp_path / "o"), "--no-page-headers"]) == EXIT_OK
    assert seen["page_headers"] is False


class _Done:
    def summary(self) -> str:
        return "done"
