"""Shipping model files to executors and loading them once per worker (operators/models.py)."""
from __future__ import annotations

import os

import pytest

from thresher.operators import models
from thresher.operators.models import ShippedFile, load_once, ship_dir, ship_file


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


def test_shipped_directories_arrive_unpacked_under_a_versioned_name(spark, tmp_path):
    model = tmp_path / "clip"
    (model / "sub").mkdir(parents=True)
    (model / "config.json").write_text("one")
    (model / "sub" / "w.bin").write_bytes(b"\0" * 10)
    first = ship_dir(spark, str(model))
    assert first.name.endswith("-clip.zip") and first.path == str(model)
    assert ship_dir(spark, str(model)) == first  # the same version: nothing new to ship

    def on_executor(shipped):
        def read(_):
            root = shipped.local_path()
            return (root != shipped.path, sorted(os.listdir(root)),
                    open(os.path.join(root, "sub", "w.bin"), "rb").read())
        return spark.sparkContext.parallelize([0], 1).map(read).collect()[0]

    assert on_executor(first) == (True, ["config.json", "sub"], b"\0" * 10)
    weights = model / "sub" / "w.bin"
    weights.write_bytes(b"\1" * 10)  # same size, new bytes: a new version
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    second = ship_dir(spark, str(model))
    assert second.name != first.name
    assert on_executor(second) == (True, ["config.json", "sub"], b"\1" * 10)
    assert on_executor(first)[2] == b"\0" * 10  # shipped snapshots stay as they were


def test_a_symlink_cycle_in_a_model_directory_is_refused(tmp_path):
    from thresher.operators.errors import ModelFileError
    from thresher.operators.models import dir_version

    model = tmp_path / "model"
    (model / "sub").mkdir(parents=True)
    (model / "config.json").write_text("{}")
    (model / "sub" / "loop").symlink_to(model, target_is_directory=True)
    with pytest.raises(ModelFileError, match="symlink cycle"):
        dir_version(str(model))
