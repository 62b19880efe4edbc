"""minhash_dedup's incremental index on a real Spark Connect server: two batches, each
deduplicated against the keepers of the runs before it, keep and reject exactly what
classic Spark does, and the index ends with the same keepers."""
from __future__ import annotations

import textwrap

import pandas as pd
import pytest

import thresher.jobs.builtins  # noqa: F401
from thresher.operators.runner import run
from tests.dedup.minhash.test_index import THIRD, write_batch
from tests.dedup.minhash.test_operator import BASE, OTHER

from .test_recipes_connect import _table, on_connect

pytestmark = pytest.mark.slow

BATCHES = [{"a": BASE, "d": OTHER, "a2": BASE + " Yes."},
           {"b": BASE.replace("forty", "fifty"), "c": BASE.upper(), "e": THIRD,
            "e2": THIRD.replace("worst", "wettest")}]


def test_index_batches_on_connect_same_as_classic(connect_url, spark, tmp_path):
    recipe = tmp_path / "incremental.yaml"
    recipe.write_text(textwrap.dedent("""
        name: incremental
        input: {format: parquet, path: unset, id_column: id}
        steps:
          - minhash_dedup: {ngram: 3, threshold: 0.5, index: unset}
        output: {format: delta, path: unset, mode: append, rejects: unset, report: false}
    """))
    batches = [write_batch(spark, tmp_path / f"b{i}", rows) for i, rows in enumerate(BATCHES)]

    def sets(engine: str, batch: str) -> list[str]:
        out = tmp_path / engine
        return [f"input.path={batch}", f"steps.1.index={out}/index", f"output.path={out}/kept",
                f"output.rejects={out}/rejects"]

    for batch in batches:
        run(recipe, spark=spark, overrides=sets("classic", batch), echo=lambda _s: None)
    # Both batches in one Connect process and session, one after the other.
    on_connect(connect_url, recipe, [*sets("connect", batches[0]), "--then", str(recipe),
                                     *sets("connect", batches[1])], tmp_path)
    for table, sort in (("kept", ["id"]), ("rejects", ["id"]), ("index", ["id", "band"])):
        classic = _table(tmp_path / "classic" / table, sort)
        connect = _table(tmp_path / "connect" / table, sort)
        if table == "index":  # run ids and output paths differ; keepers and band keys do not
            classic, connect = classic[["id", "band", "key"]], connect[["id", "band", "key"]]
        assert len(classic) > 0, table
        pd.testing.assert_frame_equal(classic, connect)
    rejects = _table(tmp_path / "connect" / "rejects", ["id"])
    details = dict(zip(rejects["id"], rejects["drop_detail"]))
    assert details["b"] == "near duplicate of indexed a (cluster of 2)"
    assert set(_table(tmp_path / "connect" / "kept", ["id"])["id"]) == {"a", "d", "e"}
