"""Tiny supervised fastText models trained in seconds, and the texts to score.

Training data: documents of the bundled English corpus (Python documentation),
one per line, labelled by where they come from (five labels, skewed counts, so the
hierarchical-softmax tree is several levels deep), plus lines in other scripts so
that accented, CJK and emoji words have trained rows too.
"""
from __future__ import annotations

import glob
import json
import random
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

CORPUS = Path(__file__).resolve().parents[3] / "data" / "quickstart"

UNICODE_LINES = [
    "Café déjà vu — naïve façade, crème brûlée à la carte.",
    "Die Straße ist schön; Größe über alles. Ærøskøbing, Łódź, İstanbul.",
    "日本語のテキストです。東京は大きい都市です。中文文本测试，你好世界！",
    "emoji 🎉🔥 test 👍🏽 family 👨‍👩‍👧 flags 🇫🇷🇯🇵 done ✅",
    "Привет, мир! Это тест. Ελληνικά κείμενα. مرحبا بالعالم. שלום עולם",
    "math ∑ ∫ √ ≠ ≤ ≥ ∞ and arrows → ← ↔ and quotes «guillemets» “curly”",
]

# Scored texts beyond the corpus: every odd case of fastText's tokenisation.
EDGE_TEXTS = [
    "", " ", "\t", "   \t \r \v \f  ", "\n", "\n\n  \n", "\x00", "a\x00b", "\r\n",
    "the", "The module", "zzqxj qqqzz xyzzy", "__label__typing", "__label__nope words here",
    "word __label__builtins word", "</s>", "a </s> b c d", "a</s> b", "<", ">", "<>", "<s>",
    "Café déjà vu", "日本語のテキスト", "🎉", "👨‍👩‍👧", "e\u0301", "nbsp\u00a0joined\u3000ideo",
    "tab\tseparated\vvertical\fformfeed\rcarriage", "trailing space ", " leading space",
    "UPPER lower MiXeD", "punctuation!!! ... ??? ;;; ---", "x" * 3000,
    "   many     spaces   between   words   ",
]


def corpus_docs() -> list[dict]:
    files = sorted(glob.glob(str(CORPUS / "*.parquet")))
    rows = pq.read_table(files, columns=["text", "source"]).to_pylist()
    return [r for r in rows if r["text"]]


def _label(source: str) -> str:
    for key in ("tkinter", "typing", "builtins", "pydoc_data"):
        if key in source:
            return key
    return "other"


def one_line(text: str) -> str:
    return " ".join(text.split("\n"))


