"""Model files for operators that score in Python workers: ship once, load once per worker.

A scorer's model lives at a path on the driver. ``ship_file`` registers it with
``SparkContext.addFile``, so every executor fetches one copy (whatever its
filesystem: a driver-local path works on a cluster); inside ``mapInArrow``,
``shipped.local_path()`` finds that copy and ``load_once`` keeps the loaded model in
a module-level cache of the Python worker, so a model is loaded once per worker,
not once per batch or task (Spark reuses workers: ``spark.python.worker.reuse``).

Versions: Spark never re-ships a path it has already added, so a model retrained at
the same path in the same session (a notebook) would stay stale on the executors.
A local file is therefore shipped under a name carrying its size and mtime: a copy
in a temporary folder. Not a symbolic link (Spark resolves it back to the original
name) and not a hard link: a model rewritten in place would change the shipped
bytes under the same name, and Spark then fails every later task of the session
("exists and does not match contents"). A file on a Hadoop
filesystem is shipped under its own name. On Spark Connect, where there is no
``SparkContext``, the same version-named copy goes up as a session artifact
(``spark.addArtifacts``, operators/connect.py) and the worker finds it in its
session's folder; a model on a non-local filesystem is refused there with a clear error
(use a path the driver can read, such as ``/Volumes/...``).

Directories (a transformers model: config, weights, tokenizer) go through
``ship_dir``. ``addFile(dir, recursive=True)`` refuses a driver-local directory
outside local mode, so a local one is snapshotted into an uncompressed zip (named by
its version, as a file is) and added with ``SparkContext.addArchive``: every
executor fetches and unpacks it once, and ``local_path()`` is the unpacked folder.
A directory on a Hadoop filesystem is added with ``addFile(recursive=True)``.

Example::

    shipped = ship_file(spark, "/models/quality.bin")
    def score(batches):
        model = load_once(("fasttext", *shipped.version), lambda: load(shipped.local_path()))
        ...
"""
from __future__ import annotations

import atexit
import contextlib
import contextvars
import hashlib
import os
import posixpath
import shutil
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .connect import add_artifact, artifact_path, is_connect
from .errors import ModelFileError
from .io.fs import get_fs

_MAX_CACHED = 4  # models kept per worker: enough for a recipe's scorers, bounded memory
_cache: OrderedDict[tuple, Any] = OrderedDict()
_cache_lock = threading.Lock()
_copies: dict[tuple, str] = {}
_copy_dir: str | None = None


@dataclass(frozen=True)
class ShippedFile:
    """A file or directory registered with Spark; pickled into the executors' closures."""

    path: str                 # the file as the driver sees it (the fallback on executors)
    name: str | None          # its name under SparkFiles, None when not shipped
    version: tuple            # (path, size, mtime in ns): changes when the file does

    def local_path(self) -> str:
        """The executor's copy (SparkFiles), else the original path (shared storage)."""
        if self.name is not None:
            try:
                from pyspark import SparkFiles

                copy = SparkFiles.get(self.name)
                if os.path.exists(copy):
                    return copy
            except Exception:  # noqa: BLE001 - no SparkFiles root here (plain Python): use the path
                pass
            # A Spark Connect session artifact: the worker runs in the session's folder.
            copy = artifact_path(self.name)
            if copy is not None:
                return copy
        return self.path


def file_version(path: str, spark=None) -> tuple:
    """``(path, size, mtime)`` of a local or Hadoop-filesystem file."""
    fs, norm = get_fs(path, spark)
    if fs.local:
        st = os.stat(norm)
        return (norm, st.st_size, st.st_mtime_ns)
    info = fs.info(norm)
    return (norm, info.size, info.mtime_ms)


def _snapshot(version: tuple, filename: str, write: Callable[[str], None]) -> str:
    """The shipped snapshot of ``version``: ``write(path)`` fills it once, under a name
    carrying the version, in a folder kept for the life of the driver (Spark serves
    files from there to executors that join later)."""
    global _copy_dir
    if version not in _copies:
        if _copy_dir is None:
            _copy_dir = tempfile.mkdtemp(prefix="thresher-shipped-")
            atexit.register(shutil.rmtree, _copy_dir, True)
        digest = hashlib.sha1(repr(version).encode()).hexdigest()[:12]
        snapshot = os.path.join(_copy_dir, f"{digest}-{filename}")
        partial = snapshot + ".partial"
        write(partial)
        os.replace(partial, snapshot)
        _copies[version] = snapshot
    return _copies[version]


def _versioned_copy(path: str, version: tuple) -> str:
    """A copy of the file under a name carrying its version."""
    return _snapshot(version, os.path.basename(path), lambda out: shutil.copyfile(path, out))


