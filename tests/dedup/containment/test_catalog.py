"""Spark catalog sources (``catalog:DB.*``, ``catalog:DB.TABLE``) in a local warehouse:
statistics from footers, from the catalog (ANALYZE TABLE) or computed once, and verdicts."""
from __future__ import annotations

import json
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from thresher.dedup.containment import find_containment
from thresher.dedup.containment.catalog import discover_catalog, inspect_catalog
from thresher.dedup.containment.stats import to_value
from thresher.jobs.cli import EXIT_OK, EXIT_USER, main
from thresher.operators.errors import ContainmentInputError

from .lakegen import base_frame, write_parquet


@pytest.fixture(scope="module")
def catalog_db(spark, tmp_path_factory):
    """Four tables: ``base`` (Parquet: footers), ``filt_part`` (a filter, partitioned Parquet,
    analysed: catalog statistics), ``proj_json`` (a projection of the filter, JSON: computed)
    and ``changed`` (the filter with one value changed: a decoy)."""
    root = tmp_path_factory.mktemp("catalog")
    db = f"contain_{uuid.uuid4().hex[:8]}"
    spark.sql(f"CREATE DATABASE {db} LOCATION '{root / 'warehouse'}'")
    df = base_frame()
    write_parquet(df, root / "src" / "base.parquet")
    changed = df[df["amount"] > 100].copy()
    changed.iloc[3, changed.columns.get_loc("amount")] += 0.01
    write_parquet(changed, root / "src" / "changed.parquet")
    base = spark.read.parquet(str(root / "src" / "base.parquet"))
    cheap = base.filter("amount > 100")
    base.write.saveAsTable(f"{db}.base")
    cheap.write.partitionBy("note").saveAsTable(f"{db}.filt_part")
    spark.sql(f"ANALYZE TABLE {db}.filt_part COMPUTE STATISTICS FOR ALL COLUMNS")
    cheap.select("id", "name", "qty").write.format("json").saveAsTable(f"{db}.proj_json")
    spark.read.parquet(str(root / "src" / "changed.parquet")).write.saveAsTable(f"{db}.changed")
    write_parquet(df[df["amount"] > 100][["qty", "id"]], root / "files" / "ids.parquet")
    yield db, root
    spark.sql(f"DROP DATABASE {db} CASCADE")


def test_discover_tables_by_name_and_glob(spark, catalog_db):
    db, _ = catalog_db
    names = [r.name for r in discover_catalog(spark, f"catalog:{db}.*")]
    assert names == [f"catalog:{db}.{t}" for t in ("base", "changed", "filt_part", "proj_json")]
    assert [r.name for r in discover_catalog(spark, f"catalog:{db}.PROJ*")] == [f"catalog:{db}.proj_json"]
    ref, = discover_catalog(spark, f"catalog:{db}.base")
    assert (ref.format, ref.path) == ("catalog", f"{db}.`base`")


@pytest.mark.parametrize("source, message", [
    ("catalog:no_such_db_xyz.*", "no database"),
    ("catalog:{db}.missing", "no table 'missing'"),
    ("catalog:{db}.zz*", "matches"),
    ("catalog:justaname", "expected catalog:DATABASE.TABLE"),
])
def test_bad_catalog_sources(spark, catalog_db, source, message):
    with pytest.raises(ContainmentInputError, match=message):
        discover_catalog(spark, source.format(db=catalog_db[0]))


def test_statistics_from_footers_catalog_or_computed_once(spark, catalog_db, tmp_path):
    db, _ = catalog_db
    refs = {r.name.rsplit(".", 1)[1]: r for r in discover_catalog(spark, f"catalog:{db}.*")}
    base = inspect_catalog(spark, refs["base"], cache_dir=str(tmp_path))
    assert base.format == "catalog" and base.stats.rows == 120 and base.stats.columns["id"].min_lo == 0
    assert 0 < base.meta_bytes < base.data_bytes            # footers only
    part = inspect_catalog(spark, refs["filt_part"], cache_dir=str(tmp_path))
    cheap = base_frame().query("amount > 100")
    assert part.meta_bytes == 0 and part.stats.rows == len(cheap)  # ANALYZE TABLE's statistics
    assert (part.stats.columns["id"].min_lo, part.stats.columns["id"].max_hi) == (cheap.id.min(), cheap.id.max())
    assert part.stats.columns["ts"].min_lo == to_value("timestamp", cheap.ts.min().to_pydatetime())
    assert part.stats.columns["name"].min_lo is None       # Spark keeps no string min/max
    assert part.stats.columns["note"].nulls == int(cheap.note.isna().sum())
    first = inspect_catalog(spark, refs["proj_json"], cache_dir=str(tmp_path))
    again = inspect_catalog(spark, refs["proj_json"], cache_dir=str(tmp_path))
    assert first.meta_bytes > 0 and again.meta_bytes == 0  # computed once, then cached
    assert again.stats.rows == first.stats.rows == len(cheap)
    assert again.stats.columns["qty"].min_lo == cheap.qty.min()


