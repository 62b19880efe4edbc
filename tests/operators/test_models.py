"""Shipping model files to executors and loading them once per worker (operators/models.py)."""
from __future__ import annotations

import os

from operators import models
from operators.models import ShippedFile, load_once, ship_file


def test_load_once_caches_by_key_and_keeps_a_few():
    calls = []

    def loader(value):
        return lambda: calls.append(value) or value

    assert load_once(("probe", 1), loader("a")) == "a"
    assert load_once(("probe", 1), loader("b")) == "a"  # cached: the loader does not run
    for i in range(2, 2 + models._MAX_CACHED):
        load_once(("probe", i), loader(i))
    assert load_once(("probe", 1), loader("c")) == "c"  # evicted, loaded again
    assert calls == ["a", *range(2, 2 + models._MAX_CACHED), "c"]


def test_shipped_files_are_read_from_spark_files_under_a_versioned_name(spark, tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"version one")
    first = ship_file(spark, str(path))
    assert first.name.endswith("-model.bin") and first.path == str(path)
    local = first.local_path()
    assert local != str(path) and open(local, "rb").read() == b"version one"
    assert ship_file(spark, str(path)) == first  # the same version: nothing new to ship
    path.write_bytes(b"version two, longer")  # rewritten in place (same inode)
    assert spark.range(4).repartition(2).count() == 4  # tasks still fetch what was shipped
    second = ship_file(spark, str(path))
    assert second.name != first.name and open(second.local_path(), "rb").read() == b"version two, longer"
    assert open(first.local_path(), "rb").read() == b"version one"  # shipped copies stay


def test_unshipped_files_fall_back_to_their_path(tmp_path):
    path = tmp_path / "m.bin"
    path.write_bytes(b"x")
    assert ShippedFile(str(path), None, ()).local_path() == str(path)
    assert ShippedFile(str(path), "no-such-name", ()).local_path() == str(path)
    assert os.path.exists(ShippedFile(str(path), None, ()).local_path())
