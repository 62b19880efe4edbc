"""Filesystems behind one small interface, and failpoints for crash tests.

``get_fs(path, spark)`` returns ``(fs, path)`` with the path normalised for that
filesystem: local paths (plain, ``file:/...``, ``file:///...``) become absolute
POSIX paths handled with os/shutil; any other scheme (hdfs:, s3a:, abfss:,
dbfs:, ...) goes through the Hadoop FileSystem API of the Spark JVM. A path
without a scheme is local unless Spark's ``fs.defaultFS`` says otherwise (a
cluster whose default filesystem is HDFS).

Both implementations speak POSIX-style paths (``posixpath`` joins), never move
a directory *into* an existing one (Hadoop's rename would), and report rename
failures as exceptions. Directory renames are atomic on local disks and HDFS,
not on object stores (S3A copies): there, prefer Delta outputs.
"""
from __future__ import annotations

import glob as _glob
import os
import posixpath
import re
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import OutputError, OutputExistsError

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


@dataclass(frozen=True)
class FileInfo:
    path: str        # full path, in the same form the filesystem was given
    is_dir: bool
    size: int
    mtime_ms: int


def uri_scheme(path: str) -> str | None:
    """The lower-cased scheme of a URI path (``s3a``, ``file``, ``dbfs``); None for a
    plain path (``C:\\`` is a drive, no scheme)."""
    match = _SCHEME.match(str(path))
    return match.group(1).lower() if match and len(match.group(1)) > 1 else None


def is_hidden(name: str) -> bool:
    """Spark and Delta ignore files and folders whose names start with ``_`` or ``.``."""
    return name.startswith(("_", "."))


class LocalFS:
    """Local disk through os/shutil. ``spark_path`` gives Spark a ``file://`` URI."""

    local = True

    def spark_path(self, path: str) -> str:
        return "file://" + path

    def exists(self, path: str) -> bool:
        return os.path.lexists(path)

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(path)

    def glob(self, pattern: str) -> list[str]:
        return sorted(_glob.glob(pattern))

    def list(self, path: str) -> list[FileInfo]:
        out = []
        try:
            with os.scandir(path) as entries:
                for e in entries:
                    st = e.stat(follow_symlinks=True)
                    out.append(FileInfo(e.path, e.is_dir(), st.st_size, int(st.st_mtime * 1000)))
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(out, key=lambda f: f.path)

    def info(self, path: str) -> FileInfo:
        st = os.stat(path)
        return FileInfo(path, os.path.isdir(path), st.st_size, int(st.st_mtime * 1000))

    def mkdirs(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)

    def rename(self, src: str, dst: str) -> None:
        """Atomic rename; fails if ``dst`` exists (never replaces or nests)."""
        if os.path.lexists(dst):
            raise OutputError(f"cannot rename {src} to {dst}: the target exists")
        os.rename(src, dst)

    def delete(self, path: str) -> None:
        """Delete a file or a whole directory tree; a missing path is fine."""
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=False)
        elif os.path.lexists(path):
            os.remove(path)

    def read_tail(self, path: str, nbytes: int) -> bytes:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - nbytes))
            return f.read()

    def read_bytes(self, path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    def write_new(self, path: str, data: bytes) -> None:
        """Create ``path`` with ``data``: written aside, flushed, then renamed in, so a
        reader sees all of it or nothing; fails if ``path`` exists."""
        tmp = f"{path}.tmp-{os.getpid()}-{time.monotonic_ns()}"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            self.rename(tmp, path)
        finally:
            if os.path.lexists(tmp):
                os.remove(tmp)

    @contextmanager
    def ranges(self, path: str):
        """``read(offset, nbytes)`` over one open file (fewer bytes at its end)."""
        with open(path, "rb") as f:
            def read(offset: int, nbytes: int) -> bytes:
                f.seek(offset)
                return f.read(nbytes)
            yield read


class HadoopFS:
    """Any Hadoop-supported filesystem, through the Spark JVM (py4j).

    Not exercised by the test suite (no cluster there); kept to the handful of
    FileSystem calls whose semantics are documented and stable.
    """

    local = False

    def __init__(self, spark, path: str):
        self._jvm = spark._jvm
        self._conf = spark._jsc.hadoopConfiguration()
        self._fs = self._jpath(path).getFileSystem(self._conf)

    def _jpath(self, path: str):
        return self._jvm.org.apache.hadoop.fs.Path(path)

    def spark_path(self, path: str) -> str:
        return path

    def exists(self, path: str) -> bool:
        return bool(self._fs.exists(self._jpath(path)))

    def is_dir(self, path: str) -> bool:
        try:
            return bool(self._fs.getFileStatus(self._jpath(path)).isDirectory())
        except Exception:  # noqa: BLE001 - FileNotFoundException through py4j
            return False

    def glob(self, pattern: str) -> list[str]:
        statuses = self._fs.globStatus(self._jpath(pattern))
        return sorted(str(s.getPath().toString()) for s in (statuses or []))

    def _info(self, status, path: str | None = None) -> FileInfo:
        return FileInfo(path or str(status.getPath().toString()), bool(status.isDirectory()),
                        int(status.getLen()), int(status.getModificationTime()))

    def list(self, path: str) -> list[FileInfo]:
        if not self.exists(path):
            return []
        base = path.rstrip("/")
        return sorted((self._info(s, posixpath.join(base, s.getPath().getName()))
                       for s in self._fs.listStatus(self._jpath(path))), key=lambda f: f.path)

    def info(self, path: str) -> FileInfo:
        return self._info(self._fs.getFileStatus(self._jpath(path)), path)

    def mkdirs(self, path: str) -> None:
        self._fs.mkdirs(self._jpath(path))

    def rename(self, src: str, dst: str) -> None:
        # Hadoop moves src *into* dst when dst is a directory: refuse instead.
        if self.exists(dst):
            raise OutputError(f"cannot rename {src} to {dst}: the target exists")
        if not self._fs.rename(self._jpath(src), self._jpath(dst)):
            raise OutputError(f"Hadoop FileSystem.rename({src}, {dst}) returned false")

    def delete(self, path: str) -> None:
        if self.exists(path) and not self._fs.delete(self._jpath(path), True):
            raise OutputError(f"Hadoop FileSystem.delete({path}) returned false")

    def read_tail(self, path: str, nbytes: int) -> bytes:
        size = self.info(path).size
        start = max(0, size - nbytes)
        stream = self._fs.open(self._jpath(path))
        try:
            stream.seek(start)
            # byte[] return values cross py4j as Python bytes in one piece.
            return bytes(self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream, size - start))
        finally:
            stream.close()

    def read_bytes(self, path: str) -> bytes:
        return self.read_tail(path, self.info(path).size)

    def write_new(self, path: str, data: bytes) -> None:
        tmp = f"{path}.tmp-{os.getpid()}-{time.monotonic_ns()}"
        stream = self._fs.create(self._jpath(tmp), False)
        try:
            stream.write(bytearray(data))
        finally:
            stream.close()
        try:
            self.rename(tmp, path)
        finally:
            if self.exists(tmp):
                self.delete(tmp)

    @contextmanager
    def ranges(self, path: str):
        size = self.info(path).size
        stream = self._fs.open(self._jpath(path))
        try:
            def read(offset: int, nbytes: int) -> bytes:
                n = max(0, min(nbytes, size - offset))
                stream.seek(offset)
                return bytes(self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream, n))
            yield read
        finally:
            stream.close()


