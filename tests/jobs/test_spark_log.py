"""Spark's own log is quiet by default (thresher's output comes first), loud on request."""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from thresher.jobs import cli, local_cluster
from thresher.operators import session
from thresher.operators.errors import SettingError

from tests.jobs.spark_lines import spark_lines
from tests.submit import submit_env

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_log_config_is_package_data_and_reads_the_env():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "log4j2.properties" in pyproject["tool"]["setuptools"]["package-data"]["thresher.operators"]
    assert session.LOG4J2_PROPERTIES == REPO / "operators" / "log4j2.properties"
    text = session.LOG4J2_PROPERTIES.read_text(encoding="utf-8")
    assert "rootLogger.level = ${env:THRESHER_SPARK_LOG:-ERROR}" in text
    # A logger set below the root's ERROR would let its warnings through.
    levels = re.findall(r"^logger\.\w+\.level = (\w+)", text, re.M)
    assert levels and all(level.lower() in ("error", "fatal", "off") for level in levels)


def test_java_options_get_the_config_unless_the_user_has_one():
    option = session.log4j2_java_option()
    assert option == f"-Dlog4j2.configurationFile={session.LOG4J2_PROPERTIES.as_uri()}"
    assert session.with_quiet_log(None) == option
    assert session.with_quiet_log("-Xss4m") == f"{option} -Xss4m"
    own = "-Dlog4j2.configurationFile=/etc/spark/log4j2.properties"
    assert session.with_quiet_log(own) == own


def test_log_level_conf(monkeypatch):
    monkeypatch.delenv(session.SPARK_LOG_ENV, raising=False)
    ours = session.with_quiet_log(None)
    conf: dict = {}
    session._add_log_level(conf, ours, "ERROR")
    assert conf == {}  # the shipped file sets the level itself
    session._add_log_level(conf, None, "ERROR")  # spark-submit without it
    assert conf == {"spark.log.level": "ERROR"}
    conf = {"spark.log.level": "WARN"}  # the recipe's choice stays
    session._add_log_level(conf, None, "ERROR")
    assert conf == {"spark.log.level": "WARN"}
    conf, own = {}, "-Dlog4j2.configurationFile=/etc/spark/log4j2.properties"
    session._add_log_level(conf, own, "ERROR")
    assert conf == {}  # the user's own configuration
    monkeypatch.setenv(session.SPARK_LOG_ENV, "info")
    session._add_log_level(conf, own, session.spark_log_level())
    assert conf == {"spark.log.level": "INFO"}  # ...unless they asked through the env


def test_log_level_from_env(monkeypatch):
    monkeypatch.delenv(session.SPARK_LOG_ENV, raising=False)
    assert session.spark_log_level() == "ERROR"
    monkeypatch.setenv(session.SPARK_LOG_ENV, " warn ")
    assert session.spark_log_level() == "WARN"
    monkeypatch.setenv(session.SPARK_LOG_ENV, "loud")
    with pytest.raises(SettingError, match="THRESHER_SPARK_LOG='loud' is not a log level"):
        session.spark_log_level()


@pytest.mark.parametrize("argv", [["--verbose", "ops"], ["ops", "--verbose"]])
def test_verbose_sets_info_before_spark_starts(monkeypatch, capsys, argv):
    monkeypatch.setenv(session.SPARK_LOG_ENV, "unset")  # registers the undo ...
    monkeypatch.delenv(session.SPARK_LOG_ENV)  # ... of what --verbose sets
    assert cli.main(argv) == cli.EXIT_OK
    assert os.environ[session.SPARK_LOG_ENV] == "INFO"


def test_verbose_keeps_a_level_from_the_env(monkeypatch, capsys):
    monkeypatch.setenv(session.SPARK_LOG_ENV, "DEBUG")
    assert cli.main(["--verbose", "ops"]) == cli.EXIT_OK
    assert os.environ[session.SPARK_LOG_ENV] == "DEBUG"


def test_every_subcommand_takes_verbose():
    def walk(parser):
        yield parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    yield from walk(child)

    for parser in walk(cli._parser()):
        assert any("--verbose" in a.option_strings for a in parser._actions), parser.prog


