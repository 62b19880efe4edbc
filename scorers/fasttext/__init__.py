"""fastText classifiers as batched torch modules, with the fastText library's numbers.

``TorchFastText.from_file(path)`` loads a supervised ``.bin`` or quantized ``.ftz``
model; ``predict_proba(texts)`` gives, for every label in ``model.labels`` order,
the probability ``fasttext``'s ``predict(text, k=-1)`` reports. Tokenisation and
hashing run in numba over whole Arrow arrays (``tokens.py``); the model file is read
directly (``modelfile.py``), so executors need torch and numba but not ``fasttext``.

Example::

    from thresher.scorers.fasttext import TorchFastText
    model = TorchFastText.from_file("data/models/quality.ftz", device="auto")
    probs = model.predict_proba(["A well written paragraph.", "buy now!!!"])
"""
from .modelfile import ModelFile, read_model

__all__ = ["ModelFile", "TorchFastText", "read_model", "resolve_device"]


def __getattr__(name):
    # Lazy: torch is an optional extra, and the operators' recipe-time checks
    # (reading a model's labels) must work without importing it.
    if name in ("TorchFastText", "resolve_device"):
        from . import model
        return getattr(model, name)
    raise AttributeError(f"module '{__name__}' has no attribute {name!r}")
