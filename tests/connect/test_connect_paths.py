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

    def fake_run(recipe, *, overrides, **_options):  # dry_run, progress, ...: not under test
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


def test_containment_on_connect_takes_its_safe_paths_and_says_so(connect_session):
    """Without a server: what containment does where Connect lacks the JVM."""
    from thresher.dedup.containment.catalog import _from_files
    from thresher.dedup.containment.content import ContentOutcome
    from thresher.dedup.containment.job import contained_scan_unmeasured
    from thresher.dedup.containment.plan import PlanConfig
    from thresher.dedup.containment.sources import TableRef
    from thresher.dedup.containment.spark_jobs import JobGroup

    connect.take_notes(connect_session)
    # A catalog table whose files only the JVM can reach (a UC table on s3://): no
    # footer statistics, so None (Spark computes them) instead of ConnectUnsupportedError.
    ref = TableRef("catalog:sales.orders", "sales.orders", "catalog")
    details = {"Provider": "delta", "Location": "s3://bucket/sales/orders"}
    assert _from_files(connect_session, ref, details, [], True) is None
    # Bytes read: no status store to ask, so unknown rather than a wrong 0.
    with JobGroup(connect_session, "thresher-containment-sample") as group:
        group.tally()
    assert group.input_bytes is None
    notes = connect.take_notes(connect_session)
    assert any("catalog:sales.orders" in n and "s3://bucket/sales/orders" in n for n in notes)
    assert any("not measured on Spark Connect" in n for n in notes)
    # --plan then cannot use a measured scan rate, unless one is given.
    unmeasured = ContentOutcome(sample_seconds=1.0, sample_bytes=None, verify_bytes=None)
    assert contained_scan_unmeasured(unmeasured, PlanConfig())
    assert not contained_scan_unmeasured(unmeasured, PlanConfig(scan_bytes_per_second=1e9))
    assert not contained_scan_unmeasured(ContentOutcome(sample_seconds=1.0, sample_bytes=10), PlanConfig())
