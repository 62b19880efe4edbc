"""Atomic Parquet outputs (staging + swap), crash recovery, and footer statistics.

Layout next to an output ``<parent>/<name>`` (hidden: Spark ignores names that
start with ``.``; one run id per write):

* ``.<name>.staging-<run>``   Spark writes the new files here.
* ``.<name>.old-<run>``       the previous output, during the swap only.
* ``.<name>.appending-<run>`` an append that has committed (see below).

Overwrite: Spark writes the staging folder; then two renames swap it in
(``path -> old``, ``staging -> path``) and the old folder is deleted. A crash
before the swap leaves the previous output untouched (staging is deleted by the
next write); a crash between the two renames leaves ``old`` without ``path``,
which the next read or write renames back.

Append: Spark writes staging; the commit point is one rename ``staging ->
appending``; then the new part files are moved (renamed) one by one into the
output, keeping partition folders. A crash during the moves is rolled forward
by the next read or write, so an append is all or nothing for thresher readers
(a foreign reader in the crash window may see part of it).

One writer per output at a time: a write deletes other runs' staging folders.
On object stores directory renames are copies, not atomic; use Delta there.
"""
from __future__ import annotations

import datetime as _dt
import math
import posixpath
import uuid

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import OutputError, OutputExistsError
from .fs import FileInfo, failpoint, is_hidden, split, staging_cleanup, walk_files

STAGING, OLD, APPENDING = "staging", "old", "appending"
RUN_MARKER = "_thresher_run"  # see operators/io/group.py
STRING_PREFIX = 32  # like Delta's dataSkippingStringPrefixLength


def new_run_tag(commit_info: dict | None) -> str:
    """A filename-safe, unique tag: the recipe's run id (if any) plus a random suffix."""
    info = commit_info or {}
    run = str(info.get("thresher.run_id") or info.get("run_id") or "run")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in run)[:64]
    return f"{safe}-{uuid.uuid4().hex[:8]}"


def sibling(path: str, kind: str, tag: str) -> str:
    parent, name = split(path)
    return posixpath.join(parent, f".{name}.{kind}-{tag}")


def siblings(fs, path: str, kind: str) -> list[FileInfo]:
    parent, name = split(path)
    prefix = f".{name}.{kind}-"
    return [e for e in fs.list(parent) if posixpath.basename(e.path).startswith(prefix)]


def data_files(fs, root: str) -> list[tuple[FileInfo, str]]:
    """Visible files under ``root`` with their paths relative to it (skips _SUCCESS, .crc)."""
    out = []
    for f in walk_files(fs, root):
        if not is_hidden(posixpath.basename(f.path)):
            out.append((f, posixpath.relpath(f.path, root)))
    return out


def move_files(fs, src_root: str, dst_root: str) -> list[str]:
    """Rename every visible file of ``src_root`` to the same relative path under ``dst_root``.

    Safe to run twice at once (a reader rolling forward while the writer moves):
    a source that vanished because the other mover took it is skipped.
    """
    moved = []
    for f, rel in data_files(fs, src_root):
        dst = posixpath.join(dst_root, rel)
        fs.mkdirs(posixpath.dirname(dst))
        try:
            fs.rename(f.path, dst)
        except (OSError, OutputError):
            if fs.exists(f.path):
                raise
            continue
        moved.append(rel)
    return moved


def recover(fs, path: str, *, cleanup: bool) -> None:
    """Repair what an interrupted write left: restore an interrupted swap, finish a
    committed append; with ``cleanup`` (writers only) also delete stale staging and
    old folders."""
    olds = sorted(siblings(fs, path, OLD), key=lambda e: e.mtime_ms)
    if olds and not fs.exists(path):
        try:
            fs.rename(olds[-1].path, path)
        except (OSError, OutputError):
            if not fs.exists(path):
                raise
        olds = olds[:-1]
    for pending in siblings(fs, path, APPENDING):
        move_files(fs, pending.path, path)
        fs.delete(pending.path)
    if cleanup:
        for leftover in olds + siblings(fs, path, STAGING):
            fs.delete(leftover.path)


def swap_in(fs, staging: str, path: str, tag: str, group=None) -> None:
    """Replace ``path`` (if any) by ``staging`` with two renames, then drop the old copy
    (or, in a run group, keep it aside until the group commits)."""
    old = sibling(path, OLD, tag)
    had_old = fs.exists(path)
    if had_old and group is not None:
        group.note_aside(path, old)
    if had_old:
        fs.rename(path, old)
    try:
        fs.rename(staging, path)
    except BaseException:
        if had_old and not fs.exists(path):
            fs.rename(old, path)
        raise
    if had_old and group is None:
        try:
            fs.delete(old)
        except Exception:  # noqa: BLE001 - the next write's recover() deletes it
            pass


def spark_write_parquet(df, fs, target: str, partition_by) -> None:
    """Spark writes ``df`` as Parquet into a fresh folder ``target``.

    Timestamps are written as INT64 micros (not Spark's INT96 default) so that
    footers carry usable min/max and Delta readers get standard types.
    """
    spark = df.sparkSession
    writer = df.write.mode("error")  # "errorifexists" is refused by Spark Connect
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    key = "spark.sql.parquet.outputTimestampType"
    previous = spark.conf.get(key, None)
    spark.conf.set(key, "TIMESTAMP_MICROS")
    try:
        writer.parquet(fs.spark_path(target))
    finally:
        if previous is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, previous)


def write_run_marker(fs, folder: str, run_id: str | None) -> None:
    """Which run wrote this output (a hidden file: Spark and other readers skip it)."""
    if run_id:
        fs.write_new(posixpath.join(folder, RUN_MARKER), run_id.encode("utf-8"))


