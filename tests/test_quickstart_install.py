"""`make quickstart` installs only the default dependencies, and they are enough for it.

The model extras (torch, transformers, fastText, pillow) are ~2 GB; only `make
test` needs them. These tests read what the Makefile would install (`make -n`)
and check that the quickstart recipe validates in a Python that cannot import
any of the extras.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXTRAS_ONLY = ("torch", "transformers", "fasttext", "PIL")  # what the model extras bring

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


def _dry_run(target: str, venv: Path) -> list[str]:
    out = subprocess.run(["make", "-n", "--no-print-directory", "-C", str(REPO), target, f"VENV={venv}"],
                         capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def _pip_installs(lines: list[str]) -> list[str]:
    return [line for line in lines if "pip install" in line and "--upgrade pip" not in line]


@needs_make
def test_quickstart_installs_no_extras(tmp_path):
    lines = _dry_run("quickstart", tmp_path / "venv")
    installs = _pip_installs(lines)
    assert installs, lines
    assert all("[" not in line for line in installs), installs
    assert any(line.rstrip().endswith("-e .") for line in installs), installs
    assert lines[-1].endswith("thresher run recipes/quickstart.yaml")


@needs_make
def test_test_target_installs_the_test_extras(tmp_path):
    installs = _pip_installs(_dry_run("test", tmp_path / "venv"))
    assert any(".[test,connect,fasttext,clip,lm]" in line for line in installs), installs


@needs_make
def test_stamps_are_separate(tmp_path):
    """After `make quickstart` (base stamp only) `make test` adds the extras without
    recreating the venv, and after `make test` neither installs anything again."""
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / ".thresher-base").touch()  # newer than pyproject.toml and setup.py
    assert _pip_installs(_dry_run("quickstart", venv)) == []
    test_lines = _dry_run("test", venv)
    assert not any("-m venv" in line for line in test_lines), test_lines
    assert [".[test,connect,fasttext,clip,lm]" in line for line in _pip_installs(test_lines)] == [True]
    (venv / ".thresher-test").touch()
    assert _pip_installs(_dry_run("test", venv)) == []
    assert _pip_installs(_dry_run("quickstart", venv)) == []


BLOCKED_RUN = textwrap.dedent("""
    import importlib.abc, sys

    class NoExtras(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {blocked!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, NoExtras())
    from thresher.jobs.cli import main
    code = main(["validate", "recipes/quickstart.yaml"])
    imported = sorted(m for m in sys.modules if m.split(".")[0] in {blocked!r})
    print("imported extras:", imported)
    sys.exit(code or (1 if imported else 0))
""")


def test_quickstart_validates_without_the_model_extras():
    """`thresher validate` imports every built-in operator module (jobs/builtins.py)
    and resolves the quickstart's steps: none of that may need torch & co."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", BLOCKED_RUN.format(blocked=EXTRAS_ONLY)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "recipe is valid" in proc.stdout
    assert "imported extras: []" in proc.stdout


@needs_make
def test_both_installs_compile_the_kernels_ahead(tmp_path):
    for target in ("quickstart", "test"):
        lines = _dry_run(target, tmp_path / f"venv-{target}")
        warm = [i for i, line in enumerate(lines) if "-m thresher.jobs.warm" in line]
        installs = [i for i, line in enumerate(lines) if "pip install" in line]
        assert warm and max(warm) > max(installs), lines  # after the last install


def test_warm_fills_the_numba_cache(tmp_path):
    """A fresh cache folder holds the MinHash and fastText kernels after warming, so a
    first run's workers load them instead of compiling (benchmarks/cold_start.py)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-m", "thresher.jobs.warm"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "warmed minhash signatures" in out.stdout and "warmed fastText tokeniser" in out.stdout
    cached = [p.name for p in (tmp_path / "cache").rglob("*.nbi")]
    assert any(name.startswith("signatures.") for name in cached), cached
    assert any(name.startswith("tokens.") for name in cached), cached
