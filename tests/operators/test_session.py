"""Java detection: a missing or old Java gets install instructions, not a gateway error."""
from __future__ import annotations

import pytest

from thresher.operators import session
from thresher.operators.errors import MissingDependencyError


def test_missing_java_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no java here
    with pytest.raises(MissingDependencyError, match="apt-get install -y openjdk-17-jre-headless"):
        session.check_java()


def test_old_java_is_refused(monkeypatch, tmp_path):
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho \'openjdk version "1.8.0_392"\' >&2\n')
    fake.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    assert session.java_version() == 8
    with pytest.raises(MissingDependencyError, match="found Java 8"):
        session.check_java()


def test_this_machine_has_java_17_or_newer():
    assert (session.java_version() or 0) >= 17
