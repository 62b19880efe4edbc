"""Gopher repetition filters (Rae et al. 2021, "Scaling Language Models", appendix A,
table A1): duplicate lines/paragraphs and the most frequent word n-gram.

Both work on arrays built once per row (``let``) with Spark higher-order functions;
the fractions' character denominator is the length of the whole text, as in
DataTrove's ``GopherRepetitionFilter``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, field_validator
from pyspark.sql import Column
from pyspark.sql import functions as F

from ..base import DropRule, OpParams
from ..registry import register
from . import udfs
from ._expr import HWS, LB, NOT_WS, WS, MetricFilter, fmt, let, lines, ratio, rx, words

# A paragraph break: a line break, then one or more blank (whitespace-only) lines' breaks.
PARAGRAPH_BREAK = rf"{LB}(?:{HWS}*+{LB})+"


def paragraphs(text: Column) -> Column:
    """Paragraphs of the stripped text, split on blank lines (one empty one for '')."""
    stripped = F.regexp_replace(text, rx(rf"\A{WS}+|{WS}+\z"), F.lit(""))
    return F.split(stripped, rx(PARAGRAPH_BREAK), -1)


def _total_length(arr: Column) -> Column:
    return F.aggregate(arr, F.lit(0).cast("long"), lambda acc, x: acc + F.length(x))


@register("duplicate_line_fraction_filter")
class DuplicateLineFractionFilter(MetricFilter):
    """Drop documents where over 30% of lines (or paragraphs) repeat, or repeats hold >20% of chars.
    Rule: Gopher (Rae et al. 2021, "Scaling Language Models", app. A, table A1).

    Example::

        - duplicate_line_fraction_filter: {unit: line, max_fraction: 0.3, max_char_fraction: 0.2}
    """

    class Params(OpParams):
        unit: Literal["line", "paragraph"] = Field(
            "line",
            description="'line' (split on line breaks) or 'paragraph' (split on blank lines)")
        max_fraction: float | None = Field(
            0.30, ge=0.0, le=1.0, description="highest fraction of units that repeat an earlier "
            "unit; None: no limit")
        max_char_fraction: float | None = Field(
            0.20, ge=0.0, le=1.0, description="highest fraction of the text's characters in "
            "repeated units; None: no limit")
        ignore_blank: bool = Field(
            True, description="leave blank (whitespace-only) units out; False counts repeated "
            "empty lines as duplicates, as DataTrove does")

    def metrics(self) -> dict[str, Column]:
        p = self.params
        if self.jvm:
            dup = udfs.call("thresher_dup_units", self.text, p.unit, p.ignore_blank)
            return {"dup": dup, "chars": F.length(self.text)}
        units = lines(self.text) if p.unit == "line" else paragraphs(self.text)
        if p.ignore_blank:
            units = F.filter(units, lambda u: u.rlike(NOT_WS))

        def measure(us: Column) -> Column:
            return let(F.array_distinct(us), lambda distinct: F.struct(
                F.size(us).alias("units"),
                (F.size(us) - F.size(distinct)).alias("dups"),
                (_total_length(us) - _total_length(distinct)).alias("dup_chars")))

        # One metric holding the struct: separate fields would each copy the expression.
        # Null text: a null struct, as the UDF gives.
        dup = F.when(self.text.isNotNull(), let(units, measure))
        return {"dup": dup, "chars": F.length(self.text)}

    def drop_rules(self, metrics: Mapping[str, Column]) -> list[DropRule]:
        p, u = self.params, self.params.unit
        dup = metrics["dup"]
        m = {"units": dup["units"], "dups": dup["dups"], "dup_chars": dup["dup_chars"],
             "chars": metrics["chars"]}
        out = []
        if p.max_fraction is not None:
            r = ratio(m["dups"], m["units"])
            out.append(DropRule(f"dup_{u}_fraction", r > p.max_fraction,
                                fmt(f"dup_{u}s=%d/%d=%.3f > max=%.3f", m["dups"], m["units"], r,
                                    p.max_fraction)))
        if p.max_char_fraction is not None:
            r = ratio(m["dup_chars"], m["chars"])
            out.append(DropRule(f"dup_{u}_char_fraction", r > p.max_char_fraction,
                                fmt(f"dup_{u}_chars=%d/%d=%.3f > max=%.3f", m["dup_chars"],
                                    m["chars"], r, p.max_char_fraction)))
        return out


def _max_run(s: Column) -> Column:
    """Length of the longest run of equal neighbours in a sorted, non-empty array.

    The state packs (current run, longest run) into one long, so a step allocates
    nothing: cheaper than a struct accumulator by a wide margin.
    """
    def step(acc: Column, i: Column) -> Column:
        run = F.when(F.element_at(s, i) == F.element_at(s, i - 1),
                     F.shiftright(acc, 32) + 1).otherwise(F.lit(1).cast("long"))
        return F.shiftleft(run, 32) + F.greatest(run, acc.bitwiseAND(0xFFFFFFFF))

    return F.aggregate(F.sequence(F.lit(2), F.size(s)), F.lit((1 << 32) + 1).cast("long"), step,
                       lambda acc: acc.bitwiseAND(0xFFFFFFFF).cast("int"))


def top_ngram(ws: Column, n: int) -> Column:
    """struct(gram, count) of the most frequent word n-gram (" ".join of n consecutive
    words); ties go to the n-gram that occurs first, as ``Counter.most_common(1)``
    does. Null when there are fewer than n words.

    No n-gram strings are built: each n-gram is a 64-bit hash of its n words
    (``xxhash64``; a collision needs ~2^32 distinct n-grams in one document), the
    hashes are sorted natively, the longest run of equal hashes is the top count c,
    and only the winner's words are joined. Ties: the hashes whose run is c, looked
    up in document order.
    """
    k = F.size(ws) - n + 1

    def on_hashes(h: Column) -> Column:
        def on_sorted(s: Column) -> Column:
            def on_count(c: Column) -> Column:
                tops = F.transform(
                    F.filter(F.sequence(F.lit(1), F.size(s) - c + 1),
                             lambda i: F.element_at(s, i) == F.element_at(s, i + c - 1)),
                    lambda i: F.element_at(s, i))

                def first_of(t: Column) -> Column:  # 1-based position of the first top n-gram
                    first = F.when(F.size(t) == 1, F.element_at(t, 1)).otherwise(
                        F.element_at(F.array_intersect(h, t), 1))  # keeps h's order
                    return F.array_position(h, first)

                # c == 1: every n-gram ties, the first one wins.
                pos = F.when(c == 1, F.lit(1)).otherwise(let(tops, first_of).cast("int"))
                return F.struct(F.array_join(F.slice(ws, pos, n), " ").alias("gram"),
                                c.alias("count"))

            return let(F.when(k > 1, _max_run(s)).otherwise(F.lit(1)), on_count)

        return let(F.sort_array(h), on_sorted)

    hashes = F.transform(F.sequence(F.lit(1), k),
                         lambda i: F.xxhash64(*[F.element_at(ws, i + j) for j in range(n)]))
    return F.when(k > 0, let(hashes, on_hashes))


@register("top_ngram_repetition_filter")
class TopNgramRepetitionFilter(MetricFilter):
    """Drop documents where the top word 2/3/4-gram covers over 20/18/16% of the characters.
    Rule: Gopher (Rae et al. 2021, "Scaling Language Models", app. A, table A1).

    Example::

        - top_ngram_repetition_filter: {max_fractions: {2: 0.20, 3: 0.18, 4: 0.16}}
    """

    class Params(OpParams):
        max_fractions: dict[int, float] = Field(
            default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16},
            description="n -> highest fraction of characters the most frequent word n-gram "
            "may cover")

        @field_validator("max_fractions")
        @classmethod
        def _check(cls, v: dict[int, float]) -> dict[int, float]:
            if not v:
                raise ValueError("max_fractions needs at least one n: fraction pair")
            for n, f in v.items():
                if not 1 <= n <= 64:
                    raise ValueError(f"n-gram size {n} must be between 1 and 64")
                if not 0.0 <= f <= 1.0:
                    raise ValueError(f"fraction for n={n} is {f}; it must be in [0, 1]")
            return dict(sorted(v.items()))

    def metrics(self) -> dict[str, Column]:
        """``top``: array of struct(gram, count), one per n in ``max_fractions`` order."""
        ns = list(self.params.max_fractions)
        if self.jvm:
            top = udfs.call("thresher_top_ngrams", self.text, ",".join(map(str, ns)))
        else:
            # Words are split once for all n; one array metric (fields would copy it).
            top = F.when(self.text.isNotNull(), let(
                words(self.text), lambda ws: F.array(*[top_ngram(ws, n) for n in ns])))
        return {"top": top, "chars": F.length(self.text)}

    def drop_rules(self, m: Mapping[str, Column]) -> list[DropRule]:
        out = []
        for i, (n, hi) in enumerate(self.params.max_fractions.items()):
            top = F.element_at(m["top"], i + 1)
            gram, count = top["gram"], top["count"]
            r = ratio(F.length(gram).cast("long") * count, m["chars"])
            out.append(DropRule(f"top_{n}gram", r > hi, fmt(
                f"top_{n}gram=%.3f > max=%.3f ('%s' x%d)", r, hi,
                F.substring(gram, 1, 60), count)))
        return out
