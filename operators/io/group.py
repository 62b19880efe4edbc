"""A run's outputs (kept, rejects, stats, side outputs) committed as one group.

Each output commits on its own (a Parquet swap, a Delta commit), so without more a
crash between two of them would leave a new rejects table beside the old kept one.
A journal beside the kept output makes the set all or nothing:

1. ``begin``: the journal lists every member with its state before the run (Delta:
   the version, or no table; Parquet: whether it existed). Nothing is written yet.
2. Each member is written. A Parquet overwrite keeps the previous copy aside (its
   path noted in the journal first) instead of deleting it; a Parquet append notes
   the files it adds; every Parquet output carries a ``_thresher_run`` marker.
3. ``commit``: the journal is marked committed: **the group's commit point**. Then
   the kept-aside copies are deleted and the journal removed.

A run that fails before 3 rolls its members back at once (``rollback``); one that
was killed is rolled back by the next run that writes or reads the kept output
(``recover_groups``). Rolling back touches only a member that this run changed (a
Delta table whose latest commit carries the run id, a Parquet output carrying its
marker): Delta is restored to the version the journal recorded (a new commit naming
the run it undoes, so ``committed_runs`` no longer counts that run), a table the run
created is deleted, a Parquet output gets its previous copy back.

One run writes a group at a time: ``begin`` takes ``.<kept>.lock`` (created only if
absent: atomic on local disks and HDFS), so a second run at once fails with
OutputBusyError and nothing mixed. A lock whose process is gone (same host) is
stale and taken over; recovery never touches a journal while a live run holds the lock.

Journal files are ``.<kept>.group-<run>.<seq>.json`` (hidden from Spark and Delta
readers); an update writes the next ``seq`` and the highest one is current.
"""
from __future__ import annotations

import json
import os
import posixpath
import socket
import time
from dataclasses import dataclass, field

from ..errors import OutputBusyError, OutputError
from .fs import failpoint, get_fs, split
from .parquet import RUN_MARKER

GROUP = "group"


@dataclass
class Member:
    label: str
    format: str
    path: str
    existed: bool = False
    version: int | None = None          # Delta: the version before this run
    aside: list[str] = field(default_factory=list)      # Parquet: previous copies kept aside
    appended: list[str] = field(default_factory=list)   # Parquet append: files this run adds

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _journal_prefix(path: str) -> tuple[str, str]:
    parent, name = split(path)
    return parent, f".{name}.{GROUP}-"


def _journals(fs, path: str) -> dict[str, list[str]]:
    """run id -> its journal files, oldest first."""
    parent, prefix = _journal_prefix(path)
    found: dict[str, list[tuple[int, str]]] = {}
    for entry in fs.list(parent):
        base = posixpath.basename(entry.path)
        if not base.startswith(prefix) or not base.endswith(".json") or ".tmp-" in base:
            continue
        run, _, seq = base[len(prefix):-len(".json")].rpartition(".")
        if run and seq.isdigit():
            found.setdefault(run, []).append((int(seq), entry.path))
    return {run: [p for _, p in sorted(files)] for run, files in found.items()}


def _lock_path(path: str) -> str:
    parent, name = split(path)
    return posixpath.join(parent, f".{name}.lock")


def _holder(fs, path: str) -> dict | None:
    """Who holds the lock of ``path``, or None when nobody (alive) does."""
    lock = _lock_path(path)
    if not fs.exists(lock):
        return None
    try:
        body = json.loads(fs.read_bytes(lock).decode("utf-8"))
    except (OSError, ValueError):
        return {"run_id": "?", "pid": None, "host": "?", "since": "?"}
    if body.get("host") == socket.gethostname() and body.get("pid"):
        try:
            os.kill(int(body["pid"]), 0)
        except ProcessLookupError:
            return None  # that process is gone: a killed run's lock
        except PermissionError:
            pass  # alive, another user's
    return body


