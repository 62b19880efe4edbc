"""Word n-grams for ``decontaminate``: one definition of a word, in Spark SQL and in Python,
and the benchmark files read on the driver.

A word is a maximal run of Unicode letters, marks and digits (general categories L*, M*,
N*; Java ``[\\p{L}\\p{M}\\p{N}]+``), lower-cased one word at a time. Everything else
(whitespace, punctuation, symbols, ``_``) only separates words, so ``"It's  2024!"`` is
``it s 2024``. This is DataTrove's normalisation (lower-case, punctuation out) without its
NLTK tokenizer, and GPT-3's "ignoring punctuation, whitespace and casing"; an apostrophe
or hyphen splits a word (``don't`` -> ``don t``) instead of joining it (DataTrove's
``dont``). Python's ``unicodedata`` and Java may disagree on characters that one Unicode
version has and the other lacks; nothing else differs (tested).

An n-gram is ``n`` consecutive words; its key is two Spark hashes of the word array
(``xxhash64``: 64 bits, and ``hash``: Murmur3, 32 more), computed by the same expression
for documents and benchmark examples, so the two sides agree by construction.
"""
from __future__ import annotations

import functools
import gzip
import json
import os
import re
import sys
import unicodedata

from pyspark.sql import Column
from pyspark.sql import functions as F

from ..errors import RecipeError
from ._expr import WS, let, rx

WORD = r"[\p{L}\p{M}\p{N}]+"


# ---- Python ---------------------------------------------------------------------------
@functools.cache
def _word_re() -> re.Pattern:
    """``WORD`` for Python's ``re`` (which has no ``\\p``): ranges of L*, M*, N* code points."""
    ranges, start = [], None
    for cp in range(sys.maxunicode + 2):
        inside = cp <= sys.maxunicode and unicodedata.category(chr(cp))[0] in "LMN"
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(cp - 1))}")
            start = None
    return re.compile("[" + "".join(ranges) + "]+")