def _default_fs_is_local(spark) -> bool:
    if spark is None:
        return True
    from ..connect import is_connect
    if is_connect(spark):
        return True  # no Hadoop configuration to ask: a plain path is the driver's own
    try:
        default = spark._jsc.hadoopConfiguration().get("fs.defaultFS")
    except Exception:  # noqa: BLE001 - Spark Connect: no JVM, treat plain paths as local
        return True
    return default is None or str(default).startswith("file:")


def get_fs(path: str, spark=None):
    """``(filesystem, normalised path)`` for ``path``; see the module docstring.

    ``spark`` defaults to the active session and is needed only for non-local paths.
    """
    if not path or not str(path).strip():
        raise OutputError("empty path")
    path = str(path)
    scheme = uri_scheme(path)
    if spark is None and scheme not in (None, "file"):
        from ..session import active_session
        spark = active_session()
    if scheme == "file":
        rest = path[len("file:"):]
        if rest.startswith("//"):
            rest = rest[2:]
            if not rest.startswith("/"):  # file://host/path: the host must be empty or localhost
                host, _, tail = rest.partition("/")
                if host not in ("", "localhost"):
                    raise OutputError(f"{path}: file: URIs with a host are not supported")
                rest = "/" + tail
        return LocalFS(), os.path.abspath(rest)
    if scheme is None and _default_fs_is_local(spark):
        return LocalFS(), os.path.abspath(os.path.expanduser(path))
    if spark is None:
        raise OutputError(f"{path}: a non-local path needs a running SparkSession")
    from ..connect import is_connect
    if is_connect(spark):
        # The Hadoop FileSystem API lives in the JVM, which a Connect client cannot reach.
        from ..errors import ConnectUnsupportedError
        raise ConnectUnsupportedError(
            f"{path}: on Spark Connect thresher reaches files through the driver's own "
            f"filesystem, and {scheme}: paths need the Hadoop FileSystem of the JVM (classic "
            "Spark only); use a local or mounted path (/Volumes/..., /dbfs/..., NFS) or "
            "run on classic Spark")
    path = path.rstrip("/") or path
    return HadoopFS(spark, path), path


