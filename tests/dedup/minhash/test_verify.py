"""``verify: true`` (issue 16): recall-tuned banding, every pair of a bucket verified
(pivots in hot buckets), the signature estimate before the exact check."""
from __future__ import annotations

import pytest
from pydantic import ValidationError
from pyspark.sql import functions as F

from thresher.dedup.minhash import MinHashConfig, reference_shingles
from thresher.dedup.minhash.config import candidate_probability, optimal_bands_rows, recall_bands_rows
from thresher.dedup.minhash.lsh import BANDS, NORM, band_keys, candidate_edges, verify_edges
from thresher.dedup.minhash.operator import MinHashDedup
from thresher.dedup.minhash.verify import (HOT, bucket_pairs, bucket_report, estimate_floor,
                                           estimated_pairs)
from thresher.operators.base import DROP_REASON, StepContext
from tests.dedup.minhash.test_operator import SCHEMA

WORDS = ("alder birch cedar dogwood elm fir ginkgo hazel ivy juniper kapok larch maple "
         "nutmeg oak pine quince rowan spruce teak umbrella viburnum willow xylosma yew "
         "zelkova acacia beech cherry date ebony fig guava holly ilex jacaranda").split()
OTHER_WORDS = "one two three four five six seven eight nine ten eleven twelve".split()


def test_recall_tuned_banding_reaches_the_target_at_the_threshold():
    for threshold in (0.5, 0.7, 0.8, 0.85, 0.9):
        for num_perm in (64, 128, 256):
            for target in (0.9, 0.99):
                b, r = recall_bands_rows(threshold, num_perm, target)
                assert b * r <= num_perm
                assert candidate_probability(threshold, b, r) >= target
                # no cheaper option reaches the target with fewer rows and the same bands
                if r > 1 and b * (r - 1) <= num_perm:
                    assert candidate_probability(threshold, b, r - 1) >= target
    # the documented examples; datasketch's balanced choice misses most pairs at 0.8
    assert recall_bands_rows(0.8, 128, 0.99) == (16, 6)
    assert optimal_bands_rows(0.8, 128) == (9, 13)
    assert candidate_probability(0.8, 9, 13) < 0.5
    with pytest.raises(ValueError, match="raise num_perm or lower target_recall"):
        recall_bands_rows(0.3, 4, 0.99)


def test_banding_choice_follows_verify():
    assert MinHashDedup.Params().config().bands_rows() == (9, 13)
    verified = MinHashDedup.Params(verify=True)
    assert verified.config().bands_rows() == (16, 6)
    assert MinHashDedup.Params(verify=True, target_recall=0.9).config().bands_rows() != (16, 6)
    assert MinHashDedup.Params(verify=True, bands=9, rows=13).config().bands_rows() == (9, 13)
    # band keys of the two choices never compare: the index and stage keys differ
    assert verified.signature_params()["bands"] == 16
    assert MinHashDedup.Params().signature_params()["bands"] is None
    for bad in ({"target_recall": 0.9}, {"max_bucket": 10},
                {"verify": True, "bands": 9, "rows": 13, "target_recall": 0.9},
                {"verify": True, "num_perm": 4, "threshold": 0.3}):
        with pytest.raises(ValidationError):
            MinHashDedup.Params(**bad)
    with pytest.raises(ValueError, match="not both"):
        MinHashConfig(bands=2, rows=2, target_recall=0.9)


def _bucket_of(spark, texts: dict[str, str], cfg: MinHashConfig):
    """Real signatures, but every document in one band bucket (key 1)."""
    docs = spark.createDataFrame(sorted(texts.items()), f"id string, {NORM} string")
    keys = band_keys(docs, "id", cfg, signatures=True).withColumn(BANDS, F.array(F.lit(1).cast("long")))
    return docs, keys


def test_a_pair_the_smallest_id_misses_is_found(spark):
    cfg = MinHashConfig(num_perm=128, ngram=3, threshold=0.8, target_recall=0.99)
    x = " ".join(WORDS)
    texts = {"m": " ".join(WORDS[:24] + OTHER_WORDS),  # the bucket's smallest id
             "x": x, "y": x + " zebra"}
    jac = {(a, b): len(reference_shingles(texts[a], cfg) & reference_shingles(texts[b], cfg))
           / len(reference_shingles(texts[a], cfg) | reference_shingles(texts[b], cfg))
           for a, b in (("m", "x"), ("m", "y"), ("x", "y"))}
    assert jac[("m", "x")] < 0.8 and jac[("m", "y")] < 0.8 <= jac[("x", "y")]
    docs, keys = _bucket_of(spark, texts, cfg)
    # the star (verify: false's candidates) links x and y only through m: both edges fail
    star = candidate_edges(keys, "id")
    assert verify_edges(star, docs, "id", cfg).count() == 0
    pairs = bucket_pairs(keys, "id", max_bucket=256)
    assert {(r["src"], r["dst"]) for r in pairs.collect()} == {("m", "x"), ("m", "y"), ("x", "y")}
    estimated = estimated_pairs(pairs, keys, "id", cfg)
    found = {(r["src"], r["dst"]): r["jaccard"]
             for r in verify_edges(estimated, docs, "id", cfg).collect()}
    assert found == {("x", "y"): pytest.approx(jac[("x", "y")])}


