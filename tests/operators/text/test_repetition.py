"""duplicate_line_fraction_filter and top_ngram_repetition_filter."""
from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from thresher.operators.base import StepContext
from thresher.operators.text import DuplicateLineFractionFilter, TopNgramRepetitionFilter

DUP = "duplicate_line_fraction_filter:"
TOP = "top_ngram_repetition_filter:"


def test_duplicate_lines(run_op, english):
    unique = "\n".join(f"line number {i}" for i in range(10))
    long_twice = unique + "\n" + "x" * 60 + "\n" + "x" * 60
    spaced = "\n\n".join("abcde")  # a, '', b, '', ... : blank lines repeat
    texts = [english["menu"], long_twice, spaced, english["prose"], "", "\n\n\n", "same\nsame",
             "same\nsame"]
    out = run_op(DuplicateLineFractionFilter(), texts, dropped={7: "earlier:reason"})
    assert out.reasons == {0: DUP + "dup_line_fraction", 1: DUP + "dup_line_char_fraction",
                           2: None, 3: None, 4: None, 5: None, 6: DUP + "dup_line_fraction",
                           7: "earlier:reason"}
    assert out[0].detail == "dup_lines=8/13=0.615 > max=0.300"
    assert out[1].detail == f"dup_line_chars=60/{len(long_twice)}=0.230 > max=0.200"


def test_duplicate_lines_blank_lines_like_datatrove(run_op):
    spaced = "\n\n".join("abcde")
    out = run_op(DuplicateLineFractionFilter(ignore_blank=False), [spaced])
    # DataTrove counts the 3 repeated empty lines among 9: 0.333 > 0.3
    assert out[0].reason == DUP + "dup_line_fraction"
    assert out[0].detail == "dup_lines=3/9=0.333 > max=0.300"


def test_duplicate_paragraphs(run_op):
    p1 = "The first paragraph talks about rivers."
    p2 = "The second one is about hills and the weather."
    texts = [f"{p1}\n\n{p2}\n\n{p1}\n\n{p1}", f"{p1}\n  \n{p2}\n\n\n{p1}", f"{p1}\n{p1}\n\n{p2}",
             f"  {p1}\n\n{p2}\n\n  "]
    out = run_op(DuplicateLineFractionFilter(unit="paragraph", max_char_fraction=None), texts)
    assert out.reasons == {0: DUP + "dup_paragraph_fraction", 1: DUP + "dup_paragraph_fraction",
                           2: None, 3: None}
    assert out[0].detail == "dup_paragraphs=2/4=0.500 > max=0.300"
    assert out[1].detail == "dup_paragraphs=1/3=0.333 > max=0.300"  # "  " line is blank


def test_duplicate_boundaries_keep(run_op):
    op = DuplicateLineFractionFilter(max_fraction=0.5, max_char_fraction=None)
    out = run_op(op, ["a\nb\na\nc", "a\na\nb\nc", "a\na\na\na\nb"])
    assert out.reasons == {0: None, 1: None, 2: DUP + "dup_line_fraction"}  # 2/4 = 0.5 keeps
    op = DuplicateLineFractionFilter(max_fraction=None, max_char_fraction=0.4)
    out = run_op(op, ["ab\nab", "abc\nabc"])  # 2 of 5 chars keeps, 3 of 7 drops
    assert out.reasons == {0: None, 1: DUP + "dup_line_char_fraction"}


def test_top_ngram_chant(run_op, english):
    out = run_op(TopNgramRepetitionFilter(), [english["chant"], english["prose"]])
    # "let it", "it go" both occur 40 times; the first wins: 6 * 40 / 399
    assert out[0].reason == TOP + "top_2gram"
    assert out[0].detail == "top_2gram=0.602 > max=0.200 ('let it' x40)"
    assert out[1].reason is None


