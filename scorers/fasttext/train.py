"""Training a fastText quality classifier (DCLM-style: positives vs negatives).

Reads a Parquet file or folder with a text and a label column, holds out a
deterministic share of rows for evaluation, trains with the ``fasttext`` library
(the ``fasttext`` extra) and writes the model plus ``<model>.eval.json``: precision,
recall and F1 per label on the held-out rows, and the counts. Texts become one line
each (newlines read as spaces, as the scorers read them); rows with a null or blank
text or a null label are skipped and counted.

Example::

    from thresher.scorers.fasttext.train import TrainConfig, train_classifier
    report = train_classifier("data/train.parquet", "out/quality.bin",
                              TrainConfig(epoch=3, word_ngrams=2))
    report["eval"]["labels"]["__label__hq"]["precision"]
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from thresher.operators.errors import InputError, MissingDependencyError, ThresherError

LABEL_PREFIX = "__label__"
_SPACE = re.compile(r"\s")


FASTTEXT_BUCKETS = 2_000_000
BUCKET_HELP = ("hash buckets of word and char n-grams (default: sized to the training set, "
               f"at most fastText's {FASTTEXT_BUCKETS:,})")


# fastText 0.9.2 diverged ("Encountered NaN") on a 108-line set with 1024 buckets
# whenever the process had imported more before training (reproduced; 4096 and up
# trained), so tables stay at least this big (1.6 MB at dim 100).
MIN_BUCKETS = 4096


def sized_buckets(tokens: int, word_ngrams: int, minn: int, maxn: int) -> int:
    """Buckets for a training set of ``tokens`` words: a power of two at least twice
    the n-grams it can hash (a table at most half full), at most fastText's 2M.

    fastText's fixed 2M rows x ``dim`` floats make even a model of 20 examples 800 MB,
    which every executor then loads; n-grams of a small set fill a few thousand.
    No n-grams (word_ngrams 1, no char n-grams): no buckets, as fastText's CLI does.
    """
    per_token = max(word_ngrams - 1, 0) + (maxn - minn + 1 if maxn > 0 else 0)
    if per_token == 0:
        return 0
    return min(FASTTEXT_BUCKETS, max(MIN_BUCKETS, 1 << (2 * tokens * per_token - 1).bit_length()))


class TrainConfig(BaseModel):
    """fastText's supervised hyperparameters (its defaults) and the held-out split."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    epoch: int = Field(5, ge=1)
    lr: float = Field(0.1, gt=0)
    word_ngrams: int = Field(1, ge=1, description="fastText wordNgrams")
    dim: int = Field(100, ge=1)
    minn: int = Field(0, ge=0, description="shortest char n-gram (0: none)")
    maxn: int = Field(0, ge=0, description="longest char n-gram (0: none)")
    min_count: int = Field(1, ge=1, description="fastText minCount")
    loss: Literal["softmax", "ova", "hs", "ns"] = "softmax"
    bucket: int | None = Field(None, ge=0, description=BUCKET_HELP)
    thread: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1), ge=1)
    seed: int = Field(0, ge=0, description="seeds the held-out split and fastText")
    valid_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="rows held out to evaluate")
    quantize: bool = Field(False, description="write a quantized .ftz (smaller, ~same scores)")

    def sized_for(self, tokens: int) -> "TrainConfig":
        """This config with ``bucket`` resolved for a training set of ``tokens`` words."""
        if self.bucket is not None:
            return self
        return self.model_copy(update={"bucket": sized_buckets(tokens, self.word_ngrams,
                                                               self.minn, self.maxn)})

    def fasttext_args(self) -> dict:
        """Keyword arguments of ``fasttext.train_supervised``; ``bucket`` must be resolved."""
        if self.bucket is None:
            # A silent fallback to fastText's 2M buckets would write a ~800 MB model for a
            # small training set: the very thing sized_for exists to prevent.
            raise ThresherError("TrainConfig.bucket is unresolved: call sized_for(tokens) first")
        return dict(epoch=self.epoch, lr=self.lr, wordNgrams=self.word_ngrams, dim=self.dim,
                    minn=self.minn, maxn=self.maxn, minCount=self.min_count, loss=self.loss,
                    bucket=self.bucket, thread=self.thread, seed=self.seed, verbose=0)


