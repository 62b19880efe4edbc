"""alpha_ratio_filter, symbol_ratio_filter, line_end_ellipsis_filter, bullet_line_filter,
stopword_filter."""
from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from thresher.operators.base import StepContext
from thresher.operators.text import (AlphaRatioFilter, BulletLineFilter, LineEndEllipsisFilter,
                            StopwordFilter, SymbolRatioFilter)


def test_alpha_ratio(run_op, english):
    texts = ["hello world 123 456", "hello world again 123 x", "", "café ١٢٣",
             "日本語 テキスト", "2019: 12.4, 13.1", english["table"], english["prose"], "abc 1 2"]
    out = run_op(AlphaRatioFilter(), texts, dropped={8: "earlier:reason"})
    low = "alpha_ratio_filter:low_alpha_words"
    assert out.reasons == {0: low, 1: None, 2: None, 3: low, 4: None, 5: low, 6: low,
                           7: None, 8: "earlier:reason"}
    assert out[0].detail == "alpha_words=2/4=0.500 < min=0.800"  # 4/5 = 0.8 keeps (row 1)
    assert out[3].detail == "alpha_words=1/2=0.500 < min=0.800"  # Arabic-Indic digits: no letter
    assert out[8] == ("abc 1 2", "earlier:reason", 0, "earlier")


def test_alpha_ratio_custom(run_op):
    out = run_op(AlphaRatioFilter(min_ratio=0.5), ["hello world 123 456", "a 1 2"])
    assert out.reasons == {0: None, 1: "alpha_ratio_filter:low_alpha_words"}


def test_symbol_ratio(run_op, english):
    ten = "one two three four five six seven eight nine"
    texts = [f"{ten} #ten", f"{ten} #ten#", "wait... what… really", "#a ... b",
             english["hashtags"], english["prose"], "", "###"]
    out = run_op(SymbolRatioFilter(), texts)
    hashes = "symbol_ratio_filter:too_many_hashes"
    ellipses = "symbol_ratio_filter:too_many_ellipses"
    assert out.reasons == {0: None, 1: hashes, 2: ellipses, 3: hashes, 4: hashes, 5: None,
                           6: None, 7: hashes}
    assert out[1].detail == "hashes/words=2/10=0.200 > max=0.100"
    assert out[2].detail == "ellipses/words=2/3=0.667 > max=0.100"
    assert out[7].detail == "hashes/words=3/1=3.000 > max=0.100"


def test_symbol_ratio_counts_like_str_count(run_op):
    # "....." holds one "..." (non-overlapping); ratio 1/4 > 0.2, but 1/5 = 0.2 keeps
    out = run_op(SymbolRatioFilter(max_ratio=0.2), ["a b c .....", "a b c d ....."])
    assert out.reasons == {0: "symbol_ratio_filter:too_many_ellipses", 1: None}


def test_line_end_ellipsis(run_op, english):
    texts = [english["teaser"], "a...\nb\nc", "a...  \nb\nc\nd", "a…\nb\nc", "a... b\nc\nd",
             "a...\r\nb\r\nc\r\nd", "", "...", english["prose"], "a...\n\n\n\n"]
    out = run_op(LineEndEllipsisFilter(), texts)
    hit = "line_end_ellipsis_filter:ellipsis_lines"
    assert out.reasons == {0: hit, 1: hit, 2: None, 3: hit, 4: None, 5: None, 6: None,
                           7: hit, 8: None, 9: None}
    assert out[0].detail == "ellipsis_lines=3/4=0.750 > max=0.300"
    assert out[1].detail == "ellipsis_lines=1/3=0.333 > max=0.300"


def test_line_end_ellipsis_boundary(run_op):
    out = run_op(LineEndEllipsisFilter(max_ratio=0.5), ["a...\nb", "a...\nb...\nc"])
    assert out.reasons == {0: None, 1: "line_end_ellipsis_filter:ellipsis_lines"}


def test_bullet_lines(run_op, english):
    nine_of_ten = "\n".join(["• item"] * 9 + ["closing line"])
    texts = [english["bullets"], nine_of_ten, "• a\n• b\n  - c\nd", "\t* one\n   ▪ two",
             english["prose"], "", "-5 degrees\n-3 degrees", "•"]
    out = run_op(BulletLineFilter(), texts)
    hit = "bullet_line_filter:bullet_lines"
    assert out.reasons == {0: hit, 1: None, 2: None, 3: hit, 4: None, 5: None, 6: hit, 7: hit}
    assert out[0].detail == "bullet_lines=10/11=0.909 > max=0.900"