def _acquire(fs, path: str, run_id: str) -> None:
    lock = _lock_path(path)
    body = json.dumps({"run_id": run_id, "pid": os.getpid(), "host": socket.gethostname(),
                       "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode()
    for _ in range(2):
        try:
            fs.write_new(lock, body)
            return
        except (OSError, OutputError):
            holder = _holder(fs, path)
            if holder is not None:
                raise OutputBusyError(
                    f"output {path} is being written by run {holder.get('run_id')} (pid "
                    f"{holder.get('pid')} on {holder.get('host')}, since {holder.get('since')}); "
                    f"wait for it, or if that run is dead delete {lock}") from None
            fs.delete(lock)  # stale: its process is gone
    raise OutputBusyError(f"output {path}: could not take the lock {lock}")


class OutputLock:
    """The write lock of a run's outputs, held from the run's start (so a second run
    fails at once, not after computing) to its end, whatever the outcome::

        with OutputLock(spark, "/out/kept", run_id):
            ...
    """

    def __init__(self, spark, anchor: str, run_id: str):
        self.fs, self.anchor = get_fs(anchor, spark)
        self.run_id = run_id

    def __enter__(self) -> "OutputLock":
        self.fs.mkdirs(split(self.anchor)[0])
        _acquire(self.fs, self.anchor, self.run_id)
        return self

    def __exit__(self, *exc) -> None:
        self.fs.delete(_lock_path(self.anchor))


def _delta_run(fs, path: str) -> str | None:
    from .delta import _open, commit_run_id, is_delta_table
    if not is_delta_table(fs, path):
        return None
    return commit_run_id(_open(fs, path).history(1)[0])


def parquet_run(fs, path: str) -> str | None:
    marker = posixpath.join(path, RUN_MARKER)
    if not fs.exists(marker):
        return None
    return fs.read_bytes(marker).decode("utf-8").strip() or None


class RunGroup:
    """The journal of one run's outputs. ``members``: (label, format, path)."""

    def __init__(self, spark, run_id: str, anchor: str, members: list[tuple[str, str, str]]):
        self.spark, self.run_id = spark, run_id
        self.fs, self.anchor = get_fs(anchor, spark)
        self.members: dict[str, Member] = {}
        self.committed = False
        self._seq = 0
        self._member_fs = {}
        for label, fmt, path in members:
            fs, norm = get_fs(path, spark)
            self.members[norm] = Member(label, fmt, norm)
            self._member_fs[norm] = fs

    # ---------------------------------------------------------- protocol
    def begin(self) -> "RunGroup":
        """Record the members' state before the run (the caller holds ``OutputLock``)."""
        from .delta import _open, is_delta_table
        recover_groups(self.anchor, self.spark, locked=True)
        for norm, m in self.members.items():
            fs = self._member_fs[norm]
            m.existed = fs.exists(norm)
            if m.format == "delta" and is_delta_table(fs, norm):
                m.version = int(_open(fs, norm).version())
        self._save("writing")
        return self

    def note_aside(self, path: str, aside: str) -> None:
        """Before a Parquet swap: the previous copy will sit at ``aside``."""
        self.members[path].aside.append(aside)
        self._save("writing")

    def note_appended(self, path: str, files: list[str]) -> None:
        self.members[path].appended.extend(files)
        self._save("writing")

    def commit(self) -> None:
        failpoint("before_group_commit")
        self._save("committed")
        self.committed = True
        failpoint("after_group_commit")  # kill tests: committed, not yet cleaned up
        _finish(self.fs, self.anchor, self.run_id, self._member_fs, self.members.values())

    def rollback(self) -> list[str]:
        """Undo what this run wrote; the labels of the members it undid."""
        undone = _rollback(self.run_id, self._member_fs, self.members.values())
        for journal in _journals(self.fs, self.anchor).get(self.run_id, []):
            self.fs.delete(journal)
        return undone

    def _save(self, state: str) -> None:
        self._seq += 1
        parent, prefix = _journal_prefix(self.anchor)
        body = {"run_id": self.run_id, "state": state,
                "members": [m.to_json() for m in self.members.values()]}
        target = posixpath.join(parent, f"{prefix}{self.run_id}.{self._seq}.json")
        self.fs.write_new(target, json.dumps(body, indent=1, sort_keys=True).encode("utf-8"))
        for older in _journals(self.fs, self.anchor).get(self.run_id, [])[:-1]:
            self.fs.delete(older)


def _finish(fs, anchor, run_id, member_fs, members) -> None:
    """After the commit point: drop kept-aside copies, then the journal."""
    for m in members:
        for aside in m.aside:
            member_fs[m.path].delete(aside)
    for journal in _journals(fs, anchor).get(run_id, []):
        fs.delete(journal)


def _rollback(run_id: str, member_fs, members) -> list[str]:
    from .delta import _open, commit_properties
    undone = []
    for m in reversed(list(members)):
        fs = member_fs[m.path]
        aside = [a for a in m.aside if fs.exists(a)]
        if m.format == "delta" and _delta_run(fs, m.path) == run_id:
            if m.version is None:
                fs.delete(m.path)  # the run created it: nothing of anyone else's is inside
            else:
                _open(fs, m.path).restore(m.version, commit_properties=commit_properties(
                    {"thresher.rolled_back_run": run_id}))
            undone.append(m.label)
        elif m.format == "parquet" and m.appended:
            from .parquet import APPENDING, siblings
            for pending in siblings(fs, m.path, APPENDING):  # not to be rolled forward
                fs.delete(pending.path)
            for rel in m.appended:
                fs.delete(posixpath.join(m.path, rel))
            undone.append(m.label)
        elif m.format == "parquet" and parquet_run(fs, m.path) == run_id:
            fs.delete(m.path)
            undone.append(m.label)
        if aside and not fs.exists(m.path):  # an overwrite's previous copy goes back
            fs.rename(aside[-1], m.path)
            if m.label not in undone:
                undone.append(m.label)
    return undone


def recover_groups(path: str, spark=None, *, locked: bool = False) -> list[str]:
    """Finish or undo the group of any run that died writing next to ``path``: a
    committed journal is rolled forward, an open one rolled back. Returns what it did.
    Without ``locked`` (the caller holds the lock) nothing is touched while a live run
    holds it: its journal is its work in progress."""
    try:
        fs, norm = get_fs(path, spark)
        journals = _journals(fs, norm)
    except OutputError:
        return []
    if not journals or (not locked and _holder(fs, norm) is not None):
        return []
    done = []
    for run_id, files in journals.items():
        try:
            body = json.loads(fs.read_bytes(files[-1]).decode("utf-8"))
        except (OSError, ValueError) as exc:
            raise OutputError(f"output {path}: the group journal {files[-1]} of run {run_id} "
                              f"is unreadable ({exc}); restore or delete it by hand") from exc
        members = [Member(**m) for m in body["members"]]
        member_fs = {m.path: get_fs(m.path, spark)[0] for m in members}
        if body.get("state") == "committed":
            _finish(fs, norm, run_id, member_fs, members)
            done.append(f"run {run_id}: committed, cleaned up")
        else:
            undone = _rollback(run_id, member_fs, members)
            for journal in files:
                fs.delete(journal)
            done.append(f"run {run_id}: rolled back {', '.join(undone) or 'nothing'}")
    return done