def ship_file(spark, path: str) -> ShippedFile:
    """Register ``path`` with Spark so executors fetch it once (see the module docstring)."""
    version = file_version(path, spark)
    norm = version[0]
    fs, _ = get_fs(norm, spark)
    if is_connect(spark):
        # No SparkContext: the file goes up as a session artifact. Version-named, as
        # for addFile: the server refuses a second artifact of one name with new bytes.
        copy = _versioned_copy(norm, version)
        add_artifact(spark, copy, file=True)
        return ShippedFile(norm, os.path.basename(copy), version)
    sc = spark.sparkContext
    source = _versioned_copy(norm, version) if fs.local else norm
    sc.addFile(source)
    return ShippedFile(norm, os.path.basename(source), version)


def walk_model_dir(root: str):
    """``os.walk(root, followlinks=True)``, sorted, refusing a symlink cycle: a link back
    to a folder above it would otherwise be walked (and shipped) without end."""
    seen: set[tuple[int, int]] = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        st = os.stat(folder)
        if (st.st_dev, st.st_ino) in seen:
            raise ModelFileError(f"{folder} links back to a folder already included (a symlink "
                                 "cycle); remove the link", path=root)
        seen.add((st.st_dev, st.st_ino))
        dirs.sort()
        yield folder, dirs, sorted(files)


def dir_version(path: str, spark=None) -> tuple:
    """``(path, total size, digest of every file's relative path, size and mtime)`` of a
    local or Hadoop-filesystem directory: changes when any file in it does."""
    fs, norm = get_fs(path, spark)
    entries, total = [], 0
    if fs.local:
        for root, _dirs, files in walk_model_dir(norm):
            for name in files:
                st = os.stat(os.path.join(root, name))
                entries.append((os.path.relpath(os.path.join(root, name), norm), st.st_size,
                                st.st_mtime_ns))
                total += st.st_size
    else:
        stack = [norm]
        while stack:
            for info in fs.list(stack.pop()):
                if info.is_dir:
                    stack.append(info.path)
                else:
                    entries.append((info.path, info.size, info.mtime_ms))
                    total += info.size
    digest = hashlib.sha1(repr(sorted(entries)).encode()).hexdigest()
    return (norm, total, digest)


def _versioned_zip(path: str, version: tuple) -> str:
    """A snapshot of the directory as a zip named by its version. Stored, not deflated:
    model weights hardly compress, and this runs on the driver."""
    def write(out: str) -> None:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            for root, _dirs, files in walk_model_dir(path):
                for name in files:
                    full = os.path.join(root, name)
                    zf.write(full, os.path.relpath(full, path))

    return _snapshot(version, os.path.basename(path.rstrip("/")) + ".zip", write)


def ship_dir(spark, path: str) -> ShippedFile:
    """Register the directory ``path`` with Spark so executors fetch it once; the
    executors' ``local_path()`` is their unpacked copy (see the module docstring)."""
    version = dir_version(path, spark)
    norm = version[0]
    fs, _ = get_fs(norm, spark)
    if is_connect(spark):
        # A session artifact unpacked on the server, as addArchive would.
        archive = _versioned_zip(norm, version)
        add_artifact(spark, archive, archive=True)
        return ShippedFile(norm, os.path.basename(archive), version)
    sc = spark.sparkContext
    if fs.local:
        archive = _versioned_zip(norm, version)
        sc.addArchive(archive)
        return ShippedFile(norm, os.path.basename(archive), version)
    sc.addFile(norm, recursive=True)
    return ShippedFile(norm, posixpath.basename(norm.rstrip("/")), version)


def load_once(key: tuple, loader: Callable[[], Any]) -> Any:
    """The object cached under ``key`` in this Python process, made by ``loader`` on a miss.

    Keys should include the file's version, so a changed model is loaded afresh; the
    least recently used entries beyond a few are dropped.
    """
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = loader()
    with _cache_lock:
        _cache[key] = value
        while len(_cache) > _MAX_CACHED:
            _cache.popitem(last=False)
    return value


# Files that earlier steps of the recipe being validated will write (a model that
# preselect_train trains for a later fasttext_score): their checks wait for run time.
_expected: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "thresher_expected_files", default=frozenset())


@contextlib.contextmanager
def expected_files(paths):
    """While validating a step: ``paths`` (absolute) will exist when the step runs."""
    token = _expected.set(frozenset(os.path.abspath(p) for p in paths))
    try:
        yield
    finally:
        _expected.reset(token)


def will_exist(path: str) -> bool:
    """True when an earlier step of the recipe being validated writes ``path``."""
    return os.path.abspath(path) in _expected.get()
