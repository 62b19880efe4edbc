"""PreSelect ("Predictive Data Selection: The Data That Predicts Is the Data That
Teaches", 2025): keep the documents whose losses under several models rank those
models as their benchmark scores do.

* ``benchmarks.py``: the models' benchmark scores (YAML) and the model-set checks;
* ``strength.py``: predictive strength (pair count, normalised, Spearman / Kendall)
  as Spark column expressions over one BPC column per model;
* ``examples.py``: balanced positives / negatives and the fastText selector;
* ``operator.py``: the ``predictive_strength`` and ``preselect_train`` recipe steps.

The losses come from ``scorers/lm_loss`` (the ``lm_loss`` step), the selection from
``fasttext_score`` and ``select`` (``weight: chars``).

Example::

    from thresher.scorers.preselect import balanced_examples, load_benchmarks, train_selector
    from thresher.scorers.preselect import with_predictive_strength
    scored = with_predictive_strength(df, load_benchmarks("scores.yaml"))
    train_selector(balanced_examples(scored, score="predictive_strength"), "selector.bin")
"""
from .benchmarks import check_models, load_benchmarks
from .examples import balanced_examples, fit_selector, train_selector, training_config
from .strength import with_predictive_strength

__all__ = ["balanced_examples", "check_models", "fit_selector", "load_benchmarks",
           "train_selector", "training_config", "with_predictive_strength"]