def split(path: str) -> tuple[str, str]:
    """``(parent, name)`` of a normalised path; the path must have a parent."""
    parent, name = posixpath.split(path.rstrip("/"))
    if not name or not parent or parent.endswith(":"):
        raise OutputError(f"{path}: an output needs a parent folder (not a filesystem or bucket root)")
    return parent, name


def walk_files(fs, root: str, *, skip_hidden_dirs: bool = True):
    """Yield FileInfo for every file under ``root`` (recursive, sorted)."""
    for entry in fs.list(root):
        name = posixpath.basename(entry.path)
        if entry.is_dir:
            if not (skip_hidden_dirs and is_hidden(name)):
                yield from walk_files(fs, entry.path, skip_hidden_dirs=skip_hidden_dirs)
        else:
            yield entry


# ---------------------------------------------------------------- failpoints
_FAILPOINT_HITS: dict[str, int] = {}


def _kill_executor(name: str) -> None:
    """In a Spark task (once per application: partition 0's first attempt, so the rerun
    succeeds): kill -9 the executor JVM that runs this Python worker, as a lost machine
    would."""
    import signal
    import tempfile

    from pyspark import TaskContext

    ctx = TaskContext.get()
    if ctx is None or ctx.attemptNumber() != 0 or ctx.partitionId() != 0:
        return
    # An executor's working folder is <worker>/<app id>/<executor id>: one kill per app,
    # also when Spark reruns the whole stage (its attempt numbers start again at 0).
    app = os.path.basename(os.path.dirname(os.getcwd()))
    marker = os.path.join(tempfile.gettempdir(), f"thresher-failpoint-{app}-{name}")
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return
    pid = os.getppid()
    while pid > 1:  # worker -> daemon -> executor JVM
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{pid}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            return
        if b"CoarseGrainedExecutorBackend" in cmdline:
            print(f"thresher failpoint {name}: killing executor JVM {pid}", file=sys.stderr, flush=True)
            os.kill(pid, signal.SIGKILL)
            return
        pid = parent


def reset_failpoints() -> None:
    """Forget how often each failpoint was reached (tests that count them)."""
    _FAILPOINT_HITS.clear()


def failpoint(name: str) -> None:
    """Crash-test hook. ``THRESHER_FAILPOINTS="before_commit=sleep:30,other=raise"``.

    ``sleep:N`` announces itself on stderr, then sleeps N seconds (time for a test
    to ``kill -9`` the process); ``raise`` raises OutputError (a failed run);
    ``kill_executor`` (in a task on a cluster) kills the executor running it. A name
    ending in ``@K`` fires on the K-th time the point is reached in this process only
    (``before_commit@2=raise``: the second output's commit). Unset or unnamed
    failpoints cost one environment lookup.
    """
    spec = os.environ.get("THRESHER_FAILPOINTS")
    if not spec:
        return
    _FAILPOINT_HITS[name] = hits = _FAILPOINT_HITS.get(name, 0) + 1
    for item in spec.split(","):
        key, _, action = item.strip().partition("=")
        key, _, nth = key.partition("@")
        if key != name or (nth and int(nth) != hits):
            continue
        kind, _, arg = action.partition(":")
        if kind == "sleep":
            print(f"thresher failpoint {name}: sleeping {arg}s", file=sys.stderr, flush=True)
            time.sleep(float(arg or 0))
        elif kind == "raise":
            raise OutputError(f"failpoint {name} raised (THRESHER_FAILPOINTS)")
        elif kind == "kill_executor":
            _kill_executor(name)
        else:
            raise ValueError(f"THRESHER_FAILPOINTS: unknown action {action!r} for {name}")


@contextmanager
def staging_cleanup(fs, staging: str, failure: str, error_cls: type[OutputError] = OutputError):
    """Delete ``staging`` if the block fails; wrap unexpected errors in ``error_cls``.

    ``failure`` starts the message (e.g. "writing Parquet output X failed; the previous
    output is intact"). Errors already of ``error_cls`` and non-Exceptions (KeyboardInterrupt)
    pass as they are.
    """
    try:
        yield
    except BaseException as exc:
        try:
            fs.delete(staging)
        except Exception:  # noqa: BLE001 - the next write deletes stale staging
            pass
        if isinstance(exc, (error_cls, OutputExistsError)) or not isinstance(exc, Exception):
            raise
        raise error_cls(f"{failure}: {type(exc).__name__}: {exc}") from exc
