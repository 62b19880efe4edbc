"""Spark's class-data archive (operators/class_archive.py): found only for this Java and
pyspark, given to local sessions, never over a user's own CDS options, and mappable."""
from __future__ import annotations

import pytest

from thresher.operators import class_archive, session


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(class_archive.CACHE_ENV, str(tmp_path))
    monkeypatch.delenv(class_archive.ENV, raising=False)
    return tmp_path


def test_no_archive_no_option_and_the_name_follows_java_and_pyspark(cache, monkeypatch):
    assert class_archive.java_option() is None
    path = class_archive.archive_path()
    assert path.parent == cache and path.name.startswith("spark-classes-") and path.suffix == ".jsa"
    path.write_bytes(b"stand-in")
    assert class_archive.java_option() == f"-XX:SharedArchiveFile={path}"
    # Another Java (or pyspark, or jars) is another archive: this one is not offered.
    monkeypatch.setattr(class_archive, "_java", lambda: session.__file__)
    assert class_archive.archive_path() != path
    assert class_archive.java_option() is None


def test_off_and_the_users_own_cds_options_win(cache, monkeypatch):
    class_archive.archive_path().write_bytes(b"stand-in")
    for own in ("-Xshare:off", "-XX:SharedArchiveFile=/mine.jsa", "-Xmx2g -XX:ArchiveClassesAtExit=/x.jsa"):
        assert class_archive.java_option(own) is None
    assert class_archive.java_option("-Xmx2g") is not None
    monkeypatch.setenv(class_archive.ENV, "off")
    assert class_archive.java_option() is None
    assert class_archive.build() is None


def test_the_suites_session_maps_the_warmed_archive(spark):
    option = class_archive.java_option()
    if option is None:
        pytest.skip("no class archive: `python -m thresher.jobs.warm` has not run here")
    assert option in spark.sparkContext.getConf().get("spark.driver.extraJavaOptions")
    jvm = spark.sparkContext._jvm
    args = list(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    assert option in args
    # -Xshare:on refuses to start a JVM that cannot map it: the archive is really used.
    classpath = jvm.System.getProperty("java.class.path")
    assert class_archive.mapping_problem(class_archive.archive_path(), classpath) is None


def test_an_archive_the_jvm_cannot_map_is_reported(cache, spark):
    path = class_archive.archive_path()
    path.write_bytes(b"not an archive")
    classpath = spark.sparkContext._jvm.System.getProperty("java.class.path")
    assert class_archive.mapping_problem(path, classpath)  # the JVM's own words


def test_an_install_whose_archive_fails_goes_on_and_says_why(cache, monkeypatch, capsys):
    from thresher.jobs import warm
    from thresher.operators.errors import ClassArchiveError

    def failing(force=False):
        raise ClassArchiveError("the JVM cannot map it")

    monkeypatch.setattr(class_archive, "build", failing)
    assert warm.warm_jvm() is None
    assert "class archive not built (the JVM cannot map it)" in capsys.readouterr().err
