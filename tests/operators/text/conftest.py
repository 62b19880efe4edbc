"""Helpers for the text-operator tests: a DataFrame of texts with thresher's internal
drop columns, and a runner that binds an operator and returns one row per id."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, namedtuple
from types import SimpleNamespace

import pytest

from thresher.operators.base import (DROP_DETAIL, DROP_REASON, DROP_STEP, TALLY_PREFIX,
                                     StepContext)

SCHEMA = (f"id int, text string, {DROP_REASON} string, {DROP_STEP} int, {DROP_DETAIL} string")


@pytest.fixture(scope="session")
def make_df(spark):
    """``make_df(texts, dropped={id: reason})``: ids are list positions; rows in
    ``dropped`` start out dropped by an earlier step 0 with that reason."""

    def make(texts, dropped=None):
        dropped = dropped or {}
        rows = [(i, t, dropped.get(i), 0 if i in dropped else None,
                 "earlier" if i in dropped else None) for i, t in enumerate(texts)]
        return spark.createDataFrame(rows, SCHEMA)

    return make


@pytest.fixture(params=[False, True], ids=["sql", "jvm"])
def run_op(request, make_df):
    """``run_op(op, texts, dropped=None)`` -> {id: Row(text, reason, step, detail)}, the
    operator bound as step 1 under its own name. Every test that uses it runs twice:
    metrics as SQL expressions, and as the Java UDFs (operators/text/udfs.py)."""

    def run(op, texts, dropped=None):
        df = make_df(texts, dropped)
        ctx = StepContext(text_column="text", id_column="id", step=1, op_name=op.name,
                          jvm_udfs=request.param)
        out = op.bind(ctx).transform(df)
        kept = [c for c in out.columns if not c.startswith(TALLY_PREFIX)]
        assert kept == df.columns, "text operators must not add or reorder columns"
        rows = out.select("id", "text", DROP_REASON, DROP_STEP, DROP_DETAIL).collect()
        return Results((r["id"], Result(r["text"], r[DROP_REASON], r[DROP_STEP], r[DROP_DETAIL]))
                       for r in rows)

    return run


@pytest.fixture(params=[False, True], ids=["sql", "jvm"])
def engine_ctx(request, spark):
    """``engine_ctx(**fields)`` -> a StepContext whose metrics are SQL expressions
    (``sql``) or the Java UDFs, registered on the session (``jvm``); tests run both."""
    from thresher.operators.text import udfs

    if request.param:
        udfs.require(spark)

    def make(**fields) -> StepContext:
        return StepContext(jvm_udfs=request.param, **fields)

    return make


Result = namedtuple("Result", "text reason step detail")


class Results(dict):
    """{id: Result}; ``.reasons`` is {id: reason} (None for kept rows)."""

    @property
    def reasons(self) -> dict:
        return {i: r.reason for i, r in self.items()}


# Real English documents (written for these tests) that exercise the Gopher rules.
ENGLISH = {
    "prose": (
        "The river rises in the hills above the town and runs for about forty miles before it "
        "reaches the sea. For most of that distance it is slow and shallow, and in a dry summer "
        "children can wade across it in several places. In the spring, however, melting snow "
        "turns it into a brown torrent that has flooded the lower streets more than once. The "
        "council has spent years arguing about a new embankment, and the plans that were finally "
        "approved last winter will cost more than twice the original estimate.\n\n"
        "Local fishermen have mixed feelings about the work. Some say the new walls will ruin the "
        "pools where the trout gather; others are simply glad that their houses will stay dry."
    ),
    "bullets": "\n".join([
        "Packing list for the trip:",
        "• two warm jumpers and a waterproof jacket",
        "• walking boots that have been worn in",
        "• a torch with spare batteries",
        "• a map of the area and a compass",
        "• enough food for the first two days",
        "• a small first aid kit with plasters",
        "• sun cream, even if the forecast is grey",
        "• a paperback for the evenings",
        "• a flask for hot tea on cold mornings",
        "• a spare pair of socks for each day",
    ]),
    "menu": "\n".join(["Home", "About us", "Contact", "Read more about our products and services",
                       "Home", "About us", "Contact", "Read more about our products and services",
                       "Home", "About us", "Contact", "Read more about our products and services",
                       "Copyright 2021 All rights reserved"]),
    "hashtags": ("Great day at the beach with friends #summer #beach #sun #fun #friends #holiday "
                 "#sea #sand #happy #weekend #travel #instagood #photooftheday #love #nofilter"),
    "teaser": "\n".join([
        "She opened the door and saw something she never expected...",
        "The letter had been sitting there for years...",
        "Nobody in the village knew what had happened to the old man...",
        "Click here to read the full story of the house on the hill.",
    ]),
    "table": "\n".join(["2019 12.4 13.1 11.9 14.0 15.2", "2020 10.1 9.8 11.2 12.5 13.3",
                        "2021 13.7 14.2 12.8 15.9 16.1", "2022 14.4 15.0 13.5 16.2 17.8",
                        "Average rainfall in millimetres by month"]),
    "chant": " ".join(["let it go"] * 40),
    "short": "Thanks for reading!",
}


@pytest.fixture(scope="session")
def english():
    """{name: text} of short real English documents (see ENGLISH)."""
    return dict(ENGLISH)


# ---- plain-Python reference implementations of the rules (DataTrove's Gopher code,
# with str.split() words instead of NLTK tokens) -------------------------------------
def _is_edge(c: str) -> bool:
    return c == "_" or unicodedata.category(c)[0] in "LNM"


def _has_word(text: str, word: str) -> bool:
    low = text.lower()
    for m in re.finditer(re.escape(word), low):
        a, b = m.start(), m.end()
        if (a == 0 or not _is_edge(low[a - 1])) and (b == len(low) or not _is_edge(low[b])):
            return True
    return False


def _duplicates(units: list[str]) -> tuple[int, int]:
    seen, dups, chars = set(), 0, 0
    for u in units:
        if u in seen:
            dups, chars = dups + 1, chars + len(u)
        else:
            seen.add(u)
    return dups, chars


def _top_ngram(words: list[str], n: int):
    grams = [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]
    return Counter(grams).most_common(1)[0] if grams else None


def _paragraphs(text: str) -> list[str]:
    hws = "[\t\x1f \xa0\u1680\u2000-\u200a\u202f\u205f\u3000]"  # whitespace but not a break
    lb = r"(?:\r\n|[\n\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029])"
    return re.split(f"{lb}(?:{hws}*{lb})+", text.strip())


BULLETS = ("•", "●", "○", "◦", "▪", "▫", "■", "□", "‣", "⁃", "∙", "➢", "➤", "►", "▸", "▶",
           "-", "*", "–")
STOPWORDS = ("the", "be", "to", "of", "and", "that", "have", "with")


def gopher_reason(text: str) -> str | None:
    """The first Gopher rule (default params, in thresher's order) that ``text`` fails."""
    words, lines = text.split(), text.splitlines()
    n = len(words)
    if n < 50:
        return "word_count_filter:too_few_words"
    if n > 100_000:
        return "word_count_filter:too_many_words"
    mean = sum(map(len, words)) / n
    if mean < 3:
        return "mean_word_length_filter:mean_word_length_below_min"
    if mean > 10:
        return "mean_word_length_filter:mean_word_length_above_max"
    if sum(any(c.isalpha() for c in w) for w in words) / n < 0.8:
        return "alpha_ratio_filter:low_alpha_words"
    if text.count("#") / n > 0.1:
        return "symbol_ratio_filter:too_many_hashes"
    if (text.count("...") + text.count("…")) / n > 0.1:
        return "symbol_ratio_filter:too_many_ellipses"
    if lines and sum(ln.rstrip().endswith(("...", "…")) for ln in lines) / len(lines) > 0.3:
        return "line_end_ellipsis_filter:ellipsis_lines"
    if lines and sum(ln.lstrip().startswith(BULLETS) for ln in lines) / len(lines) > 0.9:
        return "bullet_line_filter:bullet_lines"
    if sum(_has_word(text, w) for w in STOPWORDS) < 2:
        return "stopword_filter:too_few_stopwords"
    for unit, units in (("line", [ln for ln in lines if ln.strip()]),
                        ("paragraph", [p for p in _paragraphs(text) if p.strip()])):
        dups, chars = _duplicates(units)
        if units and dups / len(units) > 0.3:
            return f"duplicate_line_fraction_filter:dup_{unit}_fraction"
        if text and chars / len(text) > 0.2:
            return f"duplicate_line_fraction_filter:dup_{unit}_char_fraction"
    for k, frac in ((2, 0.20), (3, 0.18), (4, 0.16)):
        top = _top_ngram(words, k)
        if top and len(top[0]) * top[1] / len(text) > frac:
            return f"top_ngram_repetition_filter:top_{k}gram"
    return None


@pytest.fixture(scope="session")
def ref():
    """Plain-Python reimplementations: gopher_reason(text), has_word, duplicates,
    top_ngram, paragraphs."""
    return SimpleNamespace(gopher_reason=gopher_reason, has_word=_has_word,
                           duplicates=_duplicates, top_ngram=_top_ngram, paragraphs=_paragraphs,
                           bullets=BULLETS, stopwords=STOPWORDS)