def read_labelled(path: str, text_column: str, label_column: str) -> tuple[list[str], list[str], int]:
    """``(lines, labels, skipped)``: one-line texts and ``__label__`` labels of ``path``."""
    import pyarrow.dataset as ds

    try:
        data = ds.dataset(path, format="parquet")
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise InputError(f"training input {path}: cannot read it as Parquet: {exc}") from exc
    names = data.schema.names
    for role, column in (("text", text_column), ("label", label_column)):
        if column not in names:
            raise InputError(f"training input {path}: no {role} column '{column}' "
                             f"(columns: {', '.join(names)})")
    table = data.to_table(columns=[text_column, label_column])
    lines, labels, skipped = [], [], 0
    for text, label in zip(table.column(0).to_pylist(), table.column(1).to_pylist()):
        if text is None or not text.strip() or label is None:
            skipped += 1
            continue
        name = str(label)
        if not name or _SPACE.search(name):
            raise InputError(f"training input {path}: label {name!r} in column '{label_column}' "
                             "is empty or contains whitespace; fastText labels are single tokens")
        lines.append(one_line(text))
        labels.append(name if name.startswith(LABEL_PREFIX) else LABEL_PREFIX + name)
    return lines, labels, skipped


def check_trainable() -> None:
    """Raise ``ValueError`` (a recipe param error) when the fastText library is missing."""
    try:
        import fasttext  # noqa: F401
    except ImportError:
        raise ValueError("training needs the fastText library: "
                         "pip install 'thresher[fasttext]'") from None


def one_line(text: str) -> str:
    """The text as fastText reads a training line: newlines and runs of white space as
    one space (the scorers read newlines as spaces too)."""
    return " ".join(text.split())


