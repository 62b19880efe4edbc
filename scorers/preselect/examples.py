"""Balanced positives and negatives by predictive strength, and the fastText selector.

Documents with a score (null and NaN scores and empty texts take no part) are put in
one total order: score descending, then id ascending. With ``k`` positives:

* ``top`` unset: ``k`` = the documents at the maximum score (PreSelect's choice);
* ``top`` = f: ``k`` = ceil(f x documents), computed exactly (0.1 of 30 is 3);

capped at half the documents, so that positives and negatives never overlap.
Positives are the first ``k`` of the order, negatives the last ``k`` (the lowest
scores upward; among equal scores, the highest ids), so the choice does not depend
on partitioning. The order is computed distributed (``operators/ranking.py``:
quantile buckets of the score, exact ranks within each bucket), so no task holds
every document; the counts (documents, documents at the maximum) are global
aggregates of one row.

The selector is a fastText classifier (``scorers/fasttext/train.py``) on the texts as
one line each (newlines as spaces), labels ``pos`` and ``neg``, with PreSelect's
hyperparameters by default: epoch 3, lr 0.1, wordNgrams 2.

Example::

    examples = balanced_examples(scored, score="predictive_strength", id_column="id")
    report = train_selector(examples, "out/selector.bin")
    report["preselect"]["positives"]
"""
from __future__ import annotations

import json
from fractions import Fraction

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, FloatType

from thresher.operators.errors import PreSelectError
from thresher.operators.ranking import RANK, global_ranks
from thresher.scorers.fasttext.train import LABEL_PREFIX, TrainConfig, fit_classifier, one_line

POSITIVE, NEGATIVE = "pos", "neg"
PRESELECT_TRAINING = dict(epoch=3, lr=0.1, word_ngrams=2)
_NAN_TRIES = 3  # fastText 0.9.2 diverges to NaN at random on small inputs

_K, _S, _RN, _N, _MAX, _AT_MAX = (f"_thresher_ps_{c}" for c in ("id", "score", "rn", "n", "max",
                                                                 "at_max"))


def balanced_examples(df: DataFrame, *, score: str, id_column: str = "id",
                      text_column: str = "text", top: float | None = None) -> DataFrame:
    """``id, text, score, label`` of the positives (``pos``) and negatives (``neg``)."""
    value = F.col(score).cast("double")
    usable = value.isNotNull()
    if isinstance(df.schema[score].dataType, (FloatType, DoubleType)):
        usable = usable & ~F.isnan(value)
    usable = usable & (F.coalesce(F.length(text_column), F.lit(0)) > 0)
    proj = df.where(usable).select(F.col(id_column).alias(_K), value.alias(_S))
    # A narrow projection read by several branches (ranks, counts): the caller's rows
    # are cached (preselect_train persists them), so this re-reads no scorer.
    counts = proj.agg(F.count(F.lit(1)).alias(_N), F.max(_S).alias(_MAX))
    at_max = proj.crossJoin(F.broadcast(counts)).where(F.col(_S) == F.col(_MAX)).agg(
        F.count(F.lit(1)).alias(_AT_MAX))
    ranked = global_ranks(proj, value=_S, id_column=_K, scored=F.lit(True))
    ranked = (ranked.select(_K, _S, F.col(RANK).alias(_RN))
              .crossJoin(F.broadcast(counts)).crossJoin(F.broadcast(at_max)))
    n = F.col(_N).cast("long")
    if top is None:
        k = F.col(_AT_MAX).cast("long")
    else:
        fraction = Fraction(repr(top))  # the decimal written: 0.1 -> 1/10, exactly
        k = F.floor((n * fraction.numerator + (fraction.denominator - 1))
                    / F.lit(fraction.denominator)).cast("long")
    k = F.least(k, F.floor(n / 2).cast("long"))
    label = (F.when(F.col(_RN) <= k, F.lit(POSITIVE))
             .when(F.col(_RN) > n - k, F.lit(NEGATIVE)))
    chosen = ranked.select(_K, _S, label.alias("label")).where(F.col("label").isNotNull())
    texts = df.select(F.col(id_column).alias(_K), F.col(text_column).alias("text"))
    return (chosen.join(texts, _K)
            .select(F.col(_K).alias(id_column), "text", F.col(_S).alias("score"), "label"))


def training_config(**overrides) -> TrainConfig:
    """PreSelect's defaults (epoch 3, lr 0.1, wordNgrams 2), then ``overrides``."""
    return TrainConfig(**{**PRESELECT_TRAINING, **overrides})


def train_selector(examples: DataFrame, out: str, config: TrainConfig | None = None, *,
                   source: str = "preselect examples") -> dict:
    """Collect ``examples`` (``balanced_examples``'s), train the fastText selector, write
    ``out`` and ``out + '.eval.json'``; return the report, with a ``preselect`` section
    (counts and score ranges of positives and negatives)."""
    rows = examples.select("text", "score", "label").collect()
    return fit_selector([r["text"] for r in rows], [r["label"] for r in rows],
                        [r["score"] for r in rows], out, config, source=source)


def fit_selector(texts: list[str], labels: list[str], scores: list[float], out: str,
                 config: TrainConfig | None = None, *, source: str) -> dict:
    """Train on texts labelled ``pos`` / ``neg`` (see ``train_selector``)."""
    config = config or training_config()
    by_label = {lab: [s for s, x in zip(scores, labels) if x == lab]
                for lab in (POSITIVE, NEGATIVE)}
    if not by_label[POSITIVE] or not by_label[NEGATIVE]:
        raise PreSelectError(f"{source}: no training examples: need at least 2 documents with "
                             f"a score, found {len(texts)} labelled")
    if max(scores) == min(scores):
        raise PreSelectError(f"{source}: every document has predictive strength {scores[0]}, "
                             "so positives and negatives do not differ; score more documents "
                             "or models")
    lines = [one_line(t) for t in texts]
    fast_labels = [LABEL_PREFIX + x for x in labels]
    for attempt in range(_NAN_TRIES):
        try:
            report = fit_classifier(lines, fast_labels, out, config, source=source)
            break
        except RuntimeError as exc:
            if "NaN" not in str(exc) or attempt == _NAN_TRIES - 1:
                raise
    report["preselect"] = {
        "positives": len(by_label[POSITIVE]), "negatives": len(by_label[NEGATIVE]),
        "positive_scores": [min(by_label[POSITIVE]), max(by_label[POSITIVE])],
        "negative_scores": [min(by_label[NEGATIVE]), max(by_label[NEGATIVE])]}
    with open(out + ".eval.json", "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2)
    return report