def test_bullet_lines_custom(run_op):
    op = BulletLineFilter(max_ratio=0.5, bullets=["→", "1."])
    out = run_op(op, ["→ a\n→ b\nc", "1. one\n1. two\n3. three", "• a\n• b"])
    assert out.reasons == {0: "bullet_line_filter:bullet_lines",
                           1: "bullet_line_filter:bullet_lines", 2: None}


def test_stopwords(run_op, english):
    texts = ["The cat sat on the mat", "THE dog AND cat", "theory bethel tofu",
             "with, that!", "(to) [of]", "", None, english["prose"], english["table"],
             "the_to and"]
    out = run_op(StopwordFilter(), texts)
    few = "stopword_filter:too_few_stopwords"
    assert out.reasons == {0: few, 1: None, 2: few, 3: None, 4: None, 5: few, 6: None,
                           7: None, 8: few, 9: few}
    assert out[0].detail == "stopwords=1 < min=2"
    assert out[2].detail == "stopwords=0 < min=2"


def test_stopwords_custom(run_op):
    op = StopwordFilter(stopwords=["der", "die", "das", "Straße"], min_stopwords=2)
    out = run_op(op, ["Der Hund und die Katze", "das Haus", "DIE STRASSE", "die straße"])
    assert out.reasons == {0: None, 1: "stopword_filter:too_few_stopwords",
                           2: "stopword_filter:too_few_stopwords", 3: None}
    assert StopwordFilter(min_stopwords=0).params.min_stopwords == 0


def test_metrics_match_python_on_random_text(spark, make_df, ref, engine_ctx):
    """Every count behind these filters equals the obvious Python expression."""
    rnd = random.Random(7)
    pieces = ["a", "Be", "é", "1", "#", ".", "...", "…", " ", "  ", "\t", "\n", "\r\n", "\r",
              "\u00a0", "\u2028", "\u3000", "\x0c", "•", "-", "*", "the", "WITH", "😀", "_",
              "x y", " \n\n "]
    texts = ["", " ", "\n", "😀😀 😀", "....."] + [
        "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 30))) for _ in range(300)]
    df = make_df(texts)
    ctx = engine_ctx(step=1)
    ops = {"alpha": AlphaRatioFilter(), "symbols": SymbolRatioFilter(),
           "ellipsis": LineEndEllipsisFilter(), "bullets": BulletLineFilter(),
           "stop": StopwordFilter()}
    cols = ["id", "text"] + [op.bind(ctx).metrics_struct().alias(k) for k, op in ops.items()]
    for row in df.select(*cols).collect():
        t = row["text"]
        words, lines = t.split(), t.splitlines()
        expected = {
            "alpha": {"alpha": sum(any(c.isalpha() for c in w) for w in words),
                      "words": len(words)},
            "symbols": {"hashes": t.count("#"), "ellipses": t.count("...") + t.count("…"),
                        "words": len(words)},
            "ellipsis": {"ellipsis_lines": sum(ln.rstrip().endswith(("...", "…"))
                                               for ln in lines), "lines": len(lines)},
            "bullets": {"bullet_lines": sum(ln.lstrip().startswith(ref.bullets) for ln in lines),
                        "lines": len(lines)},
            "stop": {"stopwords": sum(ref.has_word(t, w) for w in ref.stopwords)},
        }
        for k, exp in expected.items():
            assert row[k].asDict() == exp, (k, t)


@pytest.mark.parametrize("cls, params, message", [
    (AlphaRatioFilter, {"min_ratio": 1.5}, "less than or equal to 1"),
    (AlphaRatioFilter, {"min_ratio": "most"}, "valid number"),
    (SymbolRatioFilter, {"max_ratio": -0.1}, "greater than or equal to 0"),
    (LineEndEllipsisFilter, {"max_ratio": 2}, "less than or equal to 1"),
    (BulletLineFilter, {"bullets": []}, "non-empty list"),
    (BulletLineFilter, {"bullets": ["•", ""]}, "non-empty list"),
    (BulletLineFilter, {"bullet": ["•"]}, "Extra inputs are not permitted"),
    (StopwordFilter, {"min_stopwords": 9}, r"min_stopwords \(9\) is more than the 8"),
    (StopwordFilter, {"stopwords": "the"}, "valid list"),
    (StopwordFilter, {"stopwords": ["the", " "]}, "non-empty strings"),
])
def test_param_validation(cls, params, message):
    with pytest.raises(ValidationError, match=message):
        cls(**params)
