"""How to get a deleted table back from its parent: the selection, found and proven in
Spark, and ``rebuild()`` that applies it.

For a child C planned for deletion with parent P (on C's columns), in order:

* ``all``: P's rows are exactly C's (as a set; with counts under multiset);
* ``range``: one column's range explains C: ``lo <= c <= hi`` (``OR c IS NULL``
  when C has nulls there) over P selects exactly C's rows (proven by EXCEPT);
* ``row_keys``: otherwise a stored list of C's row keys, a 128-bit key per
  distinct canonical row (two salted xxhash64, canonical.py), with its count under
  multiset; P's rows are selected by a semi-join on the key.

Under set semantics a rebuild yields C's distinct rows. Example::

    entry = selection(spark, child_info, parent_info, multiset=False)   # for plan.json
    df = rebuild(spark, entry, out_dir="/tmp/contain")                   # C's rows again
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from thresher.operators.io import read_input

from .canonical import canonical, canonical_columns, col_ref
from .catalog import read_catalog
from .csv_meta import read_csv
from .prune import show_value
from .tables import TableInfo
from .types import ORDERED, spark_family

MAX_RANGE_COLUMNS = 8
_KEY_SALTS = ("thresher-rowkey-1", "thresher-rowkey-2")


def _read(spark, info: TableInfo) -> DataFrame:
    if info.format == "csv" and info.spark_schema:
        return read_csv(spark, info)
    if info.format == "catalog":
        return read_catalog(spark, info)
    return read_input(spark, format=info.format, path=info.path, options=info.options or None)


def _names(df: DataFrame) -> dict[str, str]:
    return {n.lower(): n for n in df.columns}


def _row_keys(canon: DataFrame, width: int) -> list:
    cols = [F.col(f"c{i}") for i in range(width)] + [F.isnull(F.col(f"c{i}")) for i in range(width)]
    return [F.xxhash64(F.lit(salt), *cols).alias(f"k{j}") for j, salt in enumerate(_KEY_SALTS)]


def _encode(family: str, v):
    """A range bound for plan.json (timestamps as canonical microseconds)."""
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    return v


def _readable(column: str, family: str, lo, hi, nulls: bool) -> str:
    show = (lambda v: show_value("timestamp", v)) if family == "timestamp" else repr
    text = f"{show(lo)} <= `{column}` <= {show(hi)}"
    return f"{text} OR `{column}` IS NULL" if nulls else text


def _literal(family: str, v):
    if family == "decimal":
        return F.lit(Decimal(v))
    if family == "date":
        return F.lit(_dt.date.fromisoformat(v))
    return F.lit(v)


def _bounded(column, dtype, family: str, lo, hi, nulls: bool):
    """``lo <= column <= hi`` (``OR column IS NULL``), on canonical micros for timestamps."""
    c = canonical(column, dtype) if family == "timestamp" else column
    cond = (c >= _literal(family, lo)) & (c <= _literal(family, hi))
    return cond | column.isNull() if nulls else cond


def _range_column(df: DataFrame, name: str, family: str):
    """The values a range is taken over: canonical micros for timestamps, else the column."""
    return canonical(col_ref(name), df.schema[name].dataType) if family == "timestamp" else col_ref(name)


def selection(spark, child: TableInfo, parent: TableInfo, *,
              multiset: bool) -> tuple[dict, DataFrame | None]:
    """The plan entry's ``select`` for ``child`` from ``parent``, and the DataFrame of row
    keys to store when no simpler selection is exact (else None).

    Two Spark jobs, no trial and error: the child is contained in the parent (verified),
    so a filter of the parent that keeps every child row selects exactly the child when
    it keeps as many (distinct, or all under multiset) rows as the child has.
    """
    cdf, pdf = _read(spark, child), _read(spark, parent)
    cn, pn = _names(cdf), _names(pdf)
    keys = child.keys
    fams = {k: spark_family(cdf.schema[cn[k]].dataType) for k in keys}
    ranged = [k for k in keys if fams[k] in ORDERED and fams[k] != "bool"][:MAX_RANGE_COLUMNS]
    canon_c = cdf.select(*canonical_columns(cdf, {k: cn[k] for k in keys}),
                         *[_range_column(cdf, cn[k], fams[k]).alias(f"r{i}") for i, k in enumerate(ranged)],
                         *[col_ref(cn[k]).isNull().cast("int").alias(f"z{i}") for i, k in enumerate(ranged)])
    width = [F.col(f"c{i}") for i in range(len(keys))]
    aggs = [F.count(F.lit(1)).alias("rows"), F.count_distinct(F.struct(*width)).alias("distinct")]
    for i in range(len(ranged)):
        aggs += [F.min(f"r{i}").alias(f"lo{i}"), F.max(f"r{i}").alias(f"hi{i}"), F.max(f"z{i}").alias(f"n{i}")]
    c = canon_c.agg(*aggs).first()
    target = c["rows"] if multiset else c["distinct"]
    bounds = {k: (_encode(fams[k], c[f"lo{i}"]), _encode(fams[k], c[f"hi{i}"]), bool(c[f"n{i}"]))
              for i, k in enumerate(ranged) if c[f"lo{i}"] is not None}
    canon_p = pdf.select(*canonical_columns(pdf, {k: pn[k] for k in keys}),
                         *[col_ref(pn[k]).alias(f"v{i}") for i, k in enumerate(ranged)])
    if not multiset:
        canon_p = canon_p.dropDuplicates([f"c{i}" for i in range(len(keys))])
    counts = [F.count(F.lit(1)).alias("all")]
    for i, k in enumerate(ranged):
        if k in bounds:
            inside = _bounded(F.col(f"v{i}"), pdf.schema[pn[k]].dataType, fams[k], *bounds[k])
            counts.append(F.sum(F.when(inside, 1).otherwise(0)).alias(f"in{i}"))
    got = canon_p.agg(*counts).first()
    if got["all"] == target:
        return {"kind": "all"}, None
    for i, k in enumerate(ranged):
        if k in bounds and got[f"in{i}"] == target:
            lo, hi, nulls = bounds[k]
            return {"kind": "range", "column": k, "parent_column": pn[k], "family": fams[k],
                    "min": lo, "max": hi, "nulls": nulls,
                    "readable": _readable(pn[k], fams[k], lo, hi, nulls)}, None
    keyed = canon_c.select(*_row_keys(canon_c, len(keys)))
    keyed = keyed.groupBy("k0", "k1").count() if multiset else keyed.distinct()
    return {"kind": "row_keys", "key": "two salted xxhash64 of the canonical row",
            "counts": multiset}, keyed


def rebuild(spark, entry: dict, *, out_dir: str) -> DataFrame:
    """The deleted table's rows from its parent, following a plan.json ``deleted`` entry."""
    if entry["parent_format"] == "catalog":
        pdf = read_catalog(spark, entry["parent_path"])
    else:
        pdf = read_input(spark, format=entry["parent_format"], path=entry["parent"],
                         options=entry.get("parent_options") or None)
    pn = _names(pdf)
    sel = entry["select"]
    columns = entry["columns"]  # child's stored names, in the child's key order
    keys = sorted(c.lower() for c in columns)
    if sel["kind"] == "range":
        name = sel["parent_column"]
        pdf = pdf.filter(_bounded(col_ref(name), pdf.schema[name].dataType, sel["family"], sel["min"],
                                  sel["max"], sel["nulls"]))
    if sel["kind"] == "row_keys":
        canon = pdf.select(*canonical_columns(pdf, {k: pn[k] for k in keys}),
                           *[col_ref(pn[k]).alias(f"v{i}") for i, k in enumerate(keys)])
        stored = spark.read.parquet("file://" + out_dir.rstrip("/") + "/" + sel["file"])
        canon = canon.select("*", *_row_keys(canon, len(keys)))
        picked = canon.join(stored, ["k0", "k1"], "left_semi")
        rows = picked.select(*[F.col(f"v{i}").alias(k) for i, k in enumerate(keys)]).distinct()
        if sel.get("counts"):  # one parent copy of each row, repeated as often as the child had it
            one = canon.join(stored, ["k0", "k1"]).dropDuplicates(["k0", "k1"])
            row = F.struct(*[F.col(f"v{i}").alias(k) for i, k in enumerate(keys)])
            rows = one.select(F.explode(F.array_repeat(row, F.col("count").cast("int"))).alias("r")) \
                .select("r.*")
    else:
        rows = pdf.select(*[col_ref(pn[k]).alias(k) for k in keys])
        if not entry.get("multiset"):
            rows = rows.distinct()
    by_key = {c.lower(): c for c in columns}
    return rows.select(*[F.col(k).alias(by_key[k]) for k in sorted(by_key)])
