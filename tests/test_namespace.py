"""One import namespace: the top-level folders install as ``thresher.<folder>``."""
from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FOLDERS = ("operators", "dedup", "scorers", "jobs")
# Where Python code lives that imports thresher (everything but data).
CODE_FOLDERS = (*FOLDERS, "thresher", "tests", "benchmarks", "scripts", "notebooks")


# Git-ignored scratch space: the peers' virtualenvs of the benchmarks live there.
SCRATCH = REPO / "benchmarks" / "work"


def _python_files():
    for folder in CODE_FOLDERS:
        yield from sorted(p for p in (REPO / folder).rglob("*.py")
                          if SCRATCH not in p.parents)


def test_no_module_imports_a_bare_top_level_name():
    """`import operators` would load a second copy (a second registry) or another
    installed package of that name on a cluster's Python path."""
    bare = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            bare += [f"{path.relative_to(REPO)}:{node.lineno}: {name}"
                     for name in names if name.split(".")[0] in FOLDERS]
    assert not bare, "bare imports (use thresher.<folder>):\n" + "\n".join(bare)


def test_setup_lists_every_subpackage_under_thresher():
    out = subprocess.run([sys.executable, "-c", (
        "import sys, setuptools; sys.argv = ['setup.py']; captured = {}\n"
        "setuptools.setup = lambda **kw: captured.update(kw)\n"
        "exec(open('setup.py').read()); print(repr(captured))")],
        cwd=REPO, capture_output=True, text=True, check=True).stdout
    config = ast.literal_eval(out.strip().splitlines()[-1])
    expected = {"thresher"}
    for folder in FOLDERS:
        for init in (REPO / folder).rglob("__init__.py"):
            expected.add(".".join(("thresher", *init.parent.relative_to(REPO).parts)))
    assert set(config["packages"]) == expected
    assert config["package_dir"]["thresher.operators"] == "operators"


def test_entry_points_and_script_name_thresher_modules():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["thresher"] == "thresher.jobs.cli:main"
    modules = project["entry-points"]["thresher.operators"].values()
    assert modules and all(m.startswith("thresher.") for m in modules)


def test_public_api_is_short_and_lazy():
    code = ("import sys, thresher; assert 'pyspark' not in sys.modules, 'eager pyspark';"
            "from thresher import Recipe, run, register;"
            "import thresher.operators as ops; assert run is ops.run and register is ops.register;"
            "print(thresher.operators.__name__)")
    out = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "thresher.operators"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        import thresher
        thresher.nope  # noqa: B018


def test_source_checkout_without_install_imports_the_namespace(tmp_path):
    """A script that puts the repo root on sys.path (spark-submit jobs/run_recipe.py
    from a checkout) reaches thresher.operators through the sibling folders."""
    code = (f"import sys; sys.path.insert(0, {str(REPO)!r}); import thresher.operators.registry as r;"
            "print(r.__file__)")
    # The path entry is searched before the editable install's finder (a meta-path
    # hook consulted last), so this exercises the checkout's own lookup.
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(REPO / "operators" / "registry.py")


def test_py_files_zip_lays_packages_out_under_thresher(tmp_path):
    from thresher.jobs.package import build_zip

    names = zipfile.ZipFile(build_zip(str(tmp_path))).namelist()
    assert "thresher/__init__.py" in names
    assert "thresher/operators/text/thresher-text.jar" in names
    assert {n.split("/")[1] for n in names if n.count("/") > 1} == set(FOLDERS)
    assert not [n for n in names if not n.startswith("thresher/")]
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import thresher.dedup.exact as m;"
            "print(m.__file__)")
    out = subprocess.run([sys.executable, "-c", code, build_zip(str(tmp_path))],
                         cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert ".zip/thresher/dedup/exact.py" in out.stdout
