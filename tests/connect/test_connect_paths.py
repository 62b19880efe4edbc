"""Connect's decisions without a server: detection, URLs, refused paths, the CLI flag."""
from __future__ import annotations

import pytest

pytest.importorskip("grpc", reason="Spark Connect client packages missing (thresher[connect])")

from thresher.jobs import cli  # noqa: E402
from thresher.operators import connect  # noqa: E402
from thresher.operators.errors import ConnectUnsupportedError, SettingError  # noqa: E402
from thresher.operators.io.fs import LocalFS, get_fs  # noqa: E402
from thresher.operators.session import remote_url  # noqa: E402


@pytest.fixture()
def connect_session():
    """A Connect session object that was never connected: isinstance is all that the
    path decisions look at, and any attribute that reaches for a server fails."""
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    session = object.__new__(ConnectSession)
    session._session_id = "test-session"
    return session


def test_is_connect(connect_session):
    assert connect.is_connect(connect_session)
    assert not connect.is_connect(None)
    assert not connect.is_connect(object())


def test_non_local_path_on_connect_is_refused_clearly(connect_session):
    with pytest.raises(ConnectUnsupportedError, match=r"s3a://bucket/out.*s3a: paths.*classic Spark"):
        get_fs("s3a://bucket/out", connect_session)


def test_local_paths_on_connect_use_the_local_filesystem(connect_session, tmp_path):
    for path in (str(tmp_path), f"file://{tmp_path}", "relative/out"):
        fs, _ = get_fs(path, connect_session)
        assert isinstance(fs, LocalFS)


def test_notes_once_per_text_and_taken_once(connect_session):
    connect.take_notes(connect_session)
    connect.note(connect_session, "a")
    connect.note(connect_session, "a")
    connect.note(connect_session, "b")
    assert connect.take_notes(connect_session) == ["a", "b"]
    assert connect.take_notes(connect_session) == []


def test_remote_url(monkeypatch):
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    assert remote_url(None) is None
    monkeypatch.setenv("SPARK_REMOTE", "sc://envhost:15002")
    assert remote_url(None) == "sc://envhost:15002"
    assert remote_url("sc://recipe:1") == "sc://recipe:1"  # the recipe / --remote win
    with pytest.raises(SettingError, match="must start with sc://"):
        remote_url("http://host:15002")


def test_cli_remote_becomes_the_recipe_override(monkeypatch):
    seen = {}

    def fake_run(recipe, *, overrides, dry_run, use_recipe_master):
        seen["overrides"] = overrides

    monkeypatch.setattr("thresher.operators.runner.run", fake_run)
    assert cli.main(["run", "r.yaml", "--remote", "sc://h:15002", "--set", "a.b=1"]) == 0
    assert seen["overrides"] == ["a.b=1", "spark.remote=sc://h:15002"]


def test_recipe_remote_is_not_part_of_the_hash():
    from thresher.operators.recipe import Recipe

    from pathlib import Path

    recipe = Path(__file__).resolve().parents[2] / "recipes" / "quickstart.yaml"
    plain = Recipe.from_yaml(recipe)
    remote = Recipe.from_yaml(recipe, ["spark.remote=sc://h:15002"])
    assert remote.spec.spark.remote == "sc://h:15002"
    assert plain.hash == remote.hash
