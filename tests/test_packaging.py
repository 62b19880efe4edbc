"""pyproject.toml's metadata: what setuptools builds without deprecation warnings."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_license_is_an_spdx_string():
    # A TOML table (`{ text = ... }`) is deprecated since setuptools 77 (PEP 639).
    assert PYPROJECT["project"]["license"] == "Apache-2.0"


def test_build_requires_a_setuptools_that_reads_spdx_licenses():
    reqs = [r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools")]
    assert len(reqs) == 1
    match = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", reqs[0].replace(" ", ""))
    assert match and int(match.group(1)) >= 77, reqs
