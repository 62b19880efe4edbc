"""fineweb_filter: each rule kept/dropped at its bound, parity with a plain-Python port of
DataTrove's FineWebQualityFilter (tokens as fineweb.py counts them) on generated web
documents, and rows-in = kept + dropped through the runner."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from pydantic import ValidationError

from thresher.operators.base import DROP_DETAIL, DROP_REASON, StepContext
from thresher.operators.recipe import Recipe
from thresher.operators.runner import run
from thresher.operators.text.fineweb import FineWebFilter

from .webdocs import PROSE, web_documents

STOP = (".", "'", '"', "!", "?")


def _dup_chars(units):
    seen, chars = set(), 0
    for u in units:
        if u in seen:
            chars += len(u)
        else:
            seen.add(u)
    return chars


def fineweb_ref(text, *, min_punct_line_ratio=0.12, punct_exclude_zero=False, stop_chars=STOP,
                short_line_length=30, max_short_line_ratio=0.67, max_dup_char_ratio=0.01,
                max_newline_ratio=0.3):
    """DataTrove's FineWebQualityFilter.filter (the version FineWeb ran)."""
    lines = text.split("\n")
    r = sum(ln.endswith(tuple(stop_chars)) for ln in lines) / len(lines)
    if min_punct_line_ratio is not None and r <= min_punct_line_ratio and not (
            r == 0 and punct_exclude_zero):
        return "line_punct_ratio"
    r = sum(len(ln) <= short_line_length for ln in lines) / len(lines)
    if max_short_line_ratio is not None and r >= max_short_line_ratio:
        return "short_line_ratio"
    chars = len(text.replace("\n", ""))
    dup = _dup_chars([ln for ln in lines if ln.strip() != ""])
    if max_dup_char_ratio is not None and chars and dup / chars >= max_dup_char_ratio:
        return "char_dup_ratio"
    words = len(re.findall(r"\w+|[^\w\s]+", text))
    if max_newline_ratio is not None and words and text.count("\n") / words > max_newline_ratio:
        return "list_ratio"
    return None


def apply(make_df, op, texts):
    out = op.bind(StepContext(step=1, op_name="fineweb_filter", jvm_udfs=False)).transform(
        make_df(texts))
    return {r["id"]: ((r[DROP_REASON] or "").removeprefix("fineweb_filter:") or None,
                      r[DROP_DETAIL]) for r in out.select("id", DROP_REASON, DROP_DETAIL).collect()}


LONG = " ".join(PROSE[:3])  # a long punctuated line


def test_each_rule(make_df):
    texts = [
        "\n".join([LONG] * 1 + ["A long line without any final mark at all here"] * 8),  # 1/9
        "\n".join([LONG, "Short one.", "Tiny.", "Also short."]),                       # 3/4 short
        "\n".join([LONG, PROSE[5] + " " + PROSE[6], LONG]),                            # dup line
        " ".join(PROSE),                                                               # clean
        "\n".join(f"Item number {i} is on this line of the list." for i in range(12)),
        "Cheese.",                                                                     # 1/1 short
        "",
    ]
    out = apply(make_df, FineWebFilter(), texts)
    assert {i: r[0] for i, r in out.items()} == {
        0: "line_punct_ratio", 1: "short_line_ratio", 2: "char_dup_ratio", 3: None,
        4: None, 5: "short_line_ratio", 6: "line_punct_ratio"}
    assert out[0][1] == "punct_lines=1/9=0.111 <= min=0.120"
    assert out[1][1] == "short_lines(<=30)=3/4=0.750 >= max=0.670"
    for i, t in enumerate(texts):
        assert out[i][0] == fineweb_ref(t), i
    lists = apply(make_df, FineWebFilter(max_newline_ratio=0.05), [texts[4]])
    assert lists[0] == ("list_ratio", "newlines/words=11/132=0.083 > max=0.050")


def test_bounds_are_datatrove_s(make_df):
    # 1 of 8 lines punctuated = 0.125 > 0.12 keeps; exactly 0.125 as the bound drops
    text = "\n".join([LONG] + [f"Line {i} is a long line without a final mark ok" for i in range(7)])
    assert apply(make_df, FineWebFilter(), [text])[0][0] is None
    assert apply(make_df, FineWebFilter(min_punct_line_ratio=0.125), [text])[0][0] == \
        "line_punct_ratio"
    assert apply(make_df, FineWebFilter(min_punct_line_ratio=0.125, punct_exclude_zero=True,
                                        max_dup_char_ratio=None),
                 ["no marks here at all in this fairly long line\nnor here in this one"])[0][0] \
        is None


@pytest.mark.parametrize("params", [
    {}, {"min_punct_line_ratio": 0.3, "short_line_length": 20, "max_short_line_ratio": 0.5},
    {"max_dup_char_ratio": 0.1, "max_newline_ratio": 0.2, "punct_exclude_zero": True,
     "stop_chars": [".", "!", "?", "…"]},
], ids=["default", "stricter", "variants"])
def test_parity_with_reference_on_web_documents(make_df, params):
    texts = [t for t in web_documents(300, seed=11) if t] + [
        " ".join(PROSE), "\n".join(["Yes.", "No.", "Maybe.", LONG]),
        "\n".join(f"Supercalifragilisticexpialidocious{i}!" for i in range(10))]
    out = apply(make_df, FineWebFilter(**params), texts)
    expected = {i: fineweb_ref(t, **params) for i, t in enumerate(texts)}
    bad = {i: (out[i][0], expected[i]) for i in expected if out[i][0] != expected[i]}
    assert not bad, f"{len(bad)}/{len(texts)} differ, e.g. {next(iter(bad.items()))}"
    if not params:
        assert set(expected.values()) == {None, "line_punct_ratio", "short_line_ratio",
                                          "char_dup_ratio", "list_ratio"}


def test_bad_params():
    with pytest.raises(ValidationError):
        FineWebFilter(stop_chars=[])
    with pytest.raises(ValidationError):
        FineWebFilter(max_short_line_ratio=1.5)


def test_runner_accounts_for_every_row(spark, tmp_path):
    texts = web_documents(40, seed=5) + [" ".join(PROSE)]
    src = tmp_path / "in"
    src.mkdir()
    pd.DataFrame({"id": [f"d{i}" for i in range(len(texts))], "text": texts}).to_parquet(
        src / "part-0.parquet")
    recipe = Recipe.from_dict({
        "name": "fineweb-test",
        "input": {"format": "parquet", "path": str(src), "text_column": "text", "id_column": "id"},
        "steps": [{"c4_filter": {"filter_no_terminal_punct": False, "min_num_sentences": None}},
                  {"fineweb_filter": {}}]})
    result = run(recipe, spark=spark, echo=lambda s: None)
    read, c4, fw = result.steps
    kept = result.output.count()
    assert read.rows_in == len(texts) == kept + read.dropped + c4.dropped + fw.dropped
    assert fw.rows_in == c4.rows_out and fw.rows_out == kept