def py_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the words of ``text``."""
    return [m.span() for m in _word_re().finditer(text)]


def py_words(text: str) -> list[str]:
    """The lower-cased words of ``text``."""
    return [w.lower() for w in _word_re().findall(text)]


def py_ngrams(text: str, n: int) -> list[str]:
    """The n-grams of ``text``, words joined by one space (none with fewer than ``n`` words)."""
    ws = py_words(text)
    return [" ".join(ws[i:i + n]) for i in range(len(ws) - n + 1)]


# ---- Spark ----------------------------------------------------------------------------
def raw_words(text: Column) -> Column:
    """The words of ``text`` as they are written (their offsets come from ``gaps``)."""
    return F.regexp_extract_all(text, rx(WORD), F.lit(0))


def gaps(text: Column) -> Column:
    """What surrounds the words: one more element than ``raw_words``, empty at the ends
    when the text starts or ends with a word."""
    return F.split(text, rx(WORD), -1)


def lower_words(raw: Column) -> Column:
    return F.transform(raw, F.lower)


def ngram_keys(ws: Column, n: int) -> Column:
    """struct(h, h2) for each n-gram of the lower-cased words ``ws`` (position i: words
    i..i+n-1); null with fewer than ``n`` words."""
    def keys(w: Column) -> Column:  # bound once: a lambda re-evaluates what it names
        def key(i: Column) -> Column:
            gram = F.slice(w, i, n)
            return F.struct(F.xxhash64(gram).alias("h"), F.hash(gram).alias("h2"))

        return F.when(F.size(w) >= n, F.transform(F.sequence(F.lit(1), F.size(w) - n + 1), key))

    return let(ws, keys)


def ngram_text(ws: Column, pos: Column, n: int) -> Column:
    """The n-gram at 0-based word position ``pos``, words joined by one space."""
    return F.array_join(F.slice(ws, pos + 1, n), " ")


def sums_at(values: Column, at: Column) -> Column:
    """The running sums ``values[0] + ... + values[i]`` for each ``i`` of the ascending
    array ``at`` (an index may repeat once), in one pass up to the last index: O(size)."""
    def with_at(at: Column) -> Column:
        def step(acc: Column, x: Column) -> Column:
            total, j, k = acc["sum"] + x, acc["j"], acc["k"]
            one = F.coalesce(F.try_element_at(at, j + 1) == k, F.lit(False))
            two = one & F.coalesce(F.try_element_at(at, j + 2) == k, F.lit(False))
            out = (F.when(two, F.concat(acc["out"], F.array(total, total)))
                   .when(one, F.array_append(acc["out"], total)).otherwise(acc["out"]))
            return F.struct((k + 1).alias("k"), total.alias("sum"),
                            (j + one.cast("int") + two.cast("int")).alias("j"), out.alias("out"))

        zero = F.struct(F.lit(0).alias("k"), F.lit(0).alias("sum"), F.lit(0).alias("j"),
                        F.array().cast("array<int>").alias("out"))
        upto = F.slice(values, 1, F.element_at(at, -1) + 1)
        return F.aggregate(upto, zero, step, lambda acc: acc["out"])

    return let(at, with_at)


def merge_runs(lo: Column, hi: Column) -> Column:
    """Overlapping or touching intervals [lo[j], hi[j]] (both ascending, at least one)
    merged: array<struct(lo, hi)>. A new run starts where ``lo[j] > hi[j - 1]``."""
    def with_bounds(los: Column, his: Column) -> Column:
        m = F.size(los)
        heads = F.filter(F.sequence(F.lit(0), m - 1), lambda j: F.when(j == 0, F.lit(True))
                         .otherwise(F.element_at(los, j + 1) > F.element_at(his, j)))

        def runs(h: Column) -> Column:
            def run(j: Column, k: Column) -> Column:
                last = F.when(k + 1 < F.size(h), F.element_at(h, k + 2) - 1).otherwise(m - 1)
                return F.struct(F.element_at(los, j + 1).alias("lo"),
                                F.element_at(his, last + 1).alias("hi"))
            return F.transform(h, run)

        return let(heads, runs)

    return let(lo, lambda a: let(hi, lambda b: with_bounds(a, b)))


def strip(text: Column) -> Column:
    """``str.strip()``."""
    return F.regexp_replace(text, rx(rf"\A{WS}+|{WS}+\z"), F.lit(""))


# ---- benchmark files ------------------------------------------------------------------
JSON_SUFFIXES = (".jsonl", ".json", ".ndjson")


def _stem(path: str) -> str:
    base = os.path.basename(os.path.normpath(path))
    base = base[:-3] if base.endswith(".gz") else base
    for suffix in (*JSON_SUFFIXES, ".txt", ".parquet"):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base


def _value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # e.g. answer choices
        return "\n".join("" if v is None else str(v) for v in value)
    return str(value)


def _json_lines(path: str, text_field: list[str], name_field: str | None):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise RecipeError(f"{path}, line {number}: not JSON ({exc})",
                                  param="benchmarks") from None
            missing = [f for f in text_field if not isinstance(record, dict) or f not in record]
            if missing:
                raise RecipeError(f"{path}, line {number} has no field '{missing[0]}'",
                                  param="benchmarks")
            yield (_value(record.get(name_field)) if name_field else "",
                   "\n".join(_value(record[f]) for f in text_field))


def _parquet(path: str, text_field: list[str], name_field: str | None):
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types
        raise RecipeError(f"cannot read Parquet {path}: {exc}", param="benchmarks") from None
    missing = [f for f in text_field if f not in table.column_names]
    if missing:
        raise RecipeError(f"{path} has no column '{missing[0]}' (columns: "
                          f"{', '.join(table.column_names)})", param="benchmarks")
    names = (table.column(name_field).to_pylist() if name_field in table.column_names
             else [None] * table.num_rows)
    texts = zip(*[table.column(f).to_pylist() for f in text_field])
    for name, values in zip(names, texts):
        yield _value(name), "\n".join(_value(v) for v in values)


def _lines(path: str, text_field: list[str], name_field: str | None):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh.read().splitlines():
            yield "", line


def read_benchmarks(paths: list[str], text_field: list[str],
                    name_field: str | None) -> list[tuple[str, str]]:
    """(benchmark name, example text) for every example of every file, in order.

    JSON lines (``.jsonl``, ``.json``, ``.ndjson``, optionally ``.gz``): the text is the
    ``text_field`` values of each record joined by a newline (a list value: its items);
    ``.txt`` (or ``.txt.gz``): one example per line; ``.parquet`` or a folder: a Parquet
    table's ``text_field`` columns. The name is ``name_field``'s value where the record
    has one, else the file name without its suffix. Blank examples are skipped. A
    missing, unreadable or empty file is a ``RecipeError`` on ``benchmarks``.
    """
    out: list[tuple[str, str]] = []
    for path in paths:
        if not os.path.exists(path):
            raise RecipeError(f"benchmark file not found: {path}", param="benchmarks")
        base = path[:-3] if path.endswith(".gz") else path
        if base.endswith(".txt"):
            read = _lines
        elif base.endswith(JSON_SUFFIXES):
            read = _json_lines
        elif base.endswith(".parquet") or os.path.isdir(path):
            read = _parquet
        else:
            raise RecipeError(f"{path}: unknown benchmark format (use .jsonl, .json, .ndjson, "
                              ".txt, .parquet or a Parquet folder)", param="benchmarks")
        stem = _stem(path)
        try:
            rows = [(name or stem, text) for name, text in read(path, text_field, name_field)
                    if text.strip()]
        except (OSError, UnicodeDecodeError, EOFError) as exc:
            raise RecipeError(f"cannot read benchmark file {path}: {exc}",
                              param="benchmarks") from None
        if not rows:
            raise RecipeError(f"benchmark file {path} has no examples", param="benchmarks")
        out.extend(rows)
    return out
