"""Shared Spark SQL expression helpers for the text operators.

Everything here builds Columns (no UDFs). Whitespace and line breaks follow
Python: ``WS`` is the set ``str.split()`` splits on, ``LB`` the set
``str.splitlines()`` splits on, so the filters count the way a plain-Python
reimplementation would. Patterns are Java regexes passed as literals (no SQL
string escaping). Counting patterns match as little as possible because
``regexp_count`` materialises its matches, and they never backtrack over a whole
token (possessive quantifiers, look-behind anchors), so very long lines stay linear.
Counting words and lines by splitting measured faster than any counting regex.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from pydantic import model_validator
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ..base import DropRule, Filter, live, mark_drops
from . import udfs

# Python str.isspace() characters, as a Java character-class body (\s is ASCII-only
# in Java; \p{Z} adds NBSP, the Unicode spaces and U+2028/9). Category classes
# match about twice as fast as a list of ranges.
WS_BODY = r"\s\x{1c}-\x{1f}\x{85}\p{Z}"
WS = f"[{WS_BODY}]"
NOT_WS = f"[^{WS_BODY}]"
# Python str.splitlines() boundaries (\r\n counts once).
_LB_BODY = r"\n\x{0b}\f\r\x{1c}-\x{1e}\x{85}\x{2028}\x{2029}"
LB_CHAR = f"[{_LB_BODY}]"
NOT_LB = f"[^{_LB_BODY}]"
LB = rf"(?:\r\n|{LB_CHAR})"
# Whitespace inside a line (WS minus line breaks).
HWS = r"[\t\x{1f}\p{Zs}]"
LINE_START = rf"(?:\A|(?<={LB_CHAR}))"
ELLIPSIS = r"(?:\.\.\.|\x{2026})"


def rx(pattern: str) -> Column:
    """A regex literal (kept out of SQL parsing, so backslashes are literal)."""
    return F.lit(pattern)


def quote(s: str) -> str:
    """``s`` as a literal inside a Java regex (what ``Pattern.quote`` does)."""
    return "\\Q" + s.replace("\\E", "\\E\\\\E\\Q") + "\\E"


def count_matches(text: Column, pattern: str) -> Column:
    """Non-overlapping matches of ``pattern`` in ``text`` (null for null text)."""
    return F.regexp_count(text, rx(pattern))


def count_substr(text: Column, s: str) -> Column:
    """Non-overlapping occurrences of a literal ``s``, like Python ``str.count``."""
    removed = F.length(text) - F.length(F.replace(text, F.lit(s), F.lit("")))
    return F.floor(removed / len(s)).cast("int")


def word_count(text: Column, jvm: bool = False) -> Column:
    """``len(text.split())``."""
    return udfs.call("thresher_word_count", text) if jvm else F.size(words(text))


def word_chars(text: Column, jvm: bool = False) -> Column:
    """Total length of all ``str.split()`` tokens (= non-whitespace characters)."""
    if jvm:
        return udfs.call("thresher_word_chars", text)
    return F.length(F.regexp_replace(text, rx(f"{WS}+"), F.lit("")))


def words(text: Column) -> Column:
    """``text.split()`` as an array (empty for blank text; split beats regexp_extract_all)."""
    return F.array_remove(F.split(text, rx(f"{WS}+"), -1), F.lit(""))


def line_count(text: Column, jvm: bool = False) -> Column:
    """``len(text.splitlines())`` (splitting beats counting with a regex)."""
    return udfs.call("thresher_line_count", text) if jvm else F.size(lines(text))


def lines(text: Column) -> Column:
    """``text.splitlines()`` as an array (no trailing empty line; empty for '')."""
    parts = F.split(text, rx(LB), -1)
    last_empty = F.element_at(parts, -1) == ""
    return F.when(last_empty, F.slice(parts, 1, F.size(parts) - 1)).otherwise(parts)


def let(value: Column, body) -> Column:
    """``body(v)`` with ``v`` bound to ``value``, so ``value`` is evaluated once per row
    however often ``body`` uses it (Spark does not share subexpressions across
    higher-order functions)."""
    return F.element_at(F.transform(F.array(value), body), 1)


def ratio(num: Column, den: Column) -> Column:
    """``num / den`` as a double; null when ``den`` is 0 (a null never drops)."""
    return F.when(den > 0, num.cast("double") / den)


def fmt(template: str, *cols: Column | str | int | float) -> Column:
    """``format_string`` over columns and Python values (values become literals)."""
    return F.format_string(template, *[c if isinstance(c, Column) else F.lit(c) for c in cols])


def ratio_rule(reason: str, label: str, num: Column, den: Column, bound: float, *,
               above: bool) -> DropRule:
    """Drop when ``num / den`` is above (or below) ``bound``; the detail shows
    ``label=num/den=ratio > max=bound`` (or ``< min=``)."""
    r = ratio(num, den)
    when, sign = (r > bound, "> max") if above else (r < bound, "< min")
    return DropRule(reason, when, fmt(f"{label}=%d/%d=%.3f {sign}=%.3f", num, den, r, bound))


class MetricFilter(Filter):
    """A filter whose rules share measured values computed once per live row.

    Subclasses implement ``metrics()`` (name -> Column) and ``drop_rules(m)``, where
    ``m`` maps the same names to Columns. ``metrics()`` uses the Java UDFs when
    ``self.jvm`` is true (the session has them; see ``udfs.py``), else SQL expressions. ``transform`` computes the metrics into one
    temporary struct column (so a value used by several rules, their details and
    the reason/step/detail columns is computed once, and not at all for rows already
    dropped), marks drops, and removes the struct. ``rules()`` inlines the metrics,
    for callers that want plain ``DropRule``s: correct, but each use re-evaluates them,
    so ``transform`` is the path to run.
    """

    def metrics(self) -> dict[str, Column]:  # pragma: no cover - abstract
        raise NotImplementedError

    def drop_rules(self, m: Mapping[str, Column]) -> list[DropRule]:  # pragma: no cover
        raise NotImplementedError

    @property
    def jvm(self) -> bool:
        return bool(self.ctx.jvm_udfs)

    def rules(self) -> list[DropRule]:
        return self.drop_rules(self.metrics())

    def metrics_struct(self, metrics: Mapping[str, Column] | None = None) -> Column:
        """All metrics as one struct column (handy to see why rows would drop)."""
        metrics = self.metrics() if metrics is None else metrics
        return F.struct(*[col.alias(k) for k, col in metrics.items()])

    def transform(self, df: DataFrame) -> DataFrame:
        if self.ctx.jvm_udfs is None:
            ctx = dataclasses.replace(self.ctx, jvm_udfs=udfs.enable(df.sparkSession))
            return self.bind(ctx).transform(df)
        if self.jvm:
            udfs.require(df.sparkSession)
        tmp = f"_thresher_metrics_{self.ctx.step}_{self.name}"
        metrics = self.metrics()
        df = df.withColumn(tmp, F.when(live(), self.metrics_struct(metrics)))
        rules = self.drop_rules({k: F.col(tmp)[k] for k in metrics})
        return mark_drops(df, rules, self.ctx).drop(tmp)


def check_range(lo_name: str, hi_name: str):
    """A pydantic ``after`` validator: ``lo <= hi`` when both are set."""

    @model_validator(mode="after")
    def _check(self):
        lo, hi = getattr(self, lo_name), getattr(self, hi_name)
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"{lo_name} ({lo}) must be <= {hi_name} ({hi})")
        return self

    return _check


__all__ = ["WS", "WS_BODY", "NOT_WS", "LB", "LB_CHAR", "NOT_LB", "HWS", "LINE_START", "ELLIPSIS",
           "MetricFilter", "check_range", "count_matches", "count_substr", "fmt",
           "let", "line_count", "lines", "quote", "ratio", "rx", "word_chars", "word_count",
           "words"]
