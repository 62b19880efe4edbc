"""Writing a recipe's outputs, atomically: parquet (staging + swap) or delta (one commit).

See operators/io/parquet.py and operators/io/delta.py for the on-disk protocol.
"""
from __future__ import annotations

from ..errors import ColumnContractError, OutputError, RecipeError
from .delta import is_delta_table, write_delta
from .fs import get_fs
from .parquet import OLD, new_run_tag, siblings, write_parquet
from .readers import read_input

OUTPUT_FORMATS = ("parquet", "delta")
MODES = ("overwrite", "append", "error")


def _check(format: str, mode: str | None = None) -> None:  # noqa: A002
    if format not in OUTPUT_FORMATS:
        raise RecipeError(f"unknown output format {format!r}; expected one of {', '.join(OUTPUT_FORMATS)}",
                          param="output.format")
    if mode is not None and mode not in MODES:
        raise RecipeError(f"unknown output mode {mode!r}; expected one of {', '.join(MODES)}",
                          param="output.mode")


def output_exists(*, format: str, path: str) -> bool:  # noqa: A002
    """Whether writing with ``mode: error`` would refuse. Changes nothing on disk.

    parquet: the path exists (or an interrupted swap left its previous copy aside);
    delta: the path exists and is a non-empty folder (a table or anything else).
    Needs no SparkSession for local paths; a non-local path without an active
    session reports False (``write_output`` checks again before writing anything).
    """
    _check(format)
    try:
        fs, norm = get_fs(path)
    except OutputError:
        return False
    if format == "delta":
        if is_delta_table(fs, norm):
            return True
        return fs.exists(norm) and (not fs.is_dir(norm) or bool(fs.list(norm)))
    if fs.exists(norm):
        return True
    try:
        return bool(siblings(fs, norm, OLD))
    except OutputError:  # no parent folder
        return False


def write_output(df, *, format: str, path: str, mode: str, partition_by=(),  # noqa: A002
                 commit_info: dict | None = None, group=None) -> None:
    """Write ``df`` to ``path`` atomically.

    ``mode``: overwrite | append | error (OutputExistsError if the output exists,
    checked before anything is written). ``partition_by``: Hive-style partition
    columns. ``commit_info`` (recipe name, hash, run id): Delta commit metadata
    (custom commit-info keys plus ``userMetadata`` as JSON); for parquet its run
    id names the staging folder and the ``_thresher_run`` marker. ``group``: the
    run's RunGroup (operators/io/group.py), which this output joins. A failure raises OutputError (DeltaError)
    and leaves the previous output intact.
    """
    _check(format, mode)
    partition_by = list(partition_by or ())
    missing = [c for c in partition_by if c not in df.columns]
    if missing:
        raise ColumnContractError(f"output {path}: partition_by columns {missing} are not in the "
                                  f"output (columns: {', '.join(df.columns)})")
    if partition_by and len(partition_by) == len(df.columns):
        raise ColumnContractError(f"output {path}: partition_by {partition_by} leaves no data column")
    fs, norm = get_fs(path, df.sparkSession)
    tag = new_run_tag(commit_info)
    if format == "parquet":
        run_id = (commit_info or {}).get("thresher.run_id")
        write_parquet(df, fs, norm, mode=mode, partition_by=partition_by, tag=tag, group=group,
                      run_id=run_id)
    else:
        write_delta(df, fs, norm, mode=mode, partition_by=partition_by, commit_info=commit_info,
                    tag=tag, group=group)


def read_output(spark, *, format: str, path: str):  # noqa: A002
    """Read back an output written by ``write_output`` (Delta: its current version)."""
    _check(format)
    return read_input(spark, format=format, path=path)


__all__ = ["output_exists", "write_output", "read_output"]
