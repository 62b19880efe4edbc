"""Spark Connect: detect it, ship files as session artifacts, and say what differs.

A Spark Connect session (Databricks serverless, shared clusters, Databricks Connect,
``SPARK_REMOTE=sc://...``) has no JVM on the driver: no ``spark._jvm``, no
``sparkContext``, no RDDs, no ``SparkContext.addFile``. Code that needs one of those
asks ``is_connect(spark)`` first and takes the Connect-safe path; where the result
or the way it is reached differs from classic Spark it calls ``note(spark, ...)``,
and the runner prints the notes in the run summary (``RunResult.notes``).

Files reach the server with ``add_artifact``: ``spark.addArtifacts``, once per
session and file (the server refuses a second artifact of the same name with other
bytes, so callers ship version-named copies). A Python worker of that session runs
in the session's artifact folder, where ``artifact_path(name)`` finds the file.
"""
from __future__ import annotations

import os
import threading

_lock = threading.Lock()
_added: set[tuple[str, str]] = set()      # (session id, path) already shipped
_notes: dict[str, list[str]] = {}          # session id -> notes not yet reported


def is_connect(spark) -> bool:
    """True for a Spark Connect session (no JVM on this side)."""
    if spark is None:
        return False
    try:
        from pyspark.sql.connect.session import SparkSession as ConnectSession
    except Exception:  # noqa: BLE001 - the Connect client's packages are not installed
        return False
    return isinstance(spark, ConnectSession)


def session_key(spark) -> str:
    """One key per session: Connect's session id, else the JVM session's identity."""
    if is_connect(spark):
        return f"connect:{spark.session_id}"
    try:
        return f"jvm:{id(spark._jsparkSession)}"
    except AttributeError:  # a session-like object without a JVM handle (tests)
        return f"obj:{id(spark)}"


def add_artifact(spark, path: str, *, file: bool = False, archive: bool = False) -> None:
    """``spark.addArtifacts(path)`` (``file=True``: a plain file for the Python workers;
    ``archive=True``: a zip they see unpacked; else a jar for the server's class path),
    once per session and path."""
    key = (session_key(spark), os.path.abspath(path))
    with _lock:
        if key in _added:
            return
    spark.addArtifacts(os.path.abspath(path), file=file, archive=archive)
    with _lock:
        _added.add(key)


def artifact_path(name: str) -> str | None:
    """Inside a Python worker of a Connect session: the local copy of the artifact
    ``name`` (the worker runs in the session's artifact folder), None if absent."""
    candidate = os.path.join(os.getcwd(), name)
    return candidate if os.path.exists(candidate) else None


def begin_run(spark) -> None:
    """Before a run on ``spark``: forget notes a failed earlier run left, and on Connect
    make sure pyspark.sql.functions build Connect columns. pyspark switches them when
    its own builder makes the session; a session made by
    ``pyspark.sql.connect.session.SparkSession.builder`` leaves them classic, and then
    the first ``F.col`` fails with an empty AssertionError."""
    take_notes(spark)
    if is_connect(spark):
        os.environ.setdefault("SPARK_CONNECT_MODE_ENABLED", "1")


def note(spark, text: str) -> None:
    """Record what this run does differently on Connect (once per text and session)."""
    with _lock:
        notes = _notes.setdefault(session_key(spark), [])
        if text not in notes:
            notes.append(text)


def take_notes(spark) -> list[str]:
    """The notes recorded for ``spark`` since the last call (the runner's summary)."""
    with _lock:
        return _notes.pop(session_key(spark), [])
