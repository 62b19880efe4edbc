"""Gopher quality heuristics (Rae et al. 2021, "Scaling Language Models", appendix A).

Words are ``str.split()`` tokens and lines are ``str.splitlines()`` lines, counted
with Spark split/regex expressions (no UDFs). A ratio with a zero denominator (no
words, no lines) is null, and a null never drops a row; nor does a null text.
"""
from __future__ import annotations

from collections.abc import Mapping

import unicodedata

from pydantic import Field, field_validator, model_validator
from pyspark.sql import Column
from pyspark.sql import functions as F

from ..base import DropRule, OpParams
from ..registry import register
from . import udfs
from ._expr import (ELLIPSIS, HWS, LB_CHAR, LINE_START, NOT_WS, WS_BODY, MetricFilter,
                    count_matches, count_substr, fmt, line_count, quote, ratio_rule, word_count)

# str.splitlines() boundaries: a bullet cannot contain one (it marks the start of a line).
_LINE_BREAKS = set("\n\x0b\f\r\x1c\x1d\x1e\x85\u2028\u2029")

GOPHER_STOPWORDS = ["the", "be", "to", "of", "and", "that", "have", "with"]
DEFAULT_BULLETS = ["•", "●", "○", "◦", "▪", "▫", "■", "□", "‣", "⁃", "∙", "➢", "➤", "►",
                   "▸", "▶", "-", "*", "–"]


def _ratio_field(default: float, description: str):
    return Field(default, ge=0.0, le=1.0, description=description)


@register("alpha_ratio_filter")
class AlphaRatioFilter(MetricFilter):
    """Drop documents where under 80% of words contain a letter.
    Rule: Gopher (Rae et al. 2021, "Scaling Language Models", app. A).

    Example::

        - alpha_ratio_filter: {min_ratio: 0.8}
    """

    class Params(OpParams):
        min_ratio: float = _ratio_field(0.8, "lowest fraction of words that contain at least "
                                        "one letter")

    def metrics(self) -> dict[str, Column]:
        if self.jvm:
            alpha = udfs.call("thresher_alpha_words", self.text)
        else:
            # One match per token that has a letter: from its start to its first letter.
            alpha = count_matches(self.text, rf"(?<!{NOT_WS})[^{WS_BODY}\p{{L}}]*+\p{{L}}")
        return {"alpha": alpha, "words": word_count(self.text, self.jvm)}

    def drop_rules(self, m: Mapping[str, Column]) -> list[DropRule]:
        return [ratio_rule("low_alpha_words", "alpha_words", m["alpha"], m["words"],
                           self.params.min_ratio, above=False)]


@register("symbol_ratio_filter")
class SymbolRatioFilter(MetricFilter):
    """Drop documents with over 0.1 '#' per word, or over 0.1 ellipses ('...', '…') per word.
    Rule: Gopher (Rae et al. 2021, "Scaling Language Models", app. A).

    Example::

        - symbol_ratio_filter: {max_ratio: 0.1}
    """

    class Params(OpParams):
        max_ratio: float = Field(0.1, ge=0.0, description="highest count of '#', and separately "
                                 "of '...'/'…', per word")

    def metrics(self) -> dict[str, Column]:
        t = self.text
        return {"hashes": count_substr(t, "#"),
                "ellipses": count_substr(t, "...") + count_substr(t, "\u2026"),
                "words": word_count(t, self.jvm)}

    def drop_rules(self, m: Mapping[str, Column]) -> list[DropRule]:
        return [ratio_rule(reason, f"{key}/words", m[key], m["words"], self.params.max_ratio,
                           above=True)
                for key, reason in (("hashes", "too_many_hashes"), ("ellipses", "too_many_ellipses"))]


@register("line_end_ellipsis_filter")
class LineEndEllipsisFilter(MetricFilter):
    """Drop documents where over 30% of lines end with '...' or '…'.
    Rule: Gopher (Rae et al. 2021, "Scaling Language Models", app. A).

    Example::

        - line_end_ellipsis_filter: {max_ratio: 0.3}
    """

    class Params(OpParams):
        max_ratio: float = _ratio_field(0.3, "highest fraction of lines that end with an ellipsis")

    def metrics(self) -> dict[str, Column]:
        if self.jvm:
            ends = udfs.call("thresher_ellipsis_lines", self.text)
        else:
            ends = count_matches(self.text, rf"{ELLIPSIS}{HWS}*+(?={LB_CHAR}|\z)")
        return {"ellipsis_lines": ends, "lines": line_count(self.text, self.jvm)}

    def drop_rules(self, m: Mapping[str, Column]) -> list[DropRule]:
        return [ratio_rule("ellipsis_lines", "ellipsis_lines", m["ellipsis_lines"], m["lines"],
                           self.params.max_ratio, above=True)]