def split(n: int, valid_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(train, valid)``: a seeded permutation, the same on every machine."""
    order = np.random.default_rng(seed).permutation(n)
    n_valid = int(round(n * valid_fraction))
    return np.sort(order[n_valid:]), np.sort(order[:n_valid])


def evaluate(predicted: list[str], truth: list[str], labels: list[str]) -> dict:
    """Accuracy and, per label, precision / recall / F1 / support of top-1 predictions."""
    per_label = {}
    for label in labels:
        tp = sum(p == label and t == label for p, t in zip(predicted, truth))
        n_pred = sum(p == label for p in predicted)
        n_true = sum(t == label for t in truth)
        precision = tp / n_pred if n_pred else None
        recall = tp / n_true if n_true else None
        f1 = (2 * precision * recall / (precision + recall)
              if precision and recall else (0.0 if n_pred and n_true else None))
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1, "support": n_true}
    correct = sum(p == t for p, t in zip(predicted, truth))
    return {"accuracy": correct / len(truth) if truth else None, "n": len(truth),
            "labels": per_label}


def train_classifier(input_path: str, out: str, config: TrainConfig | None = None, *,
                     text_column: str = "text", label_column: str = "label") -> dict:
    """Train on ``input_path``, write the model to ``out`` and ``out + '.eval.json'``;
    return the evaluation report. ``out`` is replaced only when training succeeded."""
    lines, labels, skipped = read_labelled(input_path, text_column, label_column)
    distinct = sorted(set(labels))
    if len(distinct) < 2:
        raise InputError(f"training input {input_path}: column '{label_column}' needs at least "
                         f"two labels, found {distinct or 'none'} in {len(labels)} usable rows")
    return fit_classifier(lines, labels, out, config, source=input_path, skipped=skipped)


def fit_classifier(lines: list[str], labels: list[str], out: str,
                   config: TrainConfig | None = None, *, source: str, skipped: int = 0,
                   sample: dict | None = None) -> dict:
    """Train on one-line texts and ``__label__`` labels (what ``read_labelled`` gives), write
    the model to ``out`` and ``out + '.eval.json'``; return the evaluation report.
    ``source`` names the data in the report; ``skipped`` counts rows left out before;
    ``sample`` (how the rows were bounded, e.g. ``max_train_rows``) goes in the report."""
    config = config or TrainConfig()
    try:
        import fasttext
    except ImportError as exc:
        raise MissingDependencyError("training needs the fastText library: "
                                     "pip install 'thresher[fasttext]'") from exc
    distinct = sorted(set(labels))
    train_idx, valid_idx = split(len(lines), config.valid_fraction, config.seed)
    folder = os.path.dirname(os.path.abspath(out))
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".thresher-train-", dir=folder) as tmp:
        train_file = os.path.join(tmp, "train.txt")
        tokens = 0
        with open(train_file, "w", encoding="utf-8") as fh:
            for i in train_idx:
                fh.write(f"{labels[i]} {lines[i]}\n")
                tokens += lines[i].count(" ") + 1
        config = config.sized_for(tokens)
        staged = os.path.join(tmp, "model")
        config, failed = _train_in_child(train_file, config, staged, source)
        model = fasttext.load_model(staged)
        predicted = [p[0] for p in model.predict([lines[i] for i in valid_idx], k=1)[0]]
        report = {
            "model": os.path.abspath(out), "input": source, "config": config.model_dump(),
            "rows": {"usable": len(lines), "skipped": skipped, "train": len(train_idx),
                     "valid": len(valid_idx)},
            "label_counts": {k: labels.count(k) for k in distinct},
            "eval": evaluate(predicted, [labels[i] for i in valid_idx], distinct)}
        if sample is not None:
            report["sample"] = sample
        if failed:
            report["failed_attempts"] = failed
        os.replace(staged, out)  # same folder: atomic, the old model stays until now
    with open(out + ".eval.json", "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2)
    return report


def _fallbacks(config: TrainConfig) -> list[TrainConfig]:
    """The configs tried in turn: as given, then on one thread, then (with n-grams)
    also with 8x the hash buckets, then also at half the learning rate.

    Divergence ("Encountered NaN") is fastText's answer to a learning rate too high for
    the data, to its lock-free threads racing on a small training set, and (0.9.2) to a
    small n-gram table on some runs; each step removes one cause. The report says which
    config trained the model.
    """
    steps = [config]
    if config.thread > 1:
        steps.append(config.model_copy(update={"thread": 1}))
    if config.bucket:  # steps[-1] is on one thread from here on
        bigger = min(FASTTEXT_BUCKETS, 8 * config.bucket)
        steps.append(steps[-1].model_copy(update={"bucket": bigger}))
    steps.append(steps[-1].model_copy(update={"lr": config.lr / 2}))
    return steps


def _train_in_child(train_file: str, config: TrainConfig, out: str, source: str
                    ) -> tuple[TrainConfig, list[dict]]:
    """Train and save in a fresh Python process; on a failure, again with the next of
    ``_fallbacks``. Returns the config that trained the model and the failed attempts.

    fastText 0.9.2 keeps state between trainings in one process: after one model the
    next often diverges ("Encountered NaN"), so a notebook or a recipe that trains
    twice in one session would fail at random. A fresh process per model does not.
    It is a plain ``python -m`` child, not multiprocessing's spawn: spawn re-imports
    the caller's ``__main__``, so a job script without an ``if __name__ ==
    "__main__"`` guard (most spark-submit scripts) would run itself again in the child.
    """
    failed = []
    for attempt in _fallbacks(config):
        args = [sys.executable, "-m", "thresher.scorers.fasttext.train_child", train_file,
                json.dumps(attempt.model_dump()), out]
        code = subprocess.run(args, stdin=subprocess.DEVNULL).returncode  # its errors go to our stderr
        if code == 0 and os.path.exists(out):
            return attempt, failed
        failed.append({"lr": attempt.lr, "thread": attempt.thread, "bucket": attempt.bucket,
                       "exit_code": code})
    tried = "; ".join(f"lr {f['lr']:g} on {f['thread']} thread(s), {f['bucket']} buckets: "
                      f"exit code {f['exit_code']}" for f in failed)
    raise InputError(f"training on {source} failed {len(failed)} times ({tried}; fastText's "
                     "error is above): check the training data and lower the learning rate")


def train_and_save(train_file: str, config: dict, out: str) -> None:
    """One fastText training, saved to ``out`` (the child process's work)."""
    import fasttext

    cfg = TrainConfig(**config)
    model = fasttext.train_supervised(input=train_file, **cfg.fasttext_args())
    if cfg.quantize:
        model.quantize(input=train_file, retrain=True, qnorm=True)
    model.save_model(out)
