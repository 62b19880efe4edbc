"""The `exact_dedup` operator: groups, keepers, details, dup_count, determinism."""
from __future__ import annotations

import hashlib
import random
import re

import pytest
from pydantic import ValidationError

from thresher.dedup.exact import ExactDedup
from thresher.operators.base import DROP_DETAIL, DROP_REASON, DROP_STEP, StepContext
from thresher.operators.registry import get_operator

INTERNAL = f"{DROP_REASON} string, {DROP_STEP} int, {DROP_DETAIL} string"
SCHEMA = f"id long, text string, q double, {INTERNAL}"
PRE = ("earlier:too_short", 1, "chars=1 < 5")
CTX = dict(text_column="text", id_column="id", step=3)
DUP = "exact_dedup:duplicate"


def make(spark, rows, schema=SCHEMA):
    """rows: (id, text, q) live, or (id, text, q, PRE) pre-dropped."""
    data = [(*r[:3], *(r[3] if len(r) > 3 else (None, None, None))) for r in rows]
    return spark.createDataFrame(data, schema)


def bind(**params):
    op = ExactDedup(**params)
    return op.bind(StepContext(**CTX, op_name=op.name))


def collect(df, *extra):
    """id -> (reason, step, detail, *extra columns)."""
    return {r["id"]: (r[DROP_REASON], r[DROP_STEP], r[DROP_DETAIL], *(r[c] for c in extra))
            for r in df.collect()}


def kept(df):
    return {r["id"] for r in df.where(f"{DROP_REASON} IS NULL").select("id").collect()}


def test_normalized_groups_keep_smallest_id(spark):
    df = make(spark, [
        (4, "Hello  World", None), (2, "hello world", None), (7, " HELLO\tworld\n", None),
        (9, "Hello\u00a0world", None),            # NBSP is whitespace too
        (5, "hello world!", None),                 # different text
        (6, "Other", None), (3, "other", None),
        (8, None, None), (10, None, None),         # null texts: nothing to hash, kept
    ])
    out = bind(dup_count=True).transform(df)
    v = collect(out, "dup_count")
    assert v[2] == (None, None, None, 4)
    for i in (4, 7, 9):
        assert v[i] == (DUP, 3, "duplicate of 2", 4)
    assert v[5] == (None, None, None, 1)
    assert v[3] == (None, None, None, 2) and v[6] == (DUP, 3, "duplicate of 3", 2)
    assert v[8] == v[10] == (None, None, None, None)
    assert out.columns == [*df.columns, "dup_count"] and len(v) == 9


def test_raw_text_without_normalize(spark):
    df = make(spark, [(1, "Hello World", None), (2, "hello world", None),
                      (3, "Hello World", None), (4, "Hello World ", None)])
    v = collect(bind(normalize=False).transform(df))
    assert {i for i, x in v.items() if x[0] is None} == {1, 2, 4}
    assert v[3] == (DUP, 3, "duplicate of 1")


def test_predropped_rows_never_keepers_never_counted_untouched(spark):
    df = make(spark, [(1, "same", 9.0, PRE), (2, "same", 1.0), (3, "same", 2.0),
                      (4, "lonely", 5.0, PRE), (5, "lonely", 1.0)])
    v = collect(bind(dup_count=True, keep_by="q").transform(df), "dup_count")
    assert v[1] == (*PRE, None)          # smallest id and best q, but dead
    assert v[3] == (None, None, None, 2)  # keeper among the live rows only
    assert v[2] == (DUP, 3, "duplicate of 3", 2)
    assert v[4] == (*PRE, None)
    assert v[5] == (None, None, None, 1)  # its dead twin does not make it a duplicate


def test_keep_by_max_min_ties_and_nulls(spark):
    df = make(spark, [(5, "t", 0.7), (3, "t", 0.9), (8, "t", 0.9), (1, "t", None),
                      (2, "t", 0.1)])
    out = bind(keep_by="q").transform(df)
    assert kept(out) == {3}  # 0.9 tie between 3 and 8 -> smaller id
    assert collect(out)[8] == (DUP, 3, "duplicate of 3")
    out = bind(keep_by="q", keep_order="min").transform(df)
    assert kept(out) == {2}  # null keep_by ranks last, not first
    nulls = make(spark, [(5, "t", None), (4, "t", None)])
    assert kept(bind(keep_by="q").transform(nulls)) == {4}


