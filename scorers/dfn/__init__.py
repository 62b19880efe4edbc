"""DFN / CLIP image-text scores: the cosine similarity DataComp and DFN filter on.

``ClipScorer.from_pretrained(path)`` loads a transformers CLIP model directory (or,
where ``open_clip`` is installed, an open_clip architecture and checkpoint) and
``score(images, texts)`` gives one float per pair, NaN where the image is missing or
cannot be decoded. Images are decoded and preprocessed with PIL and numpy
(``images.py``); ``operator.py`` has the Spark steps ``dfn_score`` and ``dfn_filter``.

Example::

    from thresher.scorers.dfn import ClipScorer
    scorer = ClipScorer.from_pretrained("models/clip-vit-b-32", device="auto")
    scores = scorer.score(image_bytes, captions, batch_size=64)
"""
from .images import Preprocess, decode
from .modeldir import check_model_dir

__all__ = ["ClipScorer", "Preprocess", "ScoredPairs", "check_model_dir", "decode",
           "random_clip"]


def __getattr__(name):
    # Lazy: torch and transformers are the optional `clip` extra, and the operators'
    # recipe-time checks must work without importing them.
    if name in ("ClipScorer", "ScoredPairs"):
        from . import model
        return getattr(model, name)
    if name == "random_clip":
        from .synthetic import random_clip
        return random_clip
    raise AttributeError(f"module '{__name__}' has no attribute {name!r}")
