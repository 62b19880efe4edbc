"""Helpers for the text-operator tests: a DataFrame of texts with thresher's internal
drop columns, and a runner that binds an operator and returns one row per id."""
from __future__ import annotations

from collections import namedtuple

import pytest

from operators.base import DROP_DETAIL, DROP_REASON, DROP_STEP, StepContext

SCHEMA = (f"id int, text string, {DROP_REASON} string, {DROP_STEP} int, {DROP_DETAIL} string")


@pytest.fixture(scope="session")
def make_df(spark):
    """``make_df(texts, dropped={id: reason})``: ids are list positions; rows in
    ``dropped`` start out dropped by an earlier step 0 with that reason."""

    def make(texts, dropped=None):
        dropped = dropped or {}
        rows = [(i, t, dropped.get(i), 0 if i in dropped else None,
                 "earlier" if i in dropped else None) for i, t in enumerate(texts)]
        return spark.createDataFrame(rows, SCHEMA)

    return make


@pytest.fixture(scope="session")
def run_op(make_df):
    """``run_op(op, texts, dropped=None)`` -> {id: Row(text, reason, step, detail)}, the
    operator bound as step 1 under its own name."""

    def run(op, texts, dropped=None):
        df = make_df(texts, dropped)
        ctx = StepContext(text_column="text", id_column="id", step=1, op_name=op.name)
        out = op.bind(ctx).transform(df)
        assert out.columns == df.columns, "text operators must not add or reorder columns"
        rows = out.select("id", "text", DROP_REASON, DROP_STEP, DROP_DETAIL).collect()
        return Results((r["id"], Result(r["text"], r[DROP_REASON], r[DROP_STEP], r[DROP_DETAIL]))
                       for r in rows)

    return run


Result = namedtuple("Result", "text reason step detail")


class Results(dict):
    """{id: Result}; ``.reasons`` is {id: reason} (None for kept rows)."""

    @property
    def reasons(self) -> dict:
        return {i: r.reason for i, r in self.items()}