def test_hot_buckets_pair_pivots_only_and_are_reported(spark):
    cfg = MinHashConfig(num_perm=32, ngram=2, threshold=0.8)
    texts = {f"d{i}": f"common words here number {i}" for i in range(6)}
    _, keys = _bucket_of(spark, texts, cfg)
    pairs = bucket_pairs(keys, "id", max_bucket=4, pivots=2)
    rows = pairs.collect()
    edges = {(r["src"], r["dst"]) for r in rows if r["src"] is not None}
    # d0 and d1 with everyone after them: 5 + 4 pairs, not 15
    assert edges == {(f"d{a}", f"d{b}") for a in (0, 1) for b in range(a + 1, 6)}
    assert [r[HOT] for r in rows if r["src"] is None] == [6]
    assert bucket_report(pairs) == {"candidate_pairs": 9.0, "hot_buckets": 1.0,
                                    "hot_bucket_members": 6.0, "largest_hot_bucket": 6.0}
    small = bucket_pairs(keys, "id", max_bucket=6)  # not hot: all 15 pairs
    assert bucket_report(small)["candidate_pairs"] == 15.0 and bucket_report(small)["hot_buckets"] == 0


def test_the_estimate_drops_far_pairs_before_any_text_moves(spark):
    cfg = MinHashConfig(num_perm=128, ngram=3, threshold=0.8)
    assert 0.68 < estimate_floor(cfg) < 0.7  # 3 standard deviations at J = 0.8
    x = " ".join(WORDS)
    texts = {"a": x, "b": x + " zebra", "c": " ".join(OTHER_WORDS)}
    _, keys = _bucket_of(spark, texts, cfg)
    kept = estimated_pairs(bucket_pairs(keys, "id", 256), keys, "id", cfg).collect()
    assert [(r["src"], r["dst"]) for r in kept] == [("a", "b")]
    assert kept[0]["estimate"] >= estimate_floor(cfg)


def test_operator_reports_hot_buckets_and_estimates(spark):
    x = " ".join(WORDS)
    rows = [("a", x, 0.0, None, None, None), ("b", x + " zebra", 0.0, None, None, None),
            ("c", " ".join(OTHER_WORDS), 0.0, None, None, None)]
    op = MinHashDedup(ngram=3, verify=True)
    op = op.bind(StepContext(text_column="text", id_column="id", step=2, op_name=op.name))
    out = op.transform(spark.createDataFrame(rows, SCHEMA))
    assert {r["id"] for r in out.where(F.col(DROP_REASON).isNull()).collect()} == {"a", "c"}
    report = op.report()
    assert report["pairs_after_verify"] == 1.0
    assert report["candidate_pairs"] >= report["pairs_after_estimate"] >= 1.0
    assert report["hot_buckets"] == 0.0
    op.release()


def _plan_nodes(df):
    """Every node of ``df``'s optimised logical plan (through the JVM)."""
    def walk(node):
        yield node
        kids = node.children()
        for i in range(kids.size()):
            yield from walk(kids.apply(i))
    return list(walk(df._jdf.queryExecution().optimizedPlan()))


def test_pairs_join_hash_arrays_not_texts(spark):
    """Each document is shingled once; the pair joins carry arrays of 64-bit hashes,
    no text (the old verify joined both texts to every edge and scored in Python)."""
    from thresher.dedup.minhash.reference import jaccard

    cfg = MinHashConfig(num_perm=128, ngram=3, threshold=0.5)
    x = " ".join(WORDS)
    texts = {0: x, 1: x + " zebra", 2: x.replace("elm", "ash"), 3: " ".join(OTHER_WORDS), 4: "lone"}
    docs = spark.createDataFrame(sorted(texts.items()), f"id long, {NORM} string")
    edges = spark.createDataFrame([(0, 1), (0, 2), (1, 2), (0, 3), (3, 4)], "src long, dst long")
    out = verify_edges(edges, docs, "id", cfg)
    joins = [n for n in _plan_nodes(out) if n.nodeName() == "Join"]
    pair_joins = [j for j in joins if j.joinType().toString() == "Inner"]
    assert len(pair_joins) == 2
    for join in pair_joins:
        types = [a.dataType().simpleString() for a in _seq(join.output())]
        assert "string" not in types and "array<bigint>" in types, types
    got = {(r["src"], r["dst"]): r["jaccard"] for r in out.collect()}
    expected = {(a, b): jaccard(texts[a], texts[b], cfg) for a, b in
                [(0, 1), (0, 2), (1, 2), (0, 3), (3, 4)]}
    assert got == {k: v for k, v in expected.items() if v >= 0.5} and len(got) == 3
    # both joins read one shuffle of the sets: each document was shingled once
    final = out._jdf.queryExecution().executedPlan().toString().split("== Initial Plan ==")[0]
    assert final.count("MapInArrow shingle") == 1 and "ReusedExchange" in final, final


def _seq(scala_seq) -> list:
    return [scala_seq.apply(i) for i in range(scala_seq.size())]
