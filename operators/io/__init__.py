"""Inputs and outputs: readers for parquet/jsonl/csv/text/delta, atomic parquet and
delta writers (delta-rs commits when the JVM has no Delta), local and Hadoop filesystems."""
from __future__ import annotations

from .fs import failpoint, get_fs
from .readers import FORMATS, read_input
from .writers import MODES, OUTPUT_FORMATS, output_exists, read_output, write_output

__all__ = ["FORMATS", "MODES", "OUTPUT_FORMATS", "failpoint", "get_fs", "output_exists",
           "read_input", "read_output", "write_output"]
