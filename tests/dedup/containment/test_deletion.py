"""--plan end to end: plan.json, and each deleted table rebuilt exactly from its parent."""
from __future__ import annotations

import json
import os
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from thresher.dedup.containment import find_containment
from thresher.dedup.containment.canonical import canonical_columns
from thresher.dedup.containment.deletion import read_access_log
from thresher.dedup.containment.rebuild import rebuild
from thresher.operators.errors import ContainmentInputError
from thresher.operators.io import read_input

# Storage so dear and scans so fast that deleting every contained table pays.
EAGER = {"storage_cost_gb_month": 1e6, "scan_bytes_per_second": 1e12}


def _rows(df) -> Counter:
    names = {c.lower(): c for c in df.columns}
    canon = df.select(*canonical_columns(df, names))
    return Counter(tuple(r) for r in canon.collect())


def _child_rows(spark, entry) -> Counter:
    fmt = "parquet" if entry["table"].endswith(".parquet") else "csv"
    opts = {"inferSchema": "true"} if fmt == "csv" else None
    return _rows(read_input(spark, format=fmt, path=entry["table"], options=opts))


def _lake(tmp_path):
    x = list(range(100))
    parent = pa.table({"x": x, "y": [(i * 37) % 100 for i in x], "s": [f"s{i % 9}" for i in x]})
    pq.write_table(parent, tmp_path / "parent.parquet")
    pq.write_table(parent.filter(pa.compute.is_in(parent["x"], pa.array(range(10, 31)))),
                   tmp_path / "ranged.parquet")                         # x in [10, 30]
    pq.write_table(parent.select(["s"]), tmp_path / "all_s.parquet")    # every s of the parent
    pq.write_table(parent.take(list(range(0, 100, 3))).select(["y", "x"]),
                   tmp_path / "scattered.parquet")                      # no range explains it


def test_plan_selects_and_rebuilds_each_deleted_table(spark, tmp_path):
    _lake(tmp_path)
    result = find_containment([str(tmp_path)], out=str(tmp_path / "out"), spark=spark, plan=EAGER)
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert plan == json.loads(json.dumps(result.plan, default=str))
    kinds = {e["table"].rsplit("/", 1)[1]: e["select"]["kind"] for e in plan["deleted"]}
    assert kinds == {"ranged.parquet": "range", "all_s.parquet": "all", "scattered.parquet": "row_keys"}
    assert plan["solver"] == "milp" and plan["cost_per_month"]["saved"] > 0
    ranged = next(e for e in plan["deleted"] if e["table"].endswith("ranged.parquet"))
    assert (ranged["select"]["column"], ranged["select"]["min"], ranged["select"]["max"]) in (
        ("x", 10, 30), ("y", 10 * 37 % 100, 30 * 37 % 100))
    for entry in plan["deleted"]:
        assert entry["parent"].endswith("parent.parquet") and entry["bytes_saved"] > 0
        got = rebuild(spark, entry, out_dir=result.out)
        assert sorted(got.columns) == sorted(entry["columns"])
        assert set(_rows(got)) == set(_child_rows(spark, entry)), entry["table"]
    assert (tmp_path / "out" / "plan_keys").is_dir()


def test_multiset_plan_rebuilds_the_counts(spark, tmp_path):
    pq.write_table(pa.table({"v": [1, 1, 1, 2, 3, 4]}), tmp_path / "parent.parquet")
    pq.write_table(pa.table({"v": [1, 1, 3]}), tmp_path / "child.parquet")
    result = find_containment([str(tmp_path)], out=str(tmp_path / "out"), spark=spark,
                              multiset=True, plan=EAGER)
    [entry] = result.plan["deleted"]
    assert entry["select"] == {"kind": "row_keys", "key": "two salted xxhash64 of the canonical row",
                               "counts": True, "file": "plan_keys/0000.parquet"}
    assert _rows(rebuild(spark, entry, out_dir=result.out)) == Counter({(1,): 2, (3,): 1})


def test_access_log_and_bounds(spark, tmp_path):
    _lake(tmp_path)
    log = tmp_path / "access.csv"
    log.write_text(f"table,reads_per_month\n{tmp_path}/ranged.parquet,1e9\nelsewhere.parquet,3\n")
    result = find_containment([str(tmp_path / "parent.parquet"), str(tmp_path / "ranged.parquet"),
                               str(tmp_path / "scattered.parquet")], out=str(tmp_path / "out"),
                              spark=spark, plan={**EAGER, "scan_bytes_per_second": 1e3},
                              access_log=str(log))
    deleted = {e["table"].rsplit("/", 1)[1] for e in result.plan["deleted"]}
    assert deleted == {"scattered.parquet"}   # ranged is read a billion times a month: keep it
    assert result.plan["reads_source"] == "access log"
    # relative names resolve against the current folder, like SOURCEs
    assert result.plan["access_log_unknown_tables"] == [os.path.abspath("elsewhere.parquet")]
    tight = find_containment([str(tmp_path)], out=str(tmp_path / "out2"), spark=spark,
                             plan={**EAGER, "scan_bytes_per_second": 1e3, "max_rebuild_seconds": 1})
    assert tight.plan["deleted"] == []        # no parent scans in a second at 1 kB/s


def test_plan_input_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,reads\nx,1\n")
    with pytest.raises(ContainmentInputError, match="header"):
        read_access_log(str(bad))
    bad.write_text("table,reads_per_month\nx,-1\n")
    with pytest.raises(ContainmentInputError, match="bad.csv:2"):
        read_access_log(str(bad))
    with pytest.raises(ContainmentInputError, match="verify='exact'"):
        find_containment([str(tmp_path)], out=str(tmp_path / "o"), verify="sample", plan=True)
    with pytest.raises(ContainmentInputError, match="only used with a deletion plan"):
        find_containment([str(tmp_path)], out=str(tmp_path / "o"), access_log=str(bad))
    with pytest.raises(ContainmentInputError, match="max_rebuild_seconds"):
        find_containment([str(tmp_path)], out=str(tmp_path / "o"), plan={"max_rebuild_seconds": -1})
