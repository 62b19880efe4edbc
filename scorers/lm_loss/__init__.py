"""Per-document losses of causal language models (PreSelect's first step).

``LMLossScorer.from_pretrained(folder)`` scores texts in batched sliding windows and
gives each document's total loss (nats), tokens scored, characters and bits per
character; the ``lm_loss`` operator adds them as columns (``operator.py``).

Example::

    from thresher.scorers.lm_loss import LMLossScorer
    scorer = LMLossScorer.from_pretrained("models/m1", block_size=1024, stride=512)
    scorer.score(["A document.", "Another one."]).bpc
"""
__all__ = ["LMLossScorer", "LossResult", "windows"]


def __getattr__(name):
    # Lazy: torch is an optional extra, and the operator's recipe-time checks must work
    # without importing it.
    if name in __all__:
        from . import scorer
        return getattr(scorer, name)
    raise AttributeError(f"module '{__name__}' has no attribute {name!r}")
