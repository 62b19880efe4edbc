"""The shared expression helpers, and the MetricFilter machinery."""
from __future__ import annotations

import random

from pyspark.sql import functions as F

from thresher.operators.base import StepContext, mark_drops
from thresher.operators.text import (StopwordFilter, SymbolRatioFilter, TopNgramRepetitionFilter,
                            WordCountFilter)
from thresher.operators.text._expr import (count_substr, let, line_count, lines, quote, word_chars,
                                  word_count, words)

PIECES = ["a", "Bé", "1", "#", "...", "…", "\\E", " ", "  ", "\t", "\n", "\r\n", "\r", "\x0b",
          "\x0c", "\x1c", "\x1f", "\x85", "\u00a0", "\u2007", "\u2028", "\u2029", "\u3000",
          "\u200b", "😀", "x y"]


def test_helpers_match_python(make_df):
    rnd = random.Random(11)
    texts = ["", " ", "\n", "a\n", "a\n\n", "\r\n", "😀😀 😀", "\\E\\Q"] + [
        "".join(rnd.choice(PIECES) for _ in range(rnd.randint(0, 25))) for _ in range(300)]
    t = F.col("text")
    rows = make_df(texts + [None]).select(
        "text", words(t).alias("words"), word_count(t).alias("word_count"),
        word_chars(t).alias("word_chars"), lines(t).alias("lines"),
        line_count(t).alias("line_count"), count_substr(t, "...").alias("dots"),
        t.rlike(quote("\\E\\Q")).alias("quoted"),
        let(F.length(t), lambda n: n * n).alias("let")).collect()
    for r in rows:
        s = r["text"]
        if s is None:  # nulls propagate, they never turn into zeros
            assert all(r[k] is None for k in ("words", "word_count", "lines", "line_count"))
            continue
        assert r["words"] == s.split(), repr(s)
        assert r["word_count"] == len(s.split())
        assert r["word_chars"] == sum(len(w) for w in s.split())
        assert r["lines"] == s.splitlines(), repr(s)
        assert r["line_count"] == len(s.splitlines())
        assert r["dots"] == s.count("...")
        assert r["quoted"] == ("\\E\\Q" in s)
        assert r["let"] == len(s) ** 2


def test_rules_inline_the_metrics(make_df, english):
    """rules() (metrics inlined) and transform() (metrics computed once) agree."""
    df = make_df(list(english.values()), dropped={0: "earlier:reason"})
    for op in (StopwordFilter(), SymbolRatioFilter(max_ratio=0.01)):
        bound = op.bind(StepContext(step=3, op_name=op.name))
        a = sorted(bound.transform(df).collect())
        b = sorted(mark_drops(df, bound.rules(), bound.ctx).collect())
        assert a == b
        assert any(r["_thresher_drop_reason"] for r in a[1:])


def test_metrics_are_computed_once(make_df):
    """The optimizer must not inline the metric struct into every use (3 reason/step/detail
    columns x rules): one xxhash64 per n in the optimised plan, one split for the words."""
    df = make_df(["a b c"])

    def plan(op, jvm):
        out = op.bind(StepContext(step=1, op_name="t", jvm_udfs=jvm)).transform(df)
        return out._jdf.queryExecution().optimizedPlan().toString()

    sql = plan(TopNgramRepetitionFilter(), False)
    assert sql.count("xxhash64(") == 3
    assert sql.count("split(") == 1
    assert plan(WordCountFilter(), False).count("split(") == 1
    # The UDF path: one call of each UDF, whatever the number of rules and columns.
    assert plan(TopNgramRepetitionFilter(), True).count("thresher_top_ngrams(") == 1
    assert plan(WordCountFilter(), True).count("thresher_word_count(") == 1