def test_local_cluster_daemons_get_the_config(tmp_path, monkeypatch):
    spawned = {}

    class FakePopen:
        def __init__(self, cmd, env, **kwargs):
            spawned.update(env)

    monkeypatch.setattr(local_cluster.subprocess, "Popen", FakePopen)
    monkeypatch.delenv("SPARK_DAEMON_JAVA_OPTS", raising=False)
    cluster = local_cluster.LocalCluster(work_dir=str(tmp_path))
    monkeypatch.setattr(local_cluster.class_archive, "java_option", lambda _own=None: None)
    cluster._spawn("org.apache.spark.deploy.master.Master", log="master.log")
    assert spawned["SPARK_DAEMON_JAVA_OPTS"] == session.log4j2_java_option()
    # A warmed class archive (the same jars) is mapped by the daemons too.
    monkeypatch.setattr(local_cluster.class_archive, "java_option",
                        lambda _own=None: "-XX:SharedArchiveFile=/cache/spark.jsa")
    cluster._spawn("org.apache.spark.deploy.worker.Worker", log="worker.log")
    assert spawned["SPARK_DAEMON_JAVA_OPTS"] == \
        f"{session.log4j2_java_option()} -XX:SharedArchiveFile=/cache/spark.jsa"


# --- whole processes ---------------------------------------------------------------


def _env(**extra):
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    env.pop(session.SPARK_LOG_ENV, None)
    env.update(extra)
    return env


def _submit_env():
    """For spark-submit, whose JVM starts before thresher can add the class archive."""
    env = submit_env()
    env.pop(session.SPARK_LOG_ENV, None)
    return env


@pytest.fixture()
def tiny_recipe(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    pd.DataFrame({"id": ["a", "b", "c"], "text": ["one two three four five", "short", "six seven eight nine ten"]}
                 ).to_parquet(inp / "part-0.parquet")
    recipe = tmp_path / "tiny.yaml"
    recipe.write_text(textwrap.dedent(f"""
        name: tiny
        spark: {{master: "local[1]", conf: {{spark.sql.shuffle.partitions: 1, spark.ui.enabled: false}}}}
        input: {{format: parquet, path: {inp}, id_column: id}}
        steps:
          - word_count_filter: {{min: 3}}
        output: {{format: parquet, path: {tmp_path / 'out'}, mode: overwrite}}
    """))
    return recipe


@pytest.mark.slow
def test_validate_prints_no_spark_log(tiny_recipe):
    proc = subprocess.run([str(BIN / "thresher"), "validate", str(tiny_recipe)], env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert spark_lines(proc.stdout + proc.stderr) == []
    assert proc.stdout.startswith("recipe tiny")


@pytest.mark.slow
def test_spark_submit_logs_at_error_once_the_context_starts(tiny_recipe, tmp_path):
    """jobs/run_recipe.py under spark-submit runs the recipe; spark-submit's JVM starts
    with Spark's own (INFO) profile, and from the context's start on the level is
    thresher's: no query plans, no per-stage INFO lines."""
    proc = subprocess.run([str(BIN / "spark-submit"), "--master", "local[1]",
                           str(REPO / "jobs" / "run_recipe.py"), str(tiny_recipe)],
                          cwd=tmp_path, env=_submit_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = proc.stderr.split('Setting Spark log level to "ERROR".', 1)
    assert len(after) == 2, proc.stderr[-3000:]
    assert spark_lines(after[1]) == [], after[1][:3000]
    assert len(spark_lines(after[0])) < 15, after[0][:3000]  # the JVM's and the context's first lines
    assert sorted(pd.read_parquet(tmp_path / "out").id) == ["a", "c"]  # "short" < 3 words


@pytest.mark.slow
def test_spark_submit_with_the_driver_java_option_is_quiet(tiny_recipe, tmp_path):
    option = subprocess.run([sys.executable, "-m", "thresher.operators.session"], env=_env(),
                            capture_output=True, text=True, check=True).stdout.strip()
    assert option == session.log4j2_java_option()
    proc = subprocess.run([str(BIN / "spark-submit"), "--master", "local[1]", "--driver-java-options",
                           option, str(REPO / "jobs" / "run_recipe.py"), str(tiny_recipe)],
                          cwd=tmp_path, env=_submit_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert spark_lines(proc.stderr) == [], proc.stderr[:3000]