def test_top_ngram_ties_go_to_first_occurrence(run_op):
    # "zz b" and "c aaaaa" both occur twice; DataTrove (Counter.most_common) takes "zz b",
    # the first seen, although "c aaaaa" is longer and sorts first.
    text = "zz b zz b c aaaaa c aaaaa"
    out = run_op(TopNgramRepetitionFilter(max_fractions={2: 0.3}), [text])
    assert out[0].detail == "top_2gram=0.320 > max=0.300 ('zz b' x2)"  # 4 * 2 / 25
    out = run_op(TopNgramRepetitionFilter(max_fractions={2: 0.33}), [text])
    assert out[0].reason is None


def test_top_ngram_short_and_unique(run_op):
    texts = ["", "   ", "one", "one two", "one two three", "a b c d e f g h i j k l m n o p"]
    op = TopNgramRepetitionFilter(max_fractions={4: 0.16})
    out = run_op(op, texts)
    # fewer words than n: no n-grams, kept; all-unique n-grams: the first one counts once
    assert out.reasons == {0: None, 1: None, 2: None, 3: None, 4: None, 5: TOP + "top_4gram"}
    assert out[5].detail == "top_4gram=0.226 > max=0.160 ('a b c d' x1)"


def test_top_ngram_long_line(run_op):
    text = "spam eggs " * 30_000 + "the end"
    out = run_op(TopNgramRepetitionFilter(), [text, "x" * 200_000])
    assert out[0].reason == TOP + "top_2gram"
    assert out[0].detail.endswith("('spam eggs' x30000)")
    assert out[1].reason is None


def test_repetition_metrics_match_python(make_df, ref, english, engine_ctx):
    rnd = random.Random(3)
    vocab = ["a", "b", "the", "cat", "é", "😀", "\n", "\n\n", " \n \n", "\r\n"]
    texts = list(english.values()) + [
        " ".join(rnd.choice(vocab) for _ in range(rnd.randint(0, 40))) for _ in range(200)]
    df = make_df(texts)
    ctx = engine_ctx(step=1)
    ops = {"line": DuplicateLineFractionFilter(), "para": DuplicateLineFractionFilter(
        unit="paragraph"), "line_all": DuplicateLineFractionFilter(ignore_blank=False),
        "top": TopNgramRepetitionFilter(max_fractions={1: 0.5, 2: 0.2, 3: 0.2, 4: 0.2, 5: 0.2})}
    cols = ["text"] + [op.bind(ctx).metrics_struct().alias(k) for k, op in ops.items()]
    for row in df.select(*cols).collect():
        t = row["text"]
        units = {"line": [ln for ln in t.splitlines() if ln.strip()],
                 "para": [p for p in ref.paragraphs(t) if p.strip()],
                 "line_all": t.splitlines()}
        for k, us in units.items():
            dups, chars = ref.duplicates(us)
            assert row[k]["dup"].asDict() == {"units": len(us), "dups": dups,
                                              "dup_chars": chars}, (k, t)
        for i, n in enumerate((1, 2, 3, 4, 5)):
            top = row["top"]["top"][i]
            assert (tuple(top) if top else None) == ref.top_ngram(t.split(), n), (n, t)


@pytest.mark.parametrize("cls, params, message", [
    (DuplicateLineFractionFilter, {"unit": "sentence"}, "'line' or 'paragraph'"),
    (DuplicateLineFractionFilter, {"max_fraction": 1.2}, "less than or equal to 1"),
    (DuplicateLineFractionFilter, {"max_char_fraction": "x"}, "valid number"),
    (TopNgramRepetitionFilter, {"max_fractions": {}}, "at least one"),
    (TopNgramRepetitionFilter, {"max_fractions": {0: 0.1}}, "between 1 and 64"),
    (TopNgramRepetitionFilter, {"max_fractions": {2: 1.5}}, r"must be in \[0, 1\]"),
    (TopNgramRepetitionFilter, {"max_fractions": [0.2]}, "valid dictionary"),
    (TopNgramRepetitionFilter, {"n": 2}, "Extra inputs are not permitted"),
])
def test_param_validation(cls, params, message):
    with pytest.raises(ValidationError, match=message):
        cls(**params)


def test_max_fractions_from_yaml_keys():
    op = TopNgramRepetitionFilter(max_fractions={"3": 0.1, "2": "0.2"})
    assert op.params.max_fractions == {2: 0.2, 3: 0.1}
