"""MinHash's text normalisation: the compiled pass equals the SQL regexes."""
from __future__ import annotations

import random
import sys
import unicodedata

import pytest
from pyspark.sql import functions as F

from thresher.dedup.minhash.lsh import normalized
from thresher.operators.text import udfs


def _tricky_texts() -> list[str]:
    """Every punctuation and separator code point between letters, in runs, at the
    ends; plus random mixes with controls, surrogate pairs and combining marks."""
    seps = [chr(c) for c in range(sys.maxunicode + 1)
            if unicodedata.category(chr(c))[0] in "PZ" or unicodedata.category(chr(c)) == "Cc"]
    texts = [f"a{ch}b {ch}{ch}c{ch}" for ch in seps] + [f"{ch}x{ch}" for ch in seps]
    rng = random.Random(7)
    alphabet = seps[:200] + list("abcXYZ 09\t\n\r\x0b\x0c\x1c\x85\xa0") + ["😀", "𝔘", "é", "e\u0301", "ǅ", "ß", "ﬁ", "①", "Ａ", "한", "\u1100\u1161", "Å", "ﾊﾟ", "\u0301"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    return texts + ["", " ", "...", "plain words only"]


@pytest.mark.parametrize("lowercase,strip,form", [(True, True, "NFKC"), (False, False, "none"),
                                                  (True, False, "NFC"), (False, True, "none")])
def test_compiled_pass_equals_the_regexes(spark, lowercase, strip, form):
    assert udfs.enable(spark), "the text UDF jar must load in the test session"
    texts = _tricky_texts()
    df = spark.createDataFrame([(i, t) for i, t in enumerate(texts)] + [(len(texts), None)],
                               "i int, t string")
    kw = dict(lowercase=lowercase, strip_punctuation=strip, unicode_form=form)
    rows = df.select("i", normalized(F.col("t"), **kw, jvm_udf=False).alias("sql"),
                     normalized(F.col("t"), **kw, jvm_udf=True).alias("jvm")).collect()
    differ = [(texts[r["i"]] if r["i"] < len(texts) else None, r["sql"], r["jvm"])
              for r in rows if r["sql"] != r["jvm"]]
    assert not differ, differ[:5]
    # The kernel's contract: single ASCII spaces between words, none at the ends.
    for r in rows:
        if r["jvm"]:
            assert "  " not in r["jvm"] and r["jvm"].strip(" ") == r["jvm"]
    assert rows[-1]["jvm"] is None
