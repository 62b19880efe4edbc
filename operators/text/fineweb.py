"""FineWeb's own quality rules (Penedo et al. 2024, "The FineWeb Datasets", section 3.3),
as DataTrove's ``FineWebQualityFilter`` ran them for FineWeb.

DataTrove's code, whose comparisons are kept exactly (so the bounds are strict where
it is): lines are ``text.split("\\n")`` (empty lines count); the document goes when

1. the fraction of lines ending in one of ``stop_chars`` is ``<= min_punct_line_ratio``
   (unless it is 0 and ``punct_exclude_zero``);
2. the fraction of lines of at most ``short_line_length`` characters is
   ``>= max_short_line_ratio``;
3. the characters in duplicated non-blank lines (each repeat after the first) over the
   characters of the text without its ``\\n`` are ``>= max_dup_char_ratio``;
4. newlines / words ``> max_newline_ratio``.

Words: DataTrove counts NLTK ``word_tokenize`` tokens, which Spark SQL cannot run; here a
token is a run of word characters (letters, digits, ``_``) or a run of other
non-space characters, which splits punctuation off words as NLTK does ("don't" is 3
tokens here, 2 in NLTK). A ratio whose denominator is 0 is null and never drops.

This is the rule of DataTrove 0.2 / 0.3, which built FineWeb. DataTrove 0.10 changed it
(blank lines removed before every ratio, strict bounds, spaCy words), so on pages that
separate lines by blank lines the two disagree: 92.9% of verdicts agree with 0.10.1 on
100,000 web documents, every difference from that change
(``benchmarks/NOTES-web_quality.md``).
"""
from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field, field_validator
from pyspark.sql import Column
from pyspark.sql import functions as F

from ..base import DropRule, OpParams
from ..registry import register
from ._expr import NOT_WS, WS_BODY, MetricFilter, fmt, let, ratio, rx

FINEWEB_STOP_CHARS = (".", "'", '"', "!", "?")
# A word token, or a run of other non-space characters (see the module docstring).
TOKEN = rf"[\p{{L}}\p{{N}}_]++|[^\p{{L}}\p{{N}}_{WS_BODY}]++"


def _total_length(arr: Column) -> Column:
    return F.aggregate(arr, F.lit(0).cast("long"), lambda acc, x: acc + F.length(x))


@register("fineweb_filter")
class FineWebFilter(MetricFilter):
    """Drop documents with few punctuated lines, mostly short lines, duplicated lines or list-like layout.
    Rule: FineWeb (Penedo et al. 2024), as DataTrove's FineWebQualityFilter.

    Example::

        - fineweb_filter: {min_punct_line_ratio: 0.12, max_short_line_ratio: 0.67}
    """

    class Params(OpParams):
        min_punct_line_ratio: float | None = Field(
            0.12, ge=0.0, le=1.0, description="drop when the fraction of lines ending in "
            "stop_chars is at most this; None: no limit")
        punct_exclude_zero: bool = Field(False, description="keep documents with no "
                                         "punctuated line at all (rule 1 skips them)")
        stop_chars: list[str] = Field(default_factory=lambda: list(FINEWEB_STOP_CHARS),
                                      description="line endings that count as terminal "
                                      "punctuation")
        short_line_length: int = Field(30, ge=0, description="a line of at most this many "
                                       "characters is short")
        max_short_line_ratio: float | None = Field(
            0.67, ge=0.0, le=1.0, description="drop when the fraction of short lines is at "
            "least this; None: no limit")
        max_dup_char_ratio: float | None = Field(
            0.01, ge=0.0, le=1.0, description="drop when the characters of duplicated lines "
            "over the text's characters (without newlines) are at least this; None: no limit")
        max_newline_ratio: float | None = Field(
            0.3, ge=0.0, description="drop when newlines per word are above this; None: no "
            "limit")

        @field_validator("stop_chars")
        @classmethod
        def _non_empty(cls, v: list[str]) -> list[str]:
            if not v or any(c == "" for c in v):
                raise ValueError("stop_chars must be a non-empty list of non-empty strings")
            return v

    def metrics(self) -> dict[str, Column]:
        p = self.params

        def measure(a: Column) -> Column:
            def ends(line: Column) -> Column:
                out = None
                for c in p.stop_chars:
                    out = line.endswith(c) if out is None else out | line.endswith(c)
                return out

            filled = F.filter(a, lambda ln: ln.rlike(NOT_WS))
            dup_chars = _total_length(filled) - _total_length(F.array_distinct(filled))
            return F.struct(F.size(a).alias("lines"),
                            F.size(F.filter(a, ends)).alias("punct"),
                            F.size(F.filter(a, lambda ln: F.length(ln) <= p.short_line_length))
                            .alias("short"),
                            dup_chars.alias("dup_chars"))

        # One struct metric (fields would copy the split); null text: null struct.
        m = F.when(self.text.isNotNull(), let(F.split(self.text, rx("\n"), -1), measure))
        return {"m": m, "chars": F.length(self.text),
                "words": F.regexp_count(self.text, rx(TOKEN))}

    def drop_rules(self, metrics: Mapping[str, Column]) -> list[DropRule]:
        p, m = self.params, metrics["m"]
        lines, newlines = m["lines"], m["lines"] - 1
        out = []
        if p.min_punct_line_ratio is not None:
            r = ratio(m["punct"], lines)
            when = r <= p.min_punct_line_ratio
            if p.punct_exclude_zero:
                when = when & (r > 0)
            out.append(DropRule("line_punct_ratio", when, fmt(
                "punct_lines=%d/%d=%.3f <= min=%.3f", m["punct"], lines, r,
                p.min_punct_line_ratio)))
        if p.max_short_line_ratio is not None:
            r = ratio(m["short"], lines)
            out.append(DropRule("short_line_ratio", r >= p.max_short_line_ratio, fmt(
                f"short_lines(<={p.short_line_length})=%d/%d=%.3f >= max=%.3f", m["short"],
                lines, r, p.max_short_line_ratio)))
        if p.max_dup_char_ratio is not None:
            chars = metrics["chars"] - newlines
            r = ratio(m["dup_chars"], chars)
            out.append(DropRule("char_dup_ratio", r >= p.max_dup_char_ratio, fmt(
                "dup_line_chars=%d/%d=%.4f >= max=%.4f", m["dup_chars"], chars, r,
                p.max_dup_char_ratio)))
        if p.max_newline_ratio is not None:
            r = ratio(newlines, metrics["words"])
            out.append(DropRule("list_ratio", r > p.max_newline_ratio, fmt(
                "newlines/words=%d/%d=%.3f > max=%.3f", newlines, metrics["words"], r,
                p.max_newline_ratio)))
        return out
