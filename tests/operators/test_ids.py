"""Content ids: format, stability when files move, bounded partitions for repeats."""
from __future__ import annotations

import hashlib
import shutil

import pandas as pd
from pyspark.sql import functions as F

from thresher.operators.ids import with_content_ids


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _ids(spark, path):
    df = with_content_ids(spark.read.parquet(str(path)), "text")
    return {(r["text"], r["url"]): r["id"] for r in df.collect()}


def test_ids_format_and_suffixes(spark):
    rows = [("same", f"u{i}") for i in range(5)] + [("other", "u9"), (None, "u8")]
    ids = [r["id"] for r in with_content_ids(
        spark.createDataFrame(rows, "text string, url string"), "text").collect()]
    d = _digest("same")
    assert sorted(i for i in ids if i.startswith(d)) == sorted([d] + [f"{d}-{k}" for k in range(1, 5)])
    assert _digest("other") in ids and _digest("") in ids  # a null text hashes as ""
    assert len(set(ids)) == len(ids)


def test_ids_do_not_change_when_files_are_renamed_or_moved(spark, tmp_path):
    # Same text, different other columns, in different files: which copy gets "-1"
    # must follow the rows, not the file names or their order.
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    texts = ["repeated line", "another", "repeated line"]
    for n, name in enumerate(["a.parquet", "b.parquet", "c.parquet"]):
        pd.DataFrame({"text": texts + ["x"], "url": [f"{name}-{i}" for i in range(4)]}
                     ).to_parquet(first / name)
    before = _ids(spark, first)
    shutil.copytree(first, second)
    for old, new in (("a.parquet", "z.parquet"), ("c.parquet", "0.parquet")):
        (second / old).rename(second / f"tmp-{new}")
    for p in second.glob("tmp-*"):
        p.rename(second / p.name.removeprefix("tmp-"))
    shutil.rmtree(first)
    moved = tmp_path / "elsewhere" / "in"
    moved.parent.mkdir()
    second.rename(moved)
    assert _ids(spark, moved) == before
    assert len(set(before.values())) == 12


def test_a_text_repeated_many_times_is_spread_over_partitions(spark, tmp_path):
    n_blank, n_other = 20_000, 200
    src = tmp_path / "lines"
    src.mkdir()
    lines = [""] * n_blank + [f"line {i}" for i in range(n_other)]
    (src / "in.txt").write_text("\n".join(lines) + "\n")
    key = "spark.sql.adaptive.coalescePartitions.enabled"
    old = spark.conf.get(key)
    spark.conf.set(key, "false")  # see the id stage's own partitions
    try:
        df = with_content_ids(spark.read.text(str(src)).withColumnRenamed("value", "text"), "text")
        sizes = [r["count"] for r in df.groupBy(F.spark_partition_id().alias("p")).count().collect()]
        ids = df.select("id").collect()
    finally:
        spark.conf.set(key, old)
    total = n_blank + n_other
    assert sum(sizes) == total and len({r["id"] for r in ids}) == total
    # 4 shuffle partitions in the tests: the blanks alone would put >99% in one.
    assert max(sizes) < 0.4 * total, sizes
