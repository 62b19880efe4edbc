"""Predictive strength in Spark against plain Python and scipy; benchmark-file checks."""
from __future__ import annotations

import math
import random

import pytest
from scipy import stats

from thresher.operators.errors import PreSelectError
from thresher.scorers.preselect.benchmarks import check_models, load_benchmarks
from thresher.scorers.preselect.strength import ordered_pairs, with_predictive_strength

SCORES = {"m1": 0.30, "m2": 0.45, "m3": 0.41, "m4": 0.52}
TIED = {"m1": 0.30, "m2": 0.45, "m3": 0.45, "m4": 0.52}  # m2, m3: no pair between them


def table(spark, seed=0):
    """Random BPCs with ties (values on a coarse grid), a null and a NaN."""
    rng = random.Random(seed)
    rows = []
    for i in range(200):
        rows.append((i, *[rng.choice([0.8, 0.9, 1.0, 1.1, 1.2]) for _ in range(4)]))
    rows.append((200, 1.0, None, 1.1, 0.9))
    rows.append((201, 1.0, float("nan"), 1.1, 0.9))
    rows.append((202, 1.4, 1.2, 1.3, 1.0))  # ranks the models exactly as SCORES does
    return rows, spark.createDataFrame(rows, "id long, m1_bpc double, m2_bpc double, "
                                             "m3_bpc double, m4_bpc double")


def python_count(bpc: dict, scores: dict) -> int:
    return sum(1 for a in scores for b in scores
               if scores[a] > scores[b] and bpc[a] < bpc[b])


@pytest.mark.filterwarnings("ignore:An input array is constant")  # scipy, all BPCs equal
@pytest.mark.parametrize("scores", [SCORES, TIED], ids=["distinct", "tied"])
@pytest.mark.parametrize("method", ["spearman", "kendall"])
def test_count_norm_and_correlation_equal_python_and_scipy(spark, scores, method):
    rows, df = table(spark)
    got = {r.id: r for r in with_predictive_strength(df, scores, output="ps",
                                                     correlation=method).collect()}
    pairs = len(ordered_pairs(scores))
    assert pairs == (6 if scores is SCORES else 5)
    for row in rows:
        r = got[row[0]]
        bpc = dict(zip(["m1", "m2", "m3", "m4"], row[1:]))
        if any(v is None or math.isnan(v) for v in bpc.values()):
            assert r.ps is None and r.ps_norm is None and r[f"ps_{method}"] is None
            continue
        want = python_count(bpc, scores)
        assert r.ps == want and r.ps_norm == pytest.approx(want / pairs)
        x, y = [bpc[m] for m in scores], [scores[m] for m in scores]
        ref = (stats.spearmanr(x, y) if method == "spearman" else stats.kendalltau(x, y)).statistic
        if math.isnan(ref):  # every BPC equal
            assert r[f"ps_{method}"] is None
        else:
            assert r[f"ps_{method}"] == pytest.approx(ref, abs=1e-12)
    best = got[202]
    if scores is SCORES:  # perfectly predictive: every pair, and correlation -1
        assert best.ps == 6 and best.ps_norm == 1.0 and best[f"ps_{method}"] == pytest.approx(-1)


def test_benchmark_files_are_checked(tmp_path):
    good = tmp_path / "scores.yaml"
    good.write_text("m1: 0.3\nm2: 0.45\nm3: 41\n")
    assert load_benchmarks(str(good)) == {"m1": 0.3, "m2": 0.45, "m3": 41.0}
    cases = {
        "m1: 0.3\nm2: 0.4\n": "at least 3 models, found 2 .m1, m2.",
        "m1: 0.3\nm2: high\nm3: 0.5\n": "score of model 'm2' must be a number, found 'high'",
        "m1: 0.3\nm2: true\nm3: 0.5\n": "score of model 'm2' must be a number",
        "m1: 0.3\nm-2: 0.4\nm3: 0.5\n": "model name 'm-2' is not usable as a column prefix",
        "[m1, m2, m3]\n": "expected a mapping of model name to benchmark score",
        "m1: 0.5\nm2: 0.5\nm3: 0.5\n": "every model has the same benchmark score",
    }
    for text, message in cases.items():
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(PreSelectError, match=message) as info:
            load_benchmarks(str(bad))
        assert str(bad) in str(info.value)
    with pytest.raises(PreSelectError, match="not found: .*nowhere.yaml"):
        load_benchmarks(str(tmp_path / "nowhere.yaml"))


def test_models_and_benchmarks_must_be_the_same_set():
    scores = {"m1": 0.3, "m2": 0.4, "m3": 0.5}
    check_models(scores, ["m3", "m1", "m2"], where="--models", scores_where="s.yaml")
    with pytest.raises(PreSelectError, match="m3 have a benchmark score in s.yaml but no "
                                             "losses in --models"):
        check_models(scores, ["m1", "m2"], where="--models", scores_where="s.yaml")
    with pytest.raises(PreSelectError, match="m9 in --models have no benchmark score"):
        check_models(scores, ["m1", "m2", "m3", "m9"], where="--models", scores_where="s.yaml")
