#!/usr/bin/env python3
"""Train the bundled example quality classifier, ``data/models/quality.ftz``.

A quantized supervised fastText model (labels ``__label__hq`` and ``__label__lq``)
trained on the quickstart corpus (``data/quickstart``): its ``clean`` documents are
``hq``, its ``low_quality:*`` ones ``lq``; duplicates and empty texts are left out.
Each document is one training line, newlines made spaces (as thresher scores it).
It exists so that the fastText operators' examples, notebooks and demo recipes run
without a download; it is a toy, not a quality model for real corpora.

fastText's training is not reproducible bit for bit (not even with ``thread=1`` and a
seed), so a rerun gives a slightly different file. Needs ``fasttext-numpy2-wheel``.

Usage: ``python scripts/make_fasttext_model.py`` (writes ``data/models/``).
"""
from __future__ import annotations

import glob
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "models"
TRAIN = dict(dim=16, epoch=25, lr=0.5, wordNgrams=2, bucket=20000, thread=1, seed=1,
             verbose=0)
QUANTIZE = dict(cutoff=4000, qnorm=True, retrain=False)

README = """# Bundled example model

`quality.ftz` is a toy quality classifier for examples, notebooks and demo recipes:
a quantized supervised fastText model with labels `__label__hq` and `__label__lq`,
trained by `scripts/make_fasttext_model.py` on the quickstart corpus
(`data/quickstart`, see `data/README.md` for its source and licence): the corpus's
`clean` documents are `hq`, its `low_quality:*` documents `lq`. It is not a quality
model for real corpora.

Training: {train}; quantized with {quantize}. {n_hq} hq and {n_lq} lq documents.

`lid.ftz` is a toy language identifier (twelve languages, lid.176's `__label__xx`
labels) for `language_id`, `language_filter` and `recipes/fineweb.yaml`; see `lid.md`.
"""


def main() -> None:
    import fasttext

    files = sorted(glob.glob(str(ROOT / "data" / "quickstart" / "*.parquet")))
    rows = pq.read_table(files, columns=["text", "kind"]).to_pylist()
    lines, counts = [], {"hq": 0, "lq": 0}
    for row in rows:
        text, kind = " ".join((row["text"] or "").split()), row["kind"]
        label = "hq" if kind == "clean" else "lq" if kind.startswith("low_quality") else None
        if label and text:
            lines.append(f"__label__{label} {text}")
            counts[label] += 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        train = Path(tmp) / "train.txt"
        train.write_text("\n".join(lines) + "\n", encoding="utf-8")
        for attempt in range(10):  # fastText 0.9.2 reports NaN at random on small inputs
            try:
                model = fasttext.train_supervised(str(train), **TRAIN)
                break
            except RuntimeError:
                if attempt == 9:
                    raise
    model.quantize(input=None, **QUANTIZE)
    model.save_model(str(OUT / "quality.ftz"))
    (OUT / "README.md").write_text(README.format(
        train=", ".join(f"{k}={v}" for k, v in TRAIN.items()),
        quantize=", ".join(f"{k}={v}" for k, v in QUANTIZE.items()),
        n_hq=counts["hq"], n_lq=counts["lq"]), encoding="utf-8")
    print(f"wrote {OUT / 'quality.ftz'} ({(OUT / 'quality.ftz').stat().st_size} bytes)")


if __name__ == "__main__":
    main()
