"""normalize_text."""
from __future__ import annotations

import re
import unicodedata

import pytest
from pydantic import ValidationError
from pyspark.sql import functions as F

from thresher.operators.text import NormalizeText

MESSY = [
    "  Hello\u00a0\u00a0world \t!  \r\n\r\n\r\n\r\nNext\x00line\x07 here.  \n\n\n",
    "ﬁne Ｆｕｌｌ ① café — “quoted” ½",
    "e\u0301 vs \u00e9, Å vs A\u030a",
    "",
    "   \t\n  ",
    "a\rb\x0cc\x85d\x0be",
    "line one   \n   line two\n\n\n\n\nline three",
    "Ünïcödé\u3000text\u2003with\u2009odd spaces",
    "keep\ttabs\tcollapsed\t\tand  \n  ends",
    "x\x1b[31mred\x1b[0m \x7f\x9f done",
]


def py_normalize(text, form="NFKC", whitespace=True, control_chars=True):
    """What normalize_text does, in plain Python."""
    if control_chars:
        text = re.sub(r"\r\n|[\r\x0b\x0c\x85]", "\n", text)
        text = re.sub(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]+", "", text)
    if form != "none":
        text = unicodedata.normalize(form, text)
    if whitespace:
        text = re.sub(r"[\t \xa0\u1680\u2000-\u200a\u202f\u205f\u3000]+", " ", text)
        text = re.sub(r" (?=\n)", "", text)
        text = re.sub(r"\n{3,}", "\n\n", text)
        text = text.strip()
    return text


CONFIGS = [{}, {"form": "NFC"}, {"form": "NFD"}, {"form": "NFKD"}, {"form": "none"},
           {"whitespace": False}, {"control_chars": False}, {"form": "NFC", "whitespace": False},
           {"form": "none", "whitespace": False, "control_chars": False}]


def test_matches_python_reference(make_df, english):
    texts = MESSY + list(english.values())
    df = make_df(texts)
    cols = [NormalizeText(**cfg).normalized(F.col("text")).alias(f"c{i}")
            for i, cfg in enumerate(CONFIGS)]
    rows = df.select("text", *cols).collect()
    for row in rows:
        for i, cfg in enumerate(CONFIGS):
            assert row[f"c{i}"] == py_normalize(row["text"], **cfg), (cfg, row["text"])
    # all switches off is the identity
    assert all(row[f"c{len(CONFIGS) - 1}"] == row["text"] for row in rows)


def test_transform_in_place(run_op):
    texts = [MESSY[0], None, MESSY[1], "  already dropped  ", "plain text"]
    out = run_op(NormalizeText(), texts, dropped={3: "earlier:reason"})
    assert out[0].text == "Hello world !\n\nNextline here."
    assert out[1].text is None  # ICU never sees a null
    assert out[2].text == "fine Full 1 café — \u201cquoted\u201d 1\u20442"
    assert out[3] == ("  already dropped  ", "earlier:reason", 0, "earlier")  # untouched
    assert out[4].text == "plain text"
    assert all(r.reason is None for i, r in out.items() if i != 3)  # never drops


def test_requires_and_adds():
    op = NormalizeText()
    assert op.requires() == {"text": "string"}
    assert op.adds() == []


@pytest.mark.parametrize("params, message", [
    ({"form": "NFX"}, "'NFC', 'NFKC', 'NFD', 'NFKD' or 'none'"),
    ({"whitespace": "maybe"}, "valid boolean"),
    ({"lowercase": True}, "Extra inputs are not permitted"),
])
def test_param_validation(params, message):
    with pytest.raises(ValidationError, match=message):
        NormalizeText(**params)
