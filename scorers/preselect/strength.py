"""Predictive strength: how well a document's per-model BPC ranks the models as their
benchmark scores do. Plain Spark column expressions over one BPC column per model.

With N models and benchmark scores ``s``, every pair of models ``(i, j)`` with
``s_i > s_j`` counts 1 when ``bpc_i < bpc_j`` (the better model compresses the
document better). The **count** runs from 0 to the number of such pairs, N(N-1)/2
when no two models share a score (pairs with equal scores are not counted); the
**normalised** form divides by the number of pairs, so 1.0 = the BPCs rank the
models exactly as the benchmark does. Equal BPCs never count.

Optional correlations of the document's BPCs with the benchmark scores, over the
models: **Spearman** (Pearson of average ranks) or **Kendall's tau-b** (as
``scipy.stats.spearmanr`` / ``kendalltau``). The sign is the raw correlation of BPC
with score: **-1 is the most predictive** (better model, lower BPC), +1 the least.
It is null when every BPC of the document is equal.

A document with a null or NaN BPC for any model gets null everywhere.

Example::

    scored = with_predictive_strength(df, {"m1": 0.41, "m2": 0.45, "m3": 0.50},
                                      output="ps", correlation="spearman")
    # adds ps (int), ps_norm (double), ps_spearman (double)
"""
from __future__ import annotations

from itertools import combinations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

DEFAULT_TEMPLATE = "{model}_bpc"


def bpc_column(template: str, model: str) -> str:
    return template.replace("{model}", model)


def ordered_pairs(scores: dict[str, float]) -> list[tuple[str, str]]:
    """``(better, worse)`` for every pair of models with different benchmark scores."""
    return [(a, b) if scores[a] > scores[b] else (b, a)
            for a, b in combinations(scores, 2) if scores[a] != scores[b]]


def _average_ranks(values: list[float]) -> list[float]:
    return [1 + sum(w < v for w in values) + 0.5 * (sum(w == v for w in values) - 1)
            for v in values]


def _valid(cols: dict[str, Column]) -> Column:
    ok = F.lit(True)
    for c in cols.values():
        ok = ok & c.isNotNull() & ~F.isnan(c)
    return ok


def _sum(terms: list[Column]) -> Column:
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def strength_count(cols: dict[str, Column], scores: dict[str, float]) -> Column:
    """Pairs whose better-scored model has the strictly lower BPC (int; null if any BPC is)."""
    terms = [F.when(cols[hi] < cols[lo], 1).otherwise(0) for hi, lo in ordered_pairs(scores)]
    return F.when(_valid(cols), _sum(terms)).cast("int")


def spearman(cols: dict[str, Column], scores: dict[str, float]) -> Column:
    """Spearman's rho of the BPCs against the scores (average ranks for ties)."""
    models = list(scores)
    n = len(models)
    mean = (n + 1) / 2
    score_ranks = dict(zip(models, _average_ranks([scores[m] for m in models])))
    ranks = {}
    for m in models:
        others = [o for o in models if o != m]
        below = _sum([F.when(cols[o] < cols[m], 1.0).otherwise(0.0) for o in others])
        tied = _sum([F.when(cols[o] == cols[m], 0.5).otherwise(0.0) for o in others])
        ranks[m] = F.lit(1.0) + below + tied
    cov = _sum([(ranks[m] - mean) * (score_ranks[m] - mean) for m in models])
    var_bpc = _sum([(ranks[m] - mean) * (ranks[m] - mean) for m in models])
    var_score = sum((score_ranks[m] - mean) ** 2 for m in models)
    return F.when(_valid(cols) & (var_bpc > 0), cov / F.sqrt(var_bpc * F.lit(var_score)))


def kendall(cols: dict[str, Column], scores: dict[str, float]) -> Column:
    """Kendall's tau-b of the BPCs against the scores."""
    pairs = list(combinations(scores, 2))
    concordance = []
    bpc_ties = []
    for a, b in pairs:
        sign_score = (scores[a] > scores[b]) - (scores[a] < scores[b])
        sign_bpc = F.signum(cols[a] - cols[b])
        concordance.append(sign_bpc * sign_score)
        bpc_ties.append(F.when(cols[a] == cols[b], 1.0).otherwise(0.0))
    n0 = len(pairs)
    score_ties = sum(scores[a] == scores[b] for a, b in pairs)
    untied_bpc = F.lit(float(n0)) - _sum(bpc_ties)
    denominator = F.sqrt(untied_bpc * F.lit(float(n0 - score_ties)))
    return F.when(_valid(cols) & (untied_bpc > 0), _sum(concordance) / denominator)


def with_predictive_strength(df: DataFrame, scores: dict[str, float], *,
                             template: str = DEFAULT_TEMPLATE,
                             output: str = "predictive_strength",
                             correlation: str | None = None) -> DataFrame:
    """``df`` plus ``output`` (the count), ``<output>_norm`` and, with ``correlation``
    (``spearman`` or ``kendall``), ``<output>_<correlation>``."""
    cols = {m: F.col(bpc_column(template, m)).cast("double") for m in scores}
    count = strength_count(cols, scores)
    new = {output: count,
           f"{output}_norm": count.cast("double") / F.lit(float(len(ordered_pairs(scores))))}
    if correlation == "spearman":
        new[f"{output}_spearman"] = spearman(cols, scores)
    elif correlation == "kendall":
        new[f"{output}_kendall"] = kendall(cols, scores)
    elif correlation is not None:
        raise ValueError(f"correlation must be spearman or kendall, found {correlation!r}")
    return df.withColumns(new)
