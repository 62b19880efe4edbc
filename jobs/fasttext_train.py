"""``thresher fasttext-train``: train a fastText quality classifier from labelled Parquet.

    thresher fasttext-train --input train.parquet --text-column text --label-column label \\
        --out models/quality.bin [--epoch 5 --lr 0.1 --word-ngrams 2 ...]

Writes the model and ``<out>.eval.json`` (held-out precision/recall per label) and
prints the evaluation. The code is ``scorers/fasttext/train.py``.
"""
from __future__ import annotations

import argparse

# CLI flag -> TrainConfig field, with its type and help
_HYPER = {
    "--epoch": ("epoch", int, "passes over the data (default 5)"),
    "--lr": ("lr", float, "learning rate (default 0.1)"),
    "--word-ngrams": ("word_ngrams", int, "word n-gram length (default 1)"),
    "--dim": ("dim", int, "embedding size (default 100)"),
    "--minn": ("minn", int, "shortest char n-gram (default 0: none)"),
    "--maxn": ("maxn", int, "longest char n-gram (default 0: none)"),
    "--min-count": ("min_count", int, "minimal word count (default 1)"),
    "--loss": ("loss", str, "softmax | ova | hs | ns (default softmax)"),
    "--bucket": ("bucket", int,
                 "hash buckets of n-grams (default: sized to the training set, at most 2000000)"),
    "--thread": ("thread", int, "training threads (default: all cores)"),
    "--seed": ("seed", int, "seed of the held-out split and of fastText (default 0)"),
    "--valid-fraction": ("valid_fraction", float, "share of rows held out (default 0.1)"),
}


def add_parser(sub) -> None:
    p = sub.add_parser("fasttext-train", help="train a fastText classifier on labelled Parquet",
                       description="Train a fastText quality classifier (e.g. DCLM-style "
                       "positives vs negatives) and evaluate it on held-out rows.")
    p.add_argument("--input", required=True, help="Parquet file or folder")
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", default="label", help="labels: any values without "
                   "whitespace; '__label__' is added when missing")
    p.add_argument("--out", required=True, help="model file to write (.bin; .ftz with --quantize)")
    for flag, (dest, kind, help_) in _HYPER.items():
        p.add_argument(flag, dest=dest, type=kind, default=argparse.SUPPRESS, help=help_)
    p.add_argument("--quantize", action="store_true", default=argparse.SUPPRESS,
                   help="quantize the model (a smaller .ftz)")


def run(args) -> None:
    from pydantic import ValidationError

    from thresher.operators.errors import UserError
    from thresher.scorers.fasttext.train import TrainConfig, train_classifier

    given = {dest: getattr(args, dest) for dest, *_ in _HYPER.values() if hasattr(args, dest)}
    if hasattr(args, "quantize"):
        given["quantize"] = True
    try:
        config = TrainConfig(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UserError(f"fasttext-train: --{str(first['loc'][0]).replace('_', '-')}: "
                        f"{first['msg']}") from None
    report = train_classifier(args.input, args.out, config, text_column=args.text_column,
                              label_column=args.label_column)
    rows, ev = report["rows"], report["eval"]
    print(f"trained {args.out} on {rows['train']} rows ({rows['skipped']} skipped); "
          f"held out {rows['valid']}")
    if ev["accuracy"] is not None:
        print(f"accuracy {ev['accuracy']:.4f}")
    print(f"{'label':<24} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}")
    for label, m in ev["labels"].items():
        cells = [("-" if m[k] is None else f"{m[k]:.4f}") for k in ("precision", "recall", "f1")]
        print(f"{label:<24} {cells[0]:>9} {cells[1]:>7} {cells[2]:>6} {m['support']:>8}")
    print(f"evaluation: {args.out}.eval.json")
