"""Stage 2: each rule fires where it should, and no rule ever prunes a true containment."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thresher.dedup.containment.delta_meta import inspect_delta
from thresher.dedup.containment.parquet_meta import inspect_parquet
from thresher.dedup.containment.prune import prune_edge
from thresher.dedup.containment.schema_graph import schema_candidates
from thresher.dedup.containment.stats import ColumnStats, TableStats
from thresher.dedup.containment.tables import TableInfo
from thresher.dedup.containment.types import Column
from thresher.operators.io.fs import LocalFS

from .oracle import contained


def _info(name, rows, cols, distinct=None, family="int"):
    return TableInfo(name=name, path=name, format="parquet",
                     columns=[Column(k, family) for k in cols],
                     stats=TableStats(rows=rows, distinct_rows=distinct, columns=cols))


def _exact(lo, hi, nulls=0):
    return ColumnStats(nulls=nulls, min_lo=lo, min_hi=lo, max_lo=hi, max_hi=hi)


def test_rules():
    parent = _info("p", 10, {"x": _exact(0, 9)})
    assert prune_edge(_info("c", 3, {"x": _exact(2, 5)}), parent, multiset=False) is None
    assert prune_edge(_info("c", 3, {"x": _exact(-1, 5)}), parent, multiset=False) == {
        "rule": "min", "column": "x", "child": -1, "parent": 0}
    assert prune_edge(_info("c", 3, {"x": _exact(2, 10)}), parent, multiset=False)["rule"] == "max"
    assert prune_edge(_info("c", 3, {"x": _exact(2, 5, nulls=1)}), parent, multiset=False)["rule"] == "nulls"
    all_null = _info("p", 4, {"x": ColumnStats(nulls=4)})
    assert prune_edge(_info("c", 3, {"x": _exact(2, 5)}), all_null, multiset=False)["rule"] == "parent_all_null"
    ndv = _info("c", 3, {"x": ColumnStats(nulls=0, ndv_lo=3)})
    assert prune_edge(ndv, _info("p", 10, {"x": ColumnStats(nulls=0, ndv_hi=2)}), multiset=False) == {
        "rule": "ndv", "column": "x", "child": 3, "parent": 2}
    assert prune_edge(ndv, _info("p", 10, {"x": ColumnStats(nulls=0, ndv_hi=3)}), multiset=False) is None


def test_distinct_bounds_from_counts_and_ranges():
    # A parent holds at most its non-null values' count of distinct values...
    child = _info("c", 9, {"x": ColumnStats(nulls=0, ndv_lo=5)})
    assert prune_edge(child, _info("p", 10, {"x": ColumnStats(nulls=6)}), multiset=False) == {
        "rule": "ndv", "column": "x", "child": 5, "parent": 4}
    assert prune_edge(child, _info("p", 10, {"x": ColumnStats(nulls=5)}), multiset=False) is None
    # ... and a child whose min is below its max holds at least two
    spread = _info("c", 2, {"x": _exact(3, 4)})
    single = _info("p", 8, {"x": ColumnStats(nulls=7, min_lo=0, min_hi=0, max_lo=9, max_hi=9)})
    assert prune_edge(spread, single, multiset=False)["rule"] == "ndv"
    unsure = _info("c", 2, {"x": ColumnStats(nulls=0, min_lo=3, min_hi=5, max_lo=4, max_hi=4)})
    assert prune_edge(unsure, single, multiset=False) is None  # its min may equal its max


def test_row_counts_only_where_sound():
    # 20 rows of the same value fit in a 10-row parent under set semantics...
    child, parent = _info("c", 20, {"x": _exact(1, 1)}), _info("p", 10, {"x": _exact(0, 9)})
    assert prune_edge(child, parent, multiset=False) is None
    # ... but not under multiset semantics, nor when 11 of them are distinct
    assert prune_edge(child, parent, multiset=True)["rule"] == "row_count"
    distinct = _info("c", 20, {"x": _exact(1, 1)}, distinct=11)
    assert prune_edge(distinct, parent, multiset=False) == {"rule": "distinct_rows", "child": 11, "parent": 10}


def test_inexact_bounds_prune_only_when_certain():
    # child's min is somewhere in [1, 5] (e.g. a millisecond window); parent's min is 3
    child = _info("c", 3, {"x": ColumnStats(nulls=0, min_lo=1, min_hi=5, max_lo=6, max_hi=6)})
    parent = _info("p", 10, {"x": _exact(3, 9)})
    assert prune_edge(child, parent, multiset=False) is None
    child.stats.columns["x"].min_hi = 2  # now certainly below 3
    assert prune_edge(child, parent, multiset=False)["rule"] == "min"
    unknown = _info("c", 3, {"x": ColumnStats()})
    assert prune_edge(unknown, parent, multiset=False) is None


def test_evidence_is_readable():
    day = _info("c", 3, {"d": _exact(0, 1)}, family="date")
    assert prune_edge(day, _info("p", 3, {"d": _exact(1, 2)}, family="date"), multiset=False) == {
        "rule": "min", "column": "d", "child": "1970-01-01", "parent": "1970-01-02"}


# ------------------------------------------------------------- soundness property
_INT_TYPES = [pa.int8(), pa.int16(), pa.int32(), pa.int64()]
_COLUMNS = {
    "a": st.one_of(st.none(), st.integers(-100, 100)),
    "b": st.one_of(st.none(), st.sampled_from([0.0, -0.0, 0.25, -1.5, 3.75, float("nan"), float("inf")])),
    "c": st.one_of(st.none(), st.text("ab\u00e9z", max_size=3), st.sampled_from(["y" * 40, "y" * 41])),
    "d": st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2020, 1, 9))),
    "e": st.one_of(st.none(), st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 2))),
    "f": st.one_of(st.none(), st.decimals(-5, 5, places=2, allow_nan=False)),
}


def _type(col: str, draw) -> pa.DataType:
    return {"a": draw(st.sampled_from(_INT_TYPES)), "b": draw(st.sampled_from([pa.float32(), pa.float64()])),
            "c": draw(st.sampled_from([pa.string(), pa.large_string()])), "d": pa.date32(),
            "e": pa.timestamp("us"), "f": draw(st.sampled_from([pa.decimal128(6, 2), pa.decimal128(9, 3)]))}[col]


@st.composite
def contained_pairs(draw):
    """A parent table and a child made of some of its rows (repeated or not) on some of
    its columns, sometimes with one value changed; plus how each is stored."""
    cols = draw(st.lists(st.sampled_from(sorted(_COLUMNS)), min_size=1, max_size=4, unique=True))
    rows = draw(st.lists(st.tuples(*[_COLUMNS[c] for c in cols]), min_size=1, max_size=12))
    child_cols = draw(st.lists(st.sampled_from(cols), min_size=1, unique=True))
    picks = draw(st.lists(st.integers(0, len(rows) - 1), min_size=1, max_size=15))
    child_rows = [tuple(rows[i][cols.index(c)] for c in child_cols) for i in picks]
    if draw(st.booleans()):
        r = draw(st.integers(0, len(child_rows) - 1))
        j = draw(st.integers(0, len(child_cols) - 1))
        row = list(child_rows[r])
        row[j] = draw(_COLUMNS[child_cols[j]])
        child_rows[r] = tuple(row)
    names = {c: draw(st.sampled_from([c, c.upper()])) for c in cols}  # case may differ
    parent = pa.table({names[c]: pa.array([r[i] for r in rows], _type(c, draw)) for i, c in enumerate(cols)})
    child = pa.table({c: pa.array([r[i] for r in child_rows], _type(c, draw))
                      for i, c in enumerate(child_cols)})
    if draw(st.booleans()):
        child = _with_unused_dictionary_entries(child)
    layouts = st.sampled_from(["file", "dataset", "hive", "delta"])
    # Dictionary pages bound distinct values (parquet_pages.py): vary what the writer does.
    writer = {"use_dictionary": draw(st.booleans()), "data_page_version": draw(st.sampled_from(["1.0", "2.0"])),
              "dictionary_pagesize_limit": draw(st.sampled_from([None, 16])),
              "store_schema": draw(st.booleans())}
    return (child, parent, draw(layouts), draw(layouts), draw(st.integers(1, 4)), draw(st.booleans()),
            {k: v for k, v in writer.items() if v is not None})


def _with_unused_dictionary_entries(table: pa.Table) -> pa.Table:
    """Integer and string columns as Arrow dictionaries holding values no row uses: Arrow
    writes such a dictionary as it is, so its size overstates the distinct values."""
    out = {}
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        if pa.types.is_integer(col.type) or pa.types.is_string(col.type):
            present = [v for v in pc.unique(col).to_pylist() if v is not None]
            extra = ([101 + i for i in range(8)] if pa.types.is_integer(col.type)
                     else [f"unused-{i}" for i in range(8)])
            values = pa.array(extra + present, col.type)
            index = {v: i for i, v in enumerate(values.to_pylist())}
            indices = pa.array([None if v is None else index[v] for v in col.to_pylist()], pa.int32())
            col = pa.DictionaryArray.from_arrays(indices, values)
        out[name] = col
    return pa.table(out)


def _store(table: pa.Table, how: str, path, row_group_size: int, writer: dict):
    from deltalake import write_deltalake

    if how == "file":
        pq.write_table(table, path, row_group_size=row_group_size, **writer)
        return inspect_parquet(LocalFS(), str(path), name=str(path))
    if how == "dataset":
        path.mkdir()
        half = table.num_rows // 2
        pq.write_table(table.slice(0, half), path / "part-0.parquet", row_group_size=row_group_size, **writer)
        pq.write_table(table.slice(half), path / "part-1.parquet", row_group_size=row_group_size, **writer)
        return inspect_parquet(LocalFS(), str(path), name=str(path))
    if how == "hive" and "a" in [n.lower() for n in table.column_names] and table.num_columns > 1:
        import pyarrow.dataset as ds

        key = [n for n in table.column_names if n.lower() == "a"][0]
        ds.write_dataset(table, path, format="parquet", partitioning=[key], partitioning_flavor="hive",
                         basename_template="part-{i}.parquet")
        return inspect_parquet(LocalFS(), str(path), name=str(path))
    write_deltalake(str(path), _decoded(table))
    return inspect_delta(LocalFS(), str(path), name=str(path))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contained_pairs())
def test_no_rule_prunes_a_true_containment(tmp_path_factory, case):
    child, parent, child_how, parent_how, rg, multiset, writer = case
    if not contained(_decoded(child), parent, multiset=multiset):
        return
    # float32 columns hold float32 values: the oracle compares what was stored
    tmp = tmp_path_factory.mktemp("prop")
    a = _store(child, child_how, tmp / "a", rg, writer)
    b = _store(parent, parent_how, tmp / "b", rg, writer)
    if not contained(_read(a), _read(b), multiset=multiset):
        return
    graph = schema_candidates({"a": a.columns, "b": b.columns})
    if a.families.keys() <= b.families.keys() and all(b.families[k] == f for k, f in a.families.items()):
        assert ("a", "b") in graph.candidates
        assert prune_edge(a, b, multiset=multiset) is None, (a.stats, b.stats)


def _decoded(table: pa.Table) -> pa.Table:
    """Dictionary columns as plain ones (what a reader compares)."""
    return pa.table({n: c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
                     for n, c in zip(table.column_names, table.columns)})


def _read(info) -> pa.Table:
    """What was stored, as a reader sees it (float32 values, partition folders)."""
    return _decoded(_stored(info))


def _stored(info) -> pa.Table:
    if info.format == "delta":
        from deltalake import DeltaTable
        return pa.table(DeltaTable(info.path).to_pyarrow_table())
    import pyarrow.dataset as ds

    parts = [c for c in info.columns if c.key == "a"] if Path(info.path).is_dir() else []
    if parts and any(p.name.startswith(f"{parts[0].name}=") for p in Path(info.path).iterdir()):
        scheme = ds.partitioning(pa.schema([(parts[0].name, pa.int64())]), flavor="hive")
        return pq.read_table(info.path, partitioning=scheme)
    return pq.read_table(info.path)


def test_decimal_scales_compare_by_value():
    child = _info("c", 1, {"x": _exact(Decimal("1.50"), Decimal("1.50"))}, family="decimal")
    parent = _info("p", 1, {"x": _exact(Decimal("1.5000"), Decimal("2"))}, family="decimal")
    assert prune_edge(child, parent, multiset=False) is None