def test_string_ids_and_hash_column(spark):
    schema = f"id string, text string, q double, {INTERNAL}"
    df = make(spark, [("b", "A  b", None), ("a", "a b", None), ("c", "x", None),
                      ("d", None, None), ("e", "a b", None, PRE)], schema)
    out = bind(hash_column="text_sha", dup_count=True).transform(df)
    v = collect(out, "text_sha", "dup_count")

    def sha(text):
        norm = re.sub(r"\s+", " ", text.lower()).strip()
        return hashlib.sha256(norm.encode("utf-8")).hexdigest()

    assert v["a"] == (None, None, None, sha("a b"), 2)
    assert v["b"] == (DUP, 3, "duplicate of a", sha("a b"), 2)
    assert v["c"] == (None, None, None, sha("x"), 1)
    assert v["d"] == (None, None, None, None, None)
    assert v["e"] == (*PRE, sha("a b"), None)  # hash kept on every row, count only live
    raw = collect(bind(normalize=False, hash_column="h").transform(df), "h")
    assert raw["b"][3] == hashlib.sha256(b"A  b").hexdigest()


def _reference(rows):
    """Pure-Python model: id -> (reason, detail, dup_count), keep_by=q max, ties by id."""
    groups = {}
    for r in rows:
        if len(r) == 3 and r[1] is not None:
            groups.setdefault(re.sub(r"\s+", " ", r[1].lower()).strip(), []).append(r)
    out = {r[0]: (PRE[0], PRE[2], None) for r in rows if len(r) > 3}
    out.update({r[0]: (None, None, None) for r in rows if len(r) == 3 and r[1] is None})
    for members in groups.values():
        members.sort(key=lambda r: (r[2] is None, -(r[2] or 0), r[0]))
        keeper = members[0][0]
        out[keeper] = (None, None, len(members))
        out.update({r[0]: (DUP, f"duplicate of {keeper}", len(members)) for r in members[1:]})
    return out


def test_deterministic_across_partitionings_and_matches_reference(spark):
    rng = random.Random(11)
    words = ["alpha", "Alpha", "beta", " beta ", "gamma\t", "GAMMA", "delta", None]
    rows = []
    for i in rng.sample(range(100_000), 150):
        text = rng.choice(words)
        q = rng.choice([None, 0.1, 0.5, 0.5, 0.9])  # ties and nulls in keep_by
        rows.append((i, text, q, PRE) if rng.random() < 0.25 else (i, text, q))
    df = make(spark, rows)
    op = bind(keep_by="q", dup_count=True)
    one = collect(op.transform(df.repartition(1)), "dup_count")
    seven = collect(op.transform(df.repartition(7)), "dup_count")
    assert one == seven
    assert {i: (v[0], v[2], v[3]) for i, v in one.items()} == _reference(rows)


def test_transform_is_lazy(spark):
    df = make(spark, [(1, "x", 1.0), (2, "x", 2.0)])
    sc = spark.sparkContext
    sc.setJobGroup("exact-lazy", "no actions inside transform")
    try:
        bind(keep_by="q", dup_count=True, hash_column="h").transform(df)
        assert list(sc.statusTracker().getJobIdsForGroup("exact-lazy")) == []
    finally:
        sc.setJobGroup(None, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("params,match", [
    (dict(keep_order="min"), "keep_order only applies with keep_by"),
    (dict(hash_column=""), "at least 1 character"),
    (dict(dup_count=True, hash_column="dup_count"), "cannot be 'dup_count'"),
    (dict(keep_by="q", keep_order="first"), "max"),
    (dict(normalise=True), "Extra inputs"),
])
def test_param_validation(params, match):
    with pytest.raises(ValidationError, match=match):
        ExactDedup(**params)


def test_contract():
    assert get_operator("exact_dedup") is ExactDedup
    assert bind().adds() == []
    assert bind(dup_count=True, hash_column="h").adds() == ["dup_count", "h"]
    assert bind(hash_column="h").adds() == ["h"]
    assert bind().requires() == {"text": "string", "id": "any"}
    assert bind(keep_by="q").requires() == {"text": "string", "id": "any", "q": "any"}
    for name, field in ExactDedup.Params.model_fields.items():
        assert field.description, name
    assert "Example::" in (ExactDedup.__doc__ or "")
