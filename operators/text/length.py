"""Length filters: characters, words, mean word length.

Words are ``str.split()`` tokens (runs of non-whitespace, Unicode whitespace
included); characters are Unicode code points (Spark ``length`` = Python ``len``).
"""
from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field
from pyspark.sql import Column
from pyspark.sql import functions as F

from ..base import DropRule, Filter, OpParams
from ..registry import register
from ._expr import MetricFilter, check_range, fmt, ratio, word_chars, word_count


def _bound_rules(value: Column, lo, hi, low_reason: str, high_reason: str, label: str,
                 num: str = "%d") -> list[DropRule]:
    rules = []
    if lo is not None:
        rules.append(DropRule(low_reason, value < lo,
                              fmt(f"{label}={num} < min={num}", value, lo)))
    if hi is not None:
        rules.append(DropRule(high_reason, value > hi,
                              fmt(f"{label}={num} > max={num}", value, hi)))
    return rules


@register("char_count_filter")
class CharCountFilter(Filter):
    """Drop documents with fewer than ``min`` or more than ``max`` characters.
    Code points, bounds inclusive; a plain length guard (Gopher bounds words instead).

    Example::

        - char_count_filter: {min: 200, max: 100000}
    """

    class Params(OpParams):
        min: int | None = Field(1, ge=0, description="fewest characters a document may have "
                                "(None: no lower bound; the default 1 drops empty documents)")
        max: int | None = Field(None, ge=0, description="most characters a document may have "
                                "(None: no upper bound)")
        _range = check_range("min", "max")

    def rules(self) -> list[DropRule]:
        p = self.params
        return _bound_rules(F.length(self.text), p.min, p.max, "too_few_chars", "too_many_chars",
                            "chars")


@register("word_count_filter")
class WordCountFilter(MetricFilter):
    """Keep documents with 50 to 100,000 words (whitespace-separated tokens).
    Rule: Gopher (Rae et al. 2021, "Scaling Language Models", app. A).

    Example::

        - word_count_filter: {min: 50, max: 100000}
    """

    class Params(OpParams):
        min: int | None = Field(50, ge=0, description="fewest words (whitespace-separated "
                                "tokens) a document may have; None: no lower bound")
        max: int | None = Field(100_000, ge=0, description="most words a document may have; "
                                "None: no upper bound")
        _range = check_range("min", "max")

    def metrics(self) -> dict[str, Column]:
        return {"words": word_count(self.text, self.jvm)}

    def drop_rules(self, m: Mapping[str, Column]) -> list[DropRule]:
        p = self.params
        return _bound_rules(m["words"], p.min, p.max, "too_few_words", "too_many_words", "words")


@register("mean_word_length_filter")
class MeanWordLengthFilter(MetricFilter):
    """Keep documents whose mean word length is 3 to 10 characters.
    Rule: Gopher (Rae et al. 2021, "Scaling Language Models", app. A); documents without words keep.

    Example::

        - mean_word_length_filter: {min: 3, max: 10}
    """

    class Params(OpParams):
        min: float | None = Field(3.0, ge=0, description="lowest mean word length in "
                                  "characters; None: no lower bound")
        max: float | None = Field(10.0, ge=0, description="highest mean word length in "
                                  "characters; None: no upper bound")
        _range = check_range("min", "max")

    def metrics(self) -> dict[str, Column]:
        return {"mean": ratio(word_chars(self.text, self.jvm), word_count(self.text, self.jvm))}

    def drop_rules(self, m: Mapping[str, Column]) -> list[DropRule]:
        p = self.params
        lo = None if p.min is None else float(p.min)
        hi = None if p.max is None else float(p.max)
        return _bound_rules(m["mean"], lo, hi, "mean_word_length_below_min",
                            "mean_word_length_above_max", "mean_word_length", num="%.3f")
