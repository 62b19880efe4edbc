"""kill -9 of the driver at commit points of every output kind (issue 15), as a matrix
that one test runs: a recipe with rejects, kept and stats (and, on Delta, a MinHash
index: a Delta side output that commits first), killed at each point given, e.g.
before the index commits, after it, before the stats commit, before the group commit
and after the group commit (before its clean-up).

What a kill leaves is then read as a next recipe would read it: an unfinished group is
rolled back (every output, the index included, as the previous run left it), a
committed one rolled forward (the killed run's outputs, kept-aside copies gone). A
rerun then completes (checked once per kind of recovery: the rerun's path does not
depend on the point). The first run's outputs are copied for each point (the index's
rows then name the first copy's output: for the copies, rows of another output, which
the rerun does not count; the rollback checks do not depend on it). Each killed run is
its own process, started cold: a classic one starts its own JVM (~30 s on 2 cores, so
the classic test kills at a few points), a Spark Connect client only Python (the server
is shared), so the Connect test kills at every point. They run two at a time.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

import thresher.jobs.builtins  # noqa: F401
from thresher.operators.io import read_output
from thresher.operators.io.group import recover_groups
from thresher.operators.io.parquet import OLD
from thresher.operators.recipe import Recipe
from thresher.operators.runner import run

from tests.operators.io.conftest import REPO
from tests.operators.io.test_group import _corpus, _journals

# (failpoint, what commits there, with a MinHash index). The index needs a Delta
# output and commits first (a side output), then rejects, kept, stats; @K is the K-th
# commit. The later Delta points run without the index (its rollback is the one at @2,
# and a MinHash run costs ~9 s here against ~3 s).
DELTA_POINTS = [("before_commit@1", "index", True), ("before_commit@2", "rejects", True),
                ("before_commit@3", "stats", False), ("before_group_commit", "group", False),
                ("after_group_commit", "clean-up", False)]
PARQUET_POINTS = [("before_commit@1", "rejects", False), ("before_commit@2", "kept", False),
                  ("before_commit@3", "stats", False), ("before_group_commit", "group", False),
                  ("after_group_commit", "clean-up", False)]


KILLED_RUN = textwrap.dedent("""
    import json, os, sys
    import thresher.jobs.builtins
    from thresher.operators.recipe import Recipe
    from thresher.operators.runner import run
    spark = None
    if os.environ.get("KILL_TEST_REMOTE"):
        from pyspark.sql import SparkSession
        spark = SparkSession.builder.remote(os.environ["KILL_TEST_REMOTE"]).getOrCreate()
    run(Recipe.from_dict(json.loads(sys.argv[1])), spark=spark, echo=lambda s: None)
""")


def _recipe(root, fmt: str, corpus, indexed: bool) -> dict:
    steps = [{"word_count_filter": {"min": 5}}]
    if indexed:
        steps.append({"minhash_dedup": {"ngram": 2, "threshold": 0.7,
                                        "index": str(root / "index")}})
    return {"name": "kill-test",
            "input": {"format": "parquet", "path": str(corpus), "text_column": "body",
                      "id_column": "doc"},
            "steps": steps,
            "output": {"format": fmt, "path": str(root / "out"), "mode": "overwrite",
                       "rejects": str(root / "rejects"), "stats": str(root / "stats")}}


def _state(spark, root, fmt: str, indexed: bool) -> dict:
    """What a reader sees: ids kept and rejected, run ids in stats and in the index."""
    def distinct(name, col, form):
        return sorted(r[0] for r in read_output(spark, format=form, path=str(root / name))
                      .select(col).distinct().collect())
    state = {"kept": distinct("out", "doc", fmt), "rejects": distinct("rejects", "doc", fmt),
             "stats": distinct("stats", "run_id", fmt)}
    if indexed:
        state["index"] = distinct("index", "run_id", "delta")
    return state


def _kill_at(recipe: dict, point: str, remote: str | None) -> str:
    """Run ``recipe`` in a fresh process (a Connect client of ``remote``, or classic
    Spark), kill -9 it at ``point``; '' or what went wrong."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "PYSPARK_GATEWAY_PORT")}
    env.update(THRESHER_FAILPOINTS=f"{point}=sleep:300",
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if remote:
        env["KILL_TEST_REMOTE"] = remote
    else:
        recipe = {**recipe, "spark": {"master": "local[1]",
                                      "conf": {"spark.sql.shuffle.partitions": "2",
                                               "spark.ui.enabled": "false"}}}
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, json.dumps(recipe)], cwd=REPO,
                            env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 300
        for line in proc.stderr:
            seen.append(line)
            if "thresher failpoint" in line:
                return ""
            if time.monotonic() > deadline:
                return "never reached the failpoint:\n" + "".join(seen[-30:])
        return f"exited early (rc={proc.wait()}):\n" + "".join(seen[-30:])
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def check_kills(spark, tmp_path, fmt: str, points: list[tuple[str, str, bool]],
                remote: str | None = None):
    """Kill a second run at each of ``points`` and check what the kill left, its
    recovery and a rerun; the first run and the rerun are classic, in-process."""
    cases, first = {}, {}
    for n, (point, what, indexed) in enumerate(points):
        root = tmp_path / f"p{n}"
        if indexed not in first:  # one first run of each recipe, copied for each point
            _corpus(root / "in1", "a")
            run(Recipe.from_dict(_recipe(root, fmt, root / "in1", indexed)), spark=spark,
                echo=lambda s: None)
            _corpus(root / "in2", "b")
            first[indexed] = root
        else:
            shutil.copytree(first[indexed], root)
        cases[point] = root, _state(spark, root, fmt, indexed), what, indexed

    def kill(point: str) -> str:
        root, _before, _what, indexed = cases[point]
        return _kill_at(_recipe(root, fmt, root / "in2", indexed), point, remote)

    # A rerun after a recovery takes the same path whichever point was killed: one per
    # kind of recovery (rolled back with the index, without it, rolled forward), at its
    # last point (for the index: after it committed, so its rollback is what the rerun sees).
    kinds = {(indexed, point == "after_group_commit"): point for point, _w, indexed in points}
    reruns = set(kinds.values())
    with ThreadPoolExecutor(max_workers=2) as pool:
        failed = dict(zip(cases, pool.map(kill, cases)))
    assert not any(failed.values()), {p: why for p, why in failed.items() if why}
    for point, (root, before, what, indexed) in cases.items():
        assert _journals(root), f"{point}: the killed run left no journal: the test killed nothing"
        after = _state(spark, root, fmt, indexed)  # reading the kept output finishes the group
        assert not _journals(root) and recover_groups(str(root / "out")) == [], point
        if point == "after_group_commit":  # committed: the killed run's outputs stand
            assert after["stats"] != before["stats"] and len(after["stats"]) == 1, point
            assert all(d.startswith("b") for d in after["kept"]), point
            assert not [n for n in os.listdir(root) if f".{OLD}-" in n], point  # copies aside
        else:
            assert after == before, f"kill at {point} ({what}): {after} != {before}"
        if point not in reruns:
            continue
        rerun = run(Recipe.from_dict(_recipe(root, fmt, root / "in2", indexed)), spark=spark,
                    echo=lambda s: None)
        final = _state(spark, root, fmt, indexed)
        assert final["stats"] == [rerun.run_id] and all(d.startswith("b") for d in final["kept"])
        assert not indexed or rerun.run_id in final["index"], point
