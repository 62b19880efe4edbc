"""Raw buffers of Arrow string arrays for numba kernels (operators/arrow.py)."""
from __future__ import annotations

import pyarrow as pa
import pytest

from thresher.operators.arrow import string_chunks, utf8_buffers
from thresher.operators.errors import InputError


def _texts(arr):
    data, offsets, valid = utf8_buffers(arr)
    return [bytes(data[offsets[i]:offsets[i + 1]]).decode() if valid[i] else None
            for i in range(len(arr))]


def test_every_string_layout_slices_and_nulls():
    arr = pa.array(["ab", None, "", "日本", "🎉 x"] * 3)
    for kind in (arr, arr.cast(pa.large_string()), arr.cast(pa.string_view()), arr.slice(2, 7),
                 arr.cast(pa.large_string()).slice(5)):
        assert _texts(kind) == kind.to_pylist()


def test_text_bytes_are_not_copied():
    arr = pa.array(["ab", "cd", None])
    for kind in (arr, arr.cast(pa.large_string()), arr.slice(1)):
        assert utf8_buffers(kind)[0].ctypes.data == kind.buffers()[2].address


def test_empty_arrays_and_wrong_types():
    assert utf8_buffers(pa.array([], pa.string()))[1].tolist() == [0]
    with pytest.raises(InputError, match="expected a string column, got Arrow type int64"):
        utf8_buffers(pa.array([1, 2]))


def test_string_chunks_of_lists_arrays_and_chunked_arrays():
    chunked = pa.chunked_array([pa.array(["a"]), pa.array(["b", None])])
    assert [c.to_pylist() for c in string_chunks(chunked)] == [["a"], ["b", None]]
    assert [c.to_pylist() for c in string_chunks(["x", None])] == [["x", None]]
    assert [c.to_pylist() for c in string_chunks(pa.array(["y"]))] == [["y"]]