def test_containment_over_catalog_and_path_sources(spark, catalog_db, tmp_path):
    db, root = catalog_db
    t = lambda n: f"catalog:{db}.{n}"  # noqa: E731
    ids = str(root / "files" / "ids.parquet")
    result = find_containment([f"catalog:{db}.*", ids], out=str(tmp_path / "out"), spark=spark,
                              stats_cache=str(tmp_path / "cache"))
    assert set(result.contained) == {
        (t("filt_part"), t("base")),
        (t("proj_json"), t("base")), (t("proj_json"), t("filt_part")), (t("proj_json"), t("changed")),
        (ids, t("base")), (ids, t("filt_part")), (ids, t("proj_json")), (ids, t("changed")),
    }
    edges = {(e.child, e.parent): e for e in result.edges}
    assert edges[(t("changed"), t("filt_part"))].verdict == "not_contained"  # the decoy
    assert edges[(t("changed"), t("base"))].decided_at in ("content", "verified")
    assert result.stages["tables"]["analysed"] == 5


def test_catalog_statistics_are_not_used_stale(spark, catalog_db, tmp_path):
    """Spark drops a table's statistics when it writes to it: an insert after ANALYZE
    leaves none to be misled by (they are computed instead)."""
    db, _ = catalog_db
    spark.range(10).write.format("json").saveAsTable(f"{db}.grown")
    try:
        spark.sql(f"ANALYZE TABLE {db}.grown COMPUTE STATISTICS FOR ALL COLUMNS")
        ref, = discover_catalog(spark, f"catalog:{db}.grown")
        analysed = inspect_catalog(spark, ref, cache_dir=str(tmp_path))
        assert (analysed.meta_bytes, analysed.stats.rows, analysed.stats.columns["id"].max_hi) == (0, 10, 9)
        spark.range(100, 105).write.insertInto(f"{db}.grown")
        grown = inspect_catalog(spark, ref, cache_dir=str(tmp_path))
        assert (grown.stats.rows, grown.stats.columns["id"].max_hi) == (15, 104)
    finally:
        spark.sql(f"DROP TABLE {db}.grown")  # the other tests list the database


def test_cli_with_a_catalog_source(spark, catalog_db, tmp_path, capsys):
    """``thresher containment catalog:DB.*``: the catalog's tables alone, every pair through
    the sample test first (``--sample-above 0``); a database that is not there exits 2."""
    db, _ = catalog_db
    t = lambda n: f"catalog:{db}.{n}"  # noqa: E731
    out = tmp_path / "out"
    code = main(["containment", f"catalog:{db}.*", "--out", str(out), "--sample-above", "0",
                 "--stats-cache", str(tmp_path / "cache")])
    assert code == EXIT_OK, capsys.readouterr().err
    assert "verdicts: 4 contained" in capsys.readouterr().out
    edges = pq.read_table(out / "edges.parquet").to_pylist()
    assert {(e["child"], e["parent"]) for e in edges if e["contained"]} == {
        (t("filt_part"), t("base")), (t("proj_json"), t("base")), (t("proj_json"), t("filt_part")),
        (t("proj_json"), t("changed"))}
    stages = json.loads((out / "stages.json").read_text())
    assert stages["tables"]["analysed"] == 4 and stages["config"]["sample_above_bytes"] == 0
    content = stages["stages"][3]
    assert content["sampled_pairs"] == content["pairs_before"] > 0
    assert main(["containment", "catalog:no_such_db_xyz.*", "--out", str(tmp_path / "o2")]) == EXIT_USER
    assert "no database" in capsys.readouterr().err


def test_char_columns_keep_no_file_bounds(spark, catalog_db, tmp_path):
    """Spark pads CHAR(n) on read, so values stored unpadded ('a', 'a ') read as one: the
    files' bounds and distinct counts are not what is compared, only nulls carry over."""
    db, _ = catalog_db
    src = tmp_path / "chars"
    pq.write_table(pa.table({"c": ["a", "a ", None], "n": pa.array([1, 2, 3], pa.int32())}), tmp_path / "chars.parquet")
    src.mkdir()
    (tmp_path / "chars.parquet").rename(src / "part-0.parquet")
    spark.sql(f"CREATE TABLE {db}.chars (c CHAR(3), n INT) USING parquet LOCATION '{src}'")
    try:
        ref, = discover_catalog(spark, f"catalog:{db}.chars")
        info = inspect_catalog(spark, ref, cache_dir=str(tmp_path))
        c, n = info.stats.columns["c"], info.stats.columns["n"]
        assert (c.nulls, c.min_lo, c.max_hi, c.ndv_lo, c.ndv_hi) == (1, None, None, None, None)
        assert (n.min_lo, n.max_hi, n.ndv_lo) == (1, 3, 3)
        assert len({r.c for r in spark.table(f"{db}.chars").collect() if r.c is not None}) == 1
    finally:
        spark.sql(f"DROP TABLE {db}.chars")
