"""Containment with a deletion plan on a real Spark Connect server (``thresher containment
--plan`` with SPARK_REMOTE) finds the same edges, stage counts and plan as classic Spark,
rebuilds every planned deletion to the same rows, never reaches for the JVM, and says in
its summary what it could not do (measure bytes read).

One small lake covers each kind of table and each rebuild: Parquet files, a CSV file
(statistics computed by a Spark scan), a Delta table (statistics from its log), and
deletions rebuilt by ``all``, ``range`` and stored ``row_keys``.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import write_deltalake

from thresher.dedup.containment import find_containment
from thresher.dedup.containment.rebuild import rebuild

from .connect_containment import canonical_rows
from .test_recipes_connect import _env

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).with_name("connect_containment.py")
# Storage so dear and scans so fast that every contained table is planned for deletion;
# the rate is given because Connect cannot measure it (classic would, and differ run to run).
PLAN_ARGS = ["--plan", "--storage-cost", "1e6", "--scan-rate", "1e12"]


def _lake(root: Path) -> None:
    x = list(range(100))
    parent = pa.table({"x": x, "y": [(i * 37) % 100 for i in x], "s": [f"s{i % 9}" for i in x]})
    pq.write_table(parent, root / "parent.parquet")
    pq.write_table(parent.filter(pa.compute.is_in(parent["x"], pa.array(range(10, 31)))),
                   root / "ranged.parquet")                          # a range of x
    pq.write_table(parent.select(["s"]), root / "all_s.parquet")     # every s of the parent
    pq.write_table(parent.take(list(range(0, 100, 3))).select(["y", "x"]),
                   root / "scattered.parquet")                       # only stored keys explain it
    (root / "few.csv").write_text("x,s\n10,s1\n11,s2\n40,s4\n")
    write_deltalake(str(root / "delta_t"), parent.take([1, 50, 99]))


def _edges(out: Path) -> pd.DataFrame:
    df = pq.read_table(out / "edges.parquet").to_pandas()
    df["columns"] = df["columns"].map(list)
    return df.sort_values(["child", "parent"]).reset_index(drop=True)


def _stage_counts(out: Path) -> list[dict]:
    doc = json.loads((out / "stages.json").read_text())
    return [{k: v for k, v in s.items() if k not in ("seconds", "bytes_read")} for s in doc["stages"]]


def test_containment_plan_on_connect_same_as_classic(connect_url, spark, tmp_path):
    lake = tmp_path / "lake"
    lake.mkdir()
    _lake(lake)
    classic_out, connect_out = tmp_path / "classic", tmp_path / "connect"
    result = find_containment([str(lake)], out=str(classic_out), spark=spark,
                              plan={"storage_cost_gb_month": 1e6, "scan_bytes_per_second": 1e12})
    assert result.notes == []
    proc = subprocess.run([sys.executable, str(SCRIPT), str(connect_out), str(lake),
                           "--out", str(connect_out), *PLAN_ARGS],
                          env=_env(connect_url), capture_output=True, text=True, timeout=600,
                          cwd=SCRIPT.parent)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["touched"] == [], f"Connect containment asked for JVM-only attributes: {report['touched']}"

    edges = _edges(classic_out)
    assert edges["contained"].sum() >= 5          # the lake has something to find
    pd.testing.assert_frame_equal(edges, _edges(connect_out))
    assert _stage_counts(classic_out) == _stage_counts(connect_out)
    plan_c = json.loads((classic_out / "plan.json").read_text())
    plan_r = json.loads((connect_out / "plan.json").read_text())
    assert plan_c == plan_r
    kinds = {e["select"]["kind"] for e in plan_c["deleted"]}
    assert kinds == {"all", "range", "row_keys"}
    for name in {e["select"]["file"] for e in plan_c["deleted"] if "file" in e["select"]}:
        keys_c = pq.read_table(classic_out / name).to_pandas()
        keys_r = pq.read_table(connect_out / name).to_pandas()
        cols = list(keys_c.columns)
        pd.testing.assert_frame_equal(keys_c.sort_values(cols).reset_index(drop=True),
                                      keys_r.sort_values(cols).reset_index(drop=True))

    rebuilt = {e["table"]: canonical_rows(rebuild(spark, e, out_dir=str(classic_out)))
               for e in plan_c["deleted"]}
    assert rebuilt == report["rebuilt"] and all(rebuilt.values())

    # What differs, said in the summary and in stages.json: bytes read are not measured.
    assert "notes:" in report["summary"] and "not measured on Spark Connect" in report["summary"]
    assert "not measured on Spark Connect" in (connect_out / "report.html").read_text()
    assert not json.loads((classic_out / "stages.json").read_text())["notes"]
    stages_r = {s["stage"]: s for s in json.loads((connect_out / "stages.json").read_text())["stages"]}
    assert stages_r["content"]["bytes_read"] is None and stages_r["verified"]["bytes_read"] is None
