"""Text normalisation: Unicode form, control characters, whitespace.

Unicode normalisation calls ICU4J's ``Normalizer`` through Spark's ``reflect``
(ICU4J ships in Spark's own jars since Spark 4), so it runs in the JVM with no
Python round trip.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ..base import Operator, OpParams, live, tally_column
from ..registry import register
from ._expr import WS, rx

_ICU = "com.ibm.icu.text.Normalizer"
# form -> (method, compatibility flag) of com.ibm.icu.text.Normalizer
_FORMS = {"NFC": ("compose", False), "NFKC": ("compose", True),
          "NFD": ("decompose", False), "NFKD": ("decompose", True)}
# Spaces within a line: tab, space and the Unicode space separators (NBSP, em space, ...);
# runs of two or more, or a single one that is not already ' '.
_HSPACE = r"[\t\p{Zs}]{2,}|[\t\p{Zs}&&[^ ]]"
# Control characters that end a line (CR, CRLF, VT, FF, NEL) become '\n' ...
_CONTROL_BREAKS = r"\r\n|[\r\x{0b}\f\x{85}]"
# ... and the other C0/C1 controls, except \t and \n, go.
_CONTROLS = r"[\x{00}-\x{08}\x{0e}-\x{1f}\x{7f}-\x{84}\x{86}-\x{9f}]+"


def unicode_normalize(text: Column, form: str, *, jvm_udf: bool = False) -> Column:
    """``unicodedata.normalize(form, text)`` in the JVM (null stays null). ``jvm_udf``:
    by the compiled ``thresher_unicode_form`` (same ICU data, no reflective call per
    row; registered by ``thresher.operators.text.udfs.enable``)."""
    if jvm_udf:
        from . import udfs  # udfs imports nothing of this module; lazily all the same

        return udfs.call("thresher_unicode_form", text, form)
    method, compat = _FORMS[form]
    call = F.reflect(F.lit(_ICU), F.lit(method), text, F.lit(compat))
    # ICU throws on null input, so never hand it one.
    return F.when(text.isNotNull(), call)


def strip_controls(text: Column) -> Column:
    text = F.regexp_replace(text, rx(_CONTROL_BREAKS), F.lit("\n"))
    return F.regexp_replace(text, rx(_CONTROLS), F.lit(""))


def normalize_whitespace(text: Column) -> Column:
    text = F.regexp_replace(text, rx(_HSPACE), F.lit(" "))
    text = F.regexp_replace(text, rx(r" (?=\n)"), F.lit(""))
    text = F.regexp_replace(text, rx(r"\n{3,}"), F.lit("\n\n"))
    return F.regexp_replace(text, rx(rf"\A{WS}+|{WS}+\z"), F.lit(""))


@register("normalize_text")
class NormalizeText(Operator):
    """Normalise the text in place: control characters, Unicode form, whitespace.
    Forms per Unicode UAX #15 (NFKC by default). Never drops; dropped rows keep their text.

    Example::

        - normalize_text: {form: NFKC, whitespace: true, control_chars: true}
    """

    class Params(OpParams):
        form: Literal["NFC", "NFKC", "NFD", "NFKD", "none"] = Field(
            "NFKC", description="Unicode normalisation form; 'none' leaves code points as they are")
        whitespace: bool = Field(
            True, description="collapse runs of spaces/tabs (and Unicode spaces) to one space, "
            "strip trailing spaces on lines, collapse 3+ newlines to 2, trim the text")
        control_chars: bool = Field(
            True, description="turn \\r\\n, \\r, \\v, \\f and NEL into \\n and remove the other "
            "control characters except \\n and \\t")

    def normalized(self, text: Column) -> Column:
        p = self.params
        if p.control_chars:
            text = strip_controls(text)
        if p.form != "none":
            text = unicode_normalize(text, p.form)
        if p.whitespace:
            text = normalize_whitespace(text)
        return text

    def transform(self, df: DataFrame) -> DataFrame:
        col, tmp = self.ctx.text_column, f"_thresher_normalized_{self.ctx.step}"
        df = df.withColumn(tmp, F.when(live(), self.normalized(self.text)))
        # Negative where the form expands characters (NFKC's ligatures, fractions).
        removed = F.length(self.text) - F.length(F.col(tmp))
        return df.withColumns({tally_column(self.ctx, "chars_removed"): removed,
                               col: F.when(live(), F.col(tmp)).otherwise(self.text)}).drop(tmp)
