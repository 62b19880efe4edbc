#!/usr/bin/env python3
"""Train the bundled toy language-ID model, ``data/models/lid.ftz``.

A quantized supervised fastText model with lid.176's label style (``__label__en``,
``__label__de``, ...) for twelve languages, so that ``language_id`` /
``language_filter`` and ``recipes/fineweb.yaml`` run without a download. Training
text: sentences drawn from Faker's per-language word lists
(``tests/scorers/fasttext/multilingual.py``) and, for English, the lines of the
quickstart corpus's clean documents (the bundled data the recipes run on). Char
n-grams 2..4 as lid.176; hierarchical softmax as lid.176. It is a toy: for real
corpora use lid.176.bin or GlotLID.

fastText's training is not reproducible bit for bit, so a rerun gives a slightly
different file. Needs ``fasttext-numpy2-wheel`` and ``faker``.

Usage: ``python scripts/make_lid_model.py`` (writes ``data/models/lid.ftz`` and ``lid.md``).
"""
from __future__ import annotations

import glob
import importlib.util
import random
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "models"
PER_LANGUAGE = 3000
TRAIN = dict(dim=16, epoch=10, lr=0.5, minn=2, maxn=4, bucket=50000, loss="hs", thread=1,
             seed=1, verbose=0)
QUANTIZE = dict(cutoff=20000, qnorm=True, dsub=2, retrain=False)

CARD = """# lid.ftz: a toy language identifier

Written by `scripts/make_lid_model.py`. A quantized supervised fastText model, labels
`__label__<ISO 639-1>` as lid.176 has them, for {n} languages: {languages}.

Training lines: {per_language:,} sentences a language drawn from Faker's word lists
(MIT licence), plus {english:,} lines of the quickstart corpus's clean English
documents. Training: {train}; quantized with {quantize}.

It exists so that `language_id`, `language_filter` and `recipes/fineweb.yaml` run
offline. It is not a language identifier for real corpora: use lid.176.bin or GlotLID
(both are ordinary supervised fastText models the same operators read).
"""


def english_lines() -> list[str]:
    files = sorted(glob.glob(str(ROOT / "data" / "quickstart" / "*.parquet")))
    rows = pq.read_table(files, columns=["text", "kind"]).to_pylist()
    out = []
    for row in rows:
        if row["kind"] == "clean" and row["text"]:
            out += [" ".join(ln.split()) for ln in row["text"].splitlines() if len(ln.split()) >= 4]
    return out


def main() -> None:
    import fasttext

    path = ROOT / "tests" / "scorers" / "fasttext" / "multilingual.py"
    spec = importlib.util.spec_from_file_location("multilingual", path)
    multilingual = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(multilingual)
    LOCALES, training_lines = multilingual.LOCALES, multilingual.training_lines

    english = english_lines()
    lines = training_lines(PER_LANGUAGE, seed=0) + [f"__label__en {ln}" for ln in english]
    random.Random(1).shuffle(lines)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        train = Path(tmp) / "train.txt"
        train.write_text("\n".join(lines) + "\n", encoding="utf-8")
        model = fasttext.train_supervised(str(train), **TRAIN)
    model.quantize(input=None, **QUANTIZE)
    model.save_model(str(OUT / "lid.ftz"))
    (OUT / "lid.md").write_text(CARD.format(
        n=len(LOCALES), languages=", ".join(LOCALES), per_language=PER_LANGUAGE,
        english=len(english), train=", ".join(f"{k}={v}" for k, v in TRAIN.items()),
        quantize=", ".join(f"{k}={v}" for k, v in QUANTIZE.items())), encoding="utf-8")
    print(f"wrote {OUT / 'lid.ftz'} ({(OUT / 'lid.ftz').stat().st_size} bytes)")


if __name__ == "__main__":
    main()
