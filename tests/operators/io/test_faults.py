"""Faults around a run's outputs: two runs on one output at once, a full disk."""
from __future__ import annotations

import os
import secrets
import subprocess
import threading

import pandas as pd
import pytest

import thresher.jobs.builtins  # noqa: F401
from thresher.operators.errors import OutputBusyError, OutputError
from thresher.operators.io.fs import reset_failpoints
from thresher.operators.recipe import Recipe
from thresher.operators.runner import run

from .test_group import _corpus, _journals, _recipe, _state


def test_two_runs_on_one_output_at_once_one_wins_the_other_fails_clearly(spark, tmp_path,
                                                                          monkeypatch):
    _corpus(tmp_path / "in1", "a")
    _corpus(tmp_path / "in2", "b")
    reset_failpoints()
    # The first run to reach its first commit waits there, holding the output's lock.
    monkeypatch.setenv("THRESHER_FAILPOINTS", "before_commit@1=sleep:8")
    results: dict[str, object] = {}

    def first():
        results["first"] = run(Recipe.from_dict(_recipe(tmp_path, "delta", tmp_path / "in1")),
                               spark=spark, echo=lambda s: None)

    thread = threading.Thread(target=first)
    thread.start()
    deadline_lock = tmp_path / ".out.lock"
    for _ in range(3000):  # until the first run holds the lock (taken at its start)
        if deadline_lock.exists():
            break
        thread.join(0.1)
    assert deadline_lock.exists(), "the first run never took the lock"
    with pytest.raises(OutputBusyError, match="is being written by run"):
        run(Recipe.from_dict(_recipe(tmp_path, "delta", tmp_path / "in2")), spark=spark,
            echo=lambda s: None)
    thread.join(300)
    monkeypatch.delenv("THRESHER_FAILPOINTS")
    state = _state(spark, tmp_path, "delta")
    assert state["stats"] == [results["first"].run_id]
    assert all(d.startswith("a") for d in state["kept"] + state["rejects"])  # nothing of b
    assert not _journals(tmp_path) and not deadline_lock.exists()


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs for the outputs (root only); unmounted afterwards."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({made.stderr.strip()}): needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_fails_the_run_and_keeps_the_previous_outputs(spark, tmp_path, small_disk):
    _corpus(tmp_path / "in1", "a")
    big = tmp_path / "in2"
    big.mkdir()
    # ~16 MB of text that compresses little: the kept output cannot fit in 4 MB.
    docs = [" ".join(secrets.token_hex(5) for _ in range(120)) for _ in range(12000)]
    pd.DataFrame({"doc": [f"b{i}" for i in range(len(docs))], "body": docs}).to_parquet(big / "p.parquet")
    run(Recipe.from_dict(_recipe(small_disk, "delta", tmp_path / "in1")), spark=spark,
        echo=lambda s: None)
    before = _state(spark, small_disk, "delta")
    with pytest.raises(OutputError, match="No space left|ENOSPC|not enough space|failed"):
        run(Recipe.from_dict(_recipe(small_disk, "delta", big)), spark=spark, echo=lambda s: None)
    assert _state(spark, small_disk, "delta") == before
    leftovers = [n for n in os.listdir(small_disk) if ".staging-" in n or ".group-" in n
                 or n.endswith(".lock")]
    assert not leftovers, leftovers