@register("bullet_line_filter")
class BulletLineFilter(MetricFilter):
    """Drop documents where over 90% of lines start with a bullet point.
    Rule: Gopher (Rae et al. 2021, "Scaling Language Models", app. A).

    Example::

        - bullet_line_filter: {max_ratio: 0.9}
    """

    class Params(OpParams):
        max_ratio: float = _ratio_field(0.9, "highest fraction of lines that start with a bullet")
        bullets: list[str] = Field(default_factory=lambda: list(DEFAULT_BULLETS),
                                   description="strings that mark a bulleted line when they "
                                   "start it (after leading whitespace)")

        @field_validator("bullets")
        @classmethod
        def _non_empty(cls, v: list[str]) -> list[str]:
            if not v or any(b == "" for b in v):
                raise ValueError("bullets must be a non-empty list of non-empty strings")
            if any(set(b) & _LINE_BREAKS for b in v):
                raise ValueError("a bullet cannot contain a line break")
            return v

    def metrics(self) -> dict[str, Column]:
        bullets = sorted(set(self.params.bullets), key=len, reverse=True)
        if self.jvm:
            starts = udfs.call("thresher_bullet_lines", self.text, "\n".join(bullets))
        else:
            marks = "|".join(quote(b) for b in bullets)
            starts = count_matches(self.text, rf"{LINE_START}{HWS}*+(?:{marks})")
        return {"bullet_lines": starts, "lines": line_count(self.text, self.jvm)}

    def drop_rules(self, m: Mapping[str, Column]) -> list[DropRule]:
        return [ratio_rule("bullet_lines", "bullet_lines", m["bullet_lines"], m["lines"],
                           self.params.max_ratio, above=True)]


@register("stopword_filter")
class StopwordFilter(MetricFilter):
    """Drop documents with fewer than 2 distinct English stop words.
    Rule: Gopher (Rae et al. 2021, "Scaling Language Models", app. A): the, be, to, of, and, that,
    have, with; whole words, any case.

    Example::

        - stopword_filter: {min_stopwords: 2}
    """

    class Params(OpParams):
        min_stopwords: int = Field(2, ge=0, description="fewest distinct stop words a document "
                                   "must contain")
        stopwords: list[str] = Field(default_factory=lambda: list(GOPHER_STOPWORDS),
                                     description="the stop words (case-insensitive, whole words)")

        @field_validator("stopwords")
        @classmethod
        def _clean(cls, v: list[str]) -> list[str]:
            if any(not w.strip() for w in v):
                raise ValueError("stopwords must be non-empty strings")
            return list(dict.fromkeys(w.strip().lower() for w in v))

        @model_validator(mode="after")
        def _reachable(self):
            if self.min_stopwords > len(self.stopwords):
                raise ValueError(f"min_stopwords ({self.min_stopwords}) is more than the "
                                 f"{len(self.stopwords)} distinct stopwords given: every "
                                 "document would be dropped")
            return self

    def metrics(self) -> dict[str, Column]:
        if self.jvm and all(_is_word_run(w) for w in self.params.stopwords):
            return {"stopwords": udfs.call("thresher_stopwords", self.text,
                                           "\n".join(self.params.stopwords))}
        edge = r"[\p{L}\p{N}\p{M}_]"
        # Not a look-behind: Java's checks only the low surrogate of a letter outside the
        # BMP. The consumed class skips lone low surrogates, so it sees whole code points.
        before = r"(?:\A|[^\p{L}\p{N}\p{M}_\x{DC00}-\x{DFFF}])"
        found = [F.when(self.text.rlike(rf"(?iu){before}{quote(w)}(?!{edge})"), 1).otherwise(0)
                 for w in self.params.stopwords]
        total = F.lit(0)
        for f in found:
            total = total + f
        return {"stopwords": F.when(self.text.isNotNull(), total)}

    def drop_rules(self, m: Mapping[str, Column]) -> list[DropRule]:
        lo = self.params.min_stopwords
        return [DropRule("too_few_stopwords", m["stopwords"] < lo,
                         fmt("stopwords=%d < min=%d", m["stopwords"], lo))]


def _is_word_run(word: str) -> bool:
    """True when every character is in the stop-word edge class (\\p{L}\\p{N}\\p{M}_): such
    a word matches exactly when a whole run of word characters equals it, which is what
    the Java UDF checks."""
    return all(ch == "_" or unicodedata.category(ch)[0] in "LNM" for ch in word)
