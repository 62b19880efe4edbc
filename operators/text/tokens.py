"""Token counts as a column, by whitespace or a regex (no tokenizer model).

``whitespace`` counts ``str.split()`` tokens; ``words_punct`` counts runs of word
characters and runs of other non-space characters (the token ``fineweb_filter``
counts, close to NLTK's word tokens); ``regex`` counts the non-overlapping matches of
``pattern`` (a Java regex); ``hf`` counts the ids of a Hugging Face tokenizer file
(``tokenizer.json``, batched through Arrow: ``hf_tokens.py``). A null text has a null
count; in ``hf`` mode so has a row an earlier step dropped (it is not tokenised).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StructField, StructType

from ..base import DROP_REASON, Operator, OpParams
from ..models import ship_file
from ..registry import register
from ._expr import rx, words
from .fineweb import TOKEN
from .hf_tokens import check_tokenizer, count_batches


@register("token_count")
class TokenCount(Operator):
    """Add a column with each document's token count (whitespace, words and punctuation, a
    regex, or a Hugging Face tokenizer). Never drops; ``select`` can then keep rows, or a
    budget of tokens with ``weight_column``.

    Example::

        - token_count: {mode: whitespace, column: n_tokens}
        - token_count: {mode: hf, tokenizer: data/models/tiny_lm_a/tokenizer.json}
    """

    class Params(OpParams):
        mode: Literal["whitespace", "words_punct", "regex", "hf"] = Field(
            "whitespace", description="'whitespace': str.split() tokens; 'words_punct': word "
            "runs and punctuation runs; 'regex': matches of pattern; 'hf': ids of tokenizer")
        pattern: str | None = Field(None, description="the Java regex whose matches are "
                                    "counted (mode: regex only)")
        tokenizer: str | None = Field(None, description="a Hugging Face tokenizer.json "
                                      "(mode: hf only; needs the tokenizers package)")
        add_special_tokens: bool = Field(False, description="mode: hf: count the special "
                                         "tokens the tokenizer's template adds (BOS/EOS)")
        batch_size: int = Field(1024, ge=1, description="mode: hf: texts per encode_batch")
        column: str = Field("n_tokens", min_length=1, description="the column to add")

        @model_validator(mode="after")
        def _pattern_with_regex(self):
            if (self.mode == "regex") != bool(self.pattern):
                raise ValueError("pattern is required with mode: regex, and only then")
            if (self.mode == "hf") != bool(self.tokenizer):
                raise ValueError("tokenizer is required with mode: hf, and only then")
            return self

    def check_placement(self) -> None:
        if self.params.mode == "hf":
            check_tokenizer(self.params.tokenizer)

    def adds(self) -> list[str]:
        return [self.params.column]

    def transform(self, df: DataFrame) -> DataFrame:
        p, t = self.params, self.text
        if p.mode == "hf":
            return self._hf_counts(df)
        if p.mode == "whitespace":
            n = F.size(words(t))
        else:
            n = F.regexp_count(t, rx(TOKEN if p.mode == "words_punct" else p.pattern))
        return df.withColumn(p.column, F.when(t.isNotNull(), n.cast("long")))

    def _hf_counts(self, df: DataFrame) -> DataFrame:
        p = self.params
        shipped = ship_file(df.sparkSession, check_tokenizer(p.tokenizer))
        df = df.drop(p.column) if p.column in df.columns else df
        schema = StructType(df.schema.fields + [StructField(p.column, LongType(), True)])
        config = dict(text=self.ctx.text_column, column=p.column, batch_size=p.batch_size,
                      add_special_tokens=p.add_special_tokens,
                      live=DROP_REASON if DROP_REASON in df.columns else None)

        def count(batches):
            yield from count_batches(batches, shipped, config)

        return df.mapInArrow(count, schema)
