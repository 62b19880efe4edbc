"""Token counts as a column, by whitespace or a regex (no tokenizer model).

``whitespace`` counts ``str.split()`` tokens; ``words_punct`` counts runs of word
characters and runs of other non-space characters (the token ``fineweb_filter``
counts, close to NLTK's word tokens); ``regex`` counts the non-overlapping matches of
``pattern`` (a Java regex). A null text has a null count. A Hugging Face tokenizer's
counts are not here yet (issue 17 asks for them through Arrow batches).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ..base import Operator, OpParams
from ..registry import register
from ._expr import rx, words
from .fineweb import TOKEN


@register("token_count")
class TokenCount(Operator):
    """Add a column with each document's token count (whitespace, words and punctuation, or a regex).
    Never drops; ``select`` can then keep rows or a budget by that column.

    Example::

        - token_count: {mode: whitespace, column: n_tokens}
    """

    class Params(OpParams):
        mode: Literal["whitespace", "words_punct", "regex"] = Field(
            "whitespace", description="'whitespace': str.split() tokens; 'words_punct': word "
            "runs and punctuation runs; 'regex': matches of pattern")
        pattern: str | None = Field(None, description="the Java regex whose matches are "
                                    "counted (mode: regex only)")
        column: str = Field("n_tokens", min_length=1, description="the column to add")

        @model_validator(mode="after")
        def _pattern_with_regex(self):
            if (self.mode == "regex") != bool(self.pattern):
                raise ValueError("pattern is required with mode: regex, and only then")
            return self

    def adds(self) -> list[str]:
        return [self.params.column]

    def transform(self, df: DataFrame) -> DataFrame:
        p, t = self.params, self.text
        if p.mode == "whitespace":
            n = F.size(words(t))
        else:
            n = F.regexp_count(t, rx(TOKEN if p.mode == "words_punct" else p.pattern))
        return df.withColumn(p.column, F.when(t.isNotNull(), n.cast("long")))
