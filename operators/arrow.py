"""Arrow helpers for operators whose kernels read whole string columns (mapInArrow).

A numba kernel cannot take a ``pa.Array``; it takes the array's raw buffers. This
module hands them out without copying any text: every string array (``string``,
``large_string``, ``string_view``; sliced or not) is seen as ``large_string``, so a
kernel compiles once, for int64 offsets. The cast copies offsets only (string
views are gathered into one data buffer, as their layout needs).

Example::

    for chunk in string_chunks(batch.column("text")):
        data, offsets, valid = utf8_buffers(chunk)
        my_kernel(data, offsets, valid)   # text d = data[offsets[d]:offsets[d + 1]]
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from .errors import InputError

_STRING_TYPES = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)


def string_chunks(texts: pa.Array | pa.ChunkedArray | list) -> Iterator[pa.Array]:
    """The Arrow string arrays behind ``texts`` (a Python list becomes one array)."""
    if isinstance(texts, pa.ChunkedArray):
        yield from texts.chunks
    elif isinstance(texts, pa.Array):
        yield texts
    else:
        yield pa.array(texts, type=pa.large_string())


def utf8_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(data uint8, offsets int64[len + 1], valid bool[len])`` of a string array.

    ``data`` and the text bytes are shared with Arrow (no copy); a null has
    ``valid[d] == False`` and, by Arrow's layout, an empty slice.
    """
    if not any(check(arr.type) for check in _STRING_TYPES):
        raise InputError(f"expected a string column, got Arrow type {arr.type}")
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())  # offsets widened; the data buffer is reused
    n = len(arr)
    _, offset_buf, data_buf = arr.buffers()
    if offset_buf is None:  # a zero-length array may come without buffers
        offsets = np.zeros(n + 1, dtype=np.int64)
    else:
        offsets = np.frombuffer(offset_buf, dtype=np.int64)[arr.offset:arr.offset + n + 1]
    data = np.frombuffer(data_buf if data_buf is not None else b"", dtype=np.uint8)
    valid = (np.ones(n, dtype=np.bool_) if arr.null_count == 0
             else np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_))
    return data, offsets, valid


def live_rows(batch: pa.RecordBatch, drop_column: str | None) -> np.ndarray:
    """Bool mask of the batch's rows no earlier step dropped (``drop_column`` null);
    all rows when there is no such column (outside a recipe)."""
    if drop_column is None:
        return np.ones(batch.num_rows, bool)
    return batch.column(drop_column).is_null().to_numpy(zero_copy_only=False)