def write_training_file(path: Path, n_docs: int = 500, seed: int = 0) -> Path:
    rng = random.Random(seed)
    docs = corpus_docs()[:n_docs]
    lines = [f"__label__{_label(d['source'])} {one_line(d['text'][:600])}" for d in docs]
    labels = ["tkinter", "typing", "builtins", "pydoc_data", "other"]
    for i, text in enumerate(UNICODE_LINES * 4):
        lines.append(f"__label__{labels[i % len(labels)]} {text}")
    rng.shuffle(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# Enough training that scores spread over documents (char n-gram models stay nearly
# constant with fewer epochs), some saturating at fastText's 1e-5 floor.
TRAIN = dict(dim=16, epoch=25, lr=0.5, thread=1, seed=1, verbose=0)
# name -> train_supervised kwargs (on top of TRAIN)
MODEL_KINDS = {
    "softmax_plain": dict(loss="softmax"),
    "softmax_words": dict(loss="softmax", wordNgrams=2, bucket=20000),
    "softmax_chars": dict(loss="softmax", minn=2, maxn=5, bucket=20000),
    "softmax_both": dict(loss="softmax", minn=3, maxn=6, wordNgrams=3, bucket=30000),
    "ova_both": dict(loss="ova", minn=2, maxn=4, wordNgrams=2, bucket=20000),
    "ova_plain": dict(loss="ova"),
    "ns_chars": dict(loss="ns", minn=3, maxn=5, bucket=20000),
    "hs_both": dict(loss="hs", minn=2, maxn=5, wordNgrams=2, bucket=20000),
    "hs_plain": dict(loss="hs"),
}
# name -> (base model, quantize kwargs)
QUANTIZED_KINDS = {
    "ftz_full": ("softmax_both", dict(cutoff=0)),
    "ftz_pruned": ("softmax_both", dict(cutoff=3000, qnorm=True)),
    "ftz_pruned_hs": ("hs_both", dict(cutoff=2000, dsub=4)),
}


_TRAIN = """
import json, sys, fasttext
for spec in json.loads(sys.argv[1]):
    if "base" in spec:
        model = fasttext.load_model(spec["base"])
        model.quantize(input=None, retrain=False, **spec["kwargs"])
    else:
        for attempt in range(10):  # and at random on tiny inputs
            try:
                model = fasttext.train_supervised(spec["input"], **spec["kwargs"])
                break
            except RuntimeError:
                if attempt == 9:
                    raise
    model.save_model(spec["out"])
"""


def train_spec(out: Path, *, input: Path | None = None, base: Path | None = None,
               **kwargs) -> dict:
    """One model to train on ``input`` (TRAIN + kwargs) or to quantize from ``base``."""
    if base is not None:
        return {"out": str(out), "base": str(base), "kwargs": kwargs}
    return {"out": str(out), "input": str(input), "kwargs": {**TRAIN, **kwargs}}


def train_models(*specs: dict) -> None:
    """Each model in a fresh child process: after one model, fastText 0.9.2 often
    diverges to NaN on the next one in the same process (and pytest stays clean).
    A child whose tries all diverged ("Encountered NaN", seen on the tiny no_eos
    input) is run again, fresh."""
    for spec in specs:
        for attempt in range(4):
            done = subprocess.run([sys.executable, "-c", _TRAIN, json.dumps([spec])],
                                  capture_output=True, text=True)
            if done.returncode == 0:
                break
        else:
            raise RuntimeError(f"training {spec['out']} failed:\n{done.stderr[-2000:]}")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """Every model of MODEL_KINDS as ``<name>.bin``, QUANTIZED_KINDS as ``<name>.ftz``,
    ``many_labels.bin`` (300 labels) quantized with its output as ``ftz_qout.ftz``, and
    ``no_eos.bin``, whose dictionary lacks ``</s>``."""
    root = tmp_path_factory.mktemp("fasttext_models")
    train = write_training_file(root / "train.txt")
    specs = [train_spec(root / f"{name}.bin", input=train, **kwargs)
             for name, kwargs in MODEL_KINDS.items()]
    specs += [train_spec(root / f"{name}.ftz", base=root / f"{base}.bin", **kwargs)
              for name, (base, kwargs) in QUANTIZED_KINDS.items()]
    # A quantized classifier needs >= 256 rows: 300 labels, one per 2 documents.
    many = root / "many_labels.txt"
    many.write_text("".join(f"__label__L{i % 300} {one_line(d['text'][:300])}\n"
                            for i, d in enumerate(corpus_docs()[:600])), encoding="utf-8")
    specs += [train_spec(root / "many_labels.bin", input=many, minn=3, maxn=5, bucket=5000),
              train_spec(root / "ftz_qout.ftz", base=root / "many_labels.bin", qout=True,
                         cutoff=2000)]
    # minCount above the line count prunes </s>: some texts then give no input row.
    no_eos = root / "no_eos.txt"
    no_eos.write_text("__label__a foo foo foo foo foo foo bar\n"
                      "__label__b baz baz baz baz baz baz bar\n" * 3)
    specs.append(train_spec(root / "no_eos.bin", input=no_eos, minCount=7, dim=4))
    train_models(*specs)
    return root


@pytest.fixture(scope="session")
def texts() -> list[str]:
    """Real documents (with newlines, punctuation, NBSPs), edge cases and two 100k lines."""
    docs = [d["text"] for d in corpus_docs()[1200:1400]]
    words = " ".join(docs).split()
    rng = random.Random(7)
    long_words = " ".join(rng.choice(words) for _ in range(20000))[:100_000]
    long_token = ("abcdéfg日本🎉" * 10_000)[:100_000]
    mixed = [f"{a} {b}" for a, b in zip(docs[:20], UNICODE_LINES * 4)]
    return docs + EDGE_TEXTS + UNICODE_LINES + mixed + [long_words, long_token]


def library_proba(model, labels: list[str], text: str):
    """fastText's predict(k=-1) as a vector in ``labels`` order (unreported labels: 0;
    no prediction at all: NaN), the text's newlines made spaces (predict refuses them)."""
    import numpy as np

    names, probs = model.predict(text.replace("\n", " "), k=-1)
    out = np.zeros(len(labels))
    if not names:
        return out + np.nan
    for name, p in zip(names, probs):
        out[labels.index(name)] = p
    return out


ALL_MODELS = ([f"{n}.bin" for n in MODEL_KINDS] + [f"{n}.ftz" for n in QUANTIZED_KINDS]
              + ["many_labels.bin", "ftz_qout.ftz", "no_eos.bin"])