def write_parquet(df, fs, path: str, *, mode: str, partition_by, tag: str, group=None,
                  run_id: str | None = None) -> None:
    recover(fs, path, cleanup=True)
    exists = fs.exists(path)
    if exists and mode == "error":
        raise OutputExistsError(f"output {path} exists and mode is 'error'")
    staging = sibling(path, STAGING, tag)
    with staging_cleanup(fs, staging, f"writing Parquet output {path} failed; the previous output is intact"):
        spark_write_parquet(df, fs, staging, partition_by)
        if exists and mode == "append":
            check_append_compatible(fs, path, staging)
        if not (exists and mode == "append"):
            write_run_marker(fs, staging, run_id)
        failpoint("before_commit")
        if exists and mode == "append":
            if group is not None:
                group.note_appended(path, [rel for _, rel in data_files(fs, staging)])
            pending = sibling(path, APPENDING, tag)
            fs.rename(staging, pending)  # the commit point of an append
            move_files(fs, pending, path)
            fs.delete(pending)
        else:
            swap_in(fs, staging, path, tag, group)


def _layout(fs, root: str):
    files = data_files(fs, root)
    if not files:
        return None
    f, rel = files[0]
    keys = [part.split("=", 1)[0] for part in posixpath.dirname(rel).split("/") if part]
    return keys, read_footer(fs, f.path).schema.to_arrow_schema().remove_metadata()


def check_append_compatible(fs, path: str, staging: str) -> None:
    """Appending files of another schema or partition layout would corrupt the output."""
    old, new = _layout(fs, path), _layout(fs, staging)
    if old is None or new is None:
        return
    if old[0] != new[0]:
        raise OutputError(f"append to {path}: partition columns {new[0]} differ from the output's {old[0]}")
    if not old[1].equals(new[1]):
        raise OutputError(f"append to {path}: schema differs from the existing output's.\n"
                          f"existing: {old[1]}\nnew: {new[1]}\nuse mode: overwrite or another path")


# --------------------------------------------------------------- footers / stats
def read_footer(fs, path: str) -> pq.FileMetaData:
    """The Parquet footer only (no data pages), from any filesystem."""
    if fs.local:
        return pq.read_metadata(path)
    return footer_from_tail(lambda n: fs.read_tail(path, n), path)


def footer_from_tail(read_tail, path: str) -> pq.FileMetaData:
    tail = read_tail(64 * 1024)
    if len(tail) < 12 or tail[-4:] != b"PAR1":
        raise OutputError(f"{path} is not a Parquet file (no PAR1 footer)")
    length = int.from_bytes(tail[-8:-4], "little")
    if length + 8 > len(tail):
        tail = read_tail(length + 8)
    # A leading magic plus the footer is all pyarrow needs to parse FileMetaData.
    return pq.read_metadata(pa.BufferReader(b"PAR1" + tail[-(length + 8):]))


def _bump(s: str) -> str | None:
    """Smallest simple upper bound for every string that starts with prefix ``s``."""
    if not s:
        return None
    code = ord(s[-1]) + 1
    if 0xD800 <= code <= 0xDFFF:
        code = 0xE000
    return s[:-1] + chr(code) if code <= 0x10FFFF else None


def _stat_value(value, *, upper: bool):
    """A min/max as Delta stats JSON, or None where no safe bound can be written."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        if len(value) <= STRING_PREFIX:
            return value
        prefix = value[:STRING_PREFIX]
        return _bump(prefix) if upper else prefix
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
            return value.isoformat(timespec="microseconds") + "Z"
        return value.isoformat(timespec="microseconds")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return None  # bytes, decimals (no exact JSON number from here), others: no bounds


def delta_stats(md: pq.FileMetaData) -> dict:
    """Delta add-action stats (numRecords, minValues, maxValues, nullCount) from a footer.

    Covers columns outside lists and maps (struct fields nest as objects). A bound
    is written only when every row group has it; long strings are truncated to a
    32-character prefix (the max is bumped so it stays an upper bound).
    """
    stats = {"numRecords": md.num_rows, "minValues": {}, "maxValues": {}, "nullCount": {}}
    for i in range(md.num_columns):
        if md.schema.column(i).max_repetition_level > 0:
            continue
        parts = md.schema.column(i).path.split(".")
        lo = hi = None
        nulls, bounds_ok, nulls_ok = 0, True, True
        for g in range(md.num_row_groups):
            st = md.row_group(g).column(i).statistics
            if st is None:
                bounds_ok = nulls_ok = False
                break
            if st.has_null_count:
                nulls += st.null_count
            else:
                nulls_ok = False
            if md.row_group(g).column(i).num_values == st.null_count:
                continue  # an all-null row group has no bounds and needs none
            if not st.has_min_max:
                bounds_ok = False
                continue
            lo = st.min if lo is None or st.min < lo else lo
            hi = st.max if hi is None or st.max > hi else hi
        if nulls_ok:
            _put(stats["nullCount"], parts, nulls)
        if bounds_ok and lo is not None:
            lo_json, hi_json = _stat_value(lo, upper=False), _stat_value(hi, upper=True)
            if lo_json is not None and hi_json is not None:
                _put(stats["minValues"], parts, lo_json)
                _put(stats["maxValues"], parts, hi_json)
    return stats


def _put(tree: dict, parts: list[str], value) -> None:
    for p in parts[:-1]:
        tree = tree.setdefault(p, {})
    tree[parts[-1]] = value
