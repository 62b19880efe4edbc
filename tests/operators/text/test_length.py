"""char_count_filter, word_count_filter, mean_word_length_filter."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from thresher.operators.text import CharCountFilter, MeanWordLengthFilter, WordCountFilter


def test_char_count_bounds_keep_and_details(run_op):
    texts = ["", "abcd", "abcde", "abcdefghij", "abcdefghijk", "héllo😀", None, "x"]
    out = run_op(CharCountFilter(min=5, max=10), texts, dropped={7: "earlier:reason"})
    assert out.reasons == {
        0: "char_count_filter:too_few_chars", 1: "char_count_filter:too_few_chars",
        2: None, 3: None,  # exactly min and exactly max keep
        4: "char_count_filter:too_many_chars",
        5: None,  # 6 code points: Spark length counts like Python len
        6: None,  # null text: no measurement, no drop
        7: "earlier:reason",
    }
    assert out[1].detail == "chars=4 < min=5"
    assert out[4].detail == "chars=11 > max=10"
    assert out[0].step == 1
    # an earlier drop is left exactly as it was
    assert out[7] == ("x", "earlier:reason", 0, "earlier")
    assert out[2] == ("abcde", None, None, None)


def test_char_count_defaults_drop_only_empty(run_op):
    out = run_op(CharCountFilter(), ["", " ", "a" * 10_000])
    assert out.reasons == {0: "char_count_filter:too_few_chars", 1: None, 2: None}
    assert CharCountFilter(min=None, max=None).rules() == []


def test_word_count_whitespace_tokens(run_op):
    texts = ["", "   \n\t ", "one", "one two", "one two three", "a\u00a0b\u3000c",
             "1 2 3 4 5", "  1 2 3 4 5 6  ", "x\ny\r\nz", "one two"]
    out = run_op(WordCountFilter(min=3, max=5), texts, dropped={9: "earlier:reason"})
    few, many = "word_count_filter:too_few_words", "word_count_filter:too_many_words"
    assert out.reasons == {0: few, 1: few, 2: few, 3: few, 4: None, 5: None, 6: None,
                           7: many, 8: None, 9: "earlier:reason"}
    assert out[3].detail == "words=2 < min=3"
    assert out[7].detail == "words=6 > max=5"
    assert out[1].detail == "words=0 < min=3"


def test_word_count_matches_python_on_english(run_op, english):
    names = list(english)
    out = run_op(WordCountFilter(), [english[n] for n in names])
    for i, name in enumerate(names):
        expected = "word_count_filter:too_few_words" if len(english[name].split()) < 50 else None
        assert out[i].reason == expected, name
    assert out[names.index("short")].detail == "words=3 < min=50"


def test_word_count_long_text(run_op):
    text = ("lorem ipsum " * 60_000).strip()  # 120k words on one line
    out = run_op(WordCountFilter(), [text])
    assert out[0].reason == "word_count_filter:too_many_words"
    assert out[0].detail == "words=120000 > max=100000"


def test_mean_word_length(run_op, english):
    texts = ["a b c d", "abc de", "abc abc", "abcdefghij", "abcdefghijk", "", "   ",
             english["prose"], "https://example.com/a/very/long/path/that/is/one/word ok"]
    out = run_op(MeanWordLengthFilter(), texts)
    low, high = ("mean_word_length_filter:mean_word_length_below_min",
                 "mean_word_length_filter:mean_word_length_above_max")
    assert out.reasons == {0: low, 1: low, 2: None, 3: None, 4: high, 5: None, 6: None,
                           7: None, 8: high}
    assert out[1].detail == "mean_word_length=2.500 < min=3.000"
    assert out[4].detail == "mean_word_length=11.000 > max=10.000"
    prose = english["prose"].split()
    assert 3 <= sum(map(len, prose)) / len(prose) <= 10


def test_mean_word_length_one_sided(run_op):
    out = run_op(MeanWordLengthFilter(min=None, max=4), ["a b", "abcde"])
    assert out.reasons == {0: None, 1: "mean_word_length_filter:mean_word_length_above_max"}


@pytest.mark.parametrize("cls, params, message", [
    (WordCountFilter, {"min": 10, "max": 5}, "min (10) must be <= max (5)"),
    (CharCountFilter, {"min": 3, "max": 2}, "min (3) must be <= max (2)"),
    (MeanWordLengthFilter, {"min": 5.5, "max": 5.0}, "min (5.5) must be <= max (5.0)"),
    (WordCountFilter, {"mn": 3}, "Extra inputs are not permitted"),
    (WordCountFilter, {"min": "lots"}, "valid integer"),
    (WordCountFilter, {"min": 2.5}, "valid integer"),
    (CharCountFilter, {"max": -1}, "greater than or equal to 0"),
    (MeanWordLengthFilter, {"max": "long"}, "valid number"),
])
def test_param_validation(cls, params, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cls(**params)


def test_params_are_frozen_and_typed():
    op = WordCountFilter(min="7")  # YAML may hand over strings; pydantic coerces "7"
    assert op.params.min == 7
    with pytest.raises(ValidationError):
        op.params.min = 3
