"""``decontaminate``: word n-gram overlap of each document with benchmark examples.

A document that shares an n-gram (``n`` consecutive words: 13 as GPT-3, 12 as DataTrove)
with an example of a benchmark is contaminated. Words are runs of Unicode letters, marks
and digits, lower-cased; punctuation, symbols and whitespace only separate them
(``_ngrams.py``). Examples shorter than ``n`` words give no n-gram and are skipped, as
GPT-3 and DataTrove skip them; a benchmark set where every example is that short is a
recipe error.

``mode: drop`` (the default) drops the document (reason ``contaminated``); ``mode:
remove`` applies GPT-3's rule (Brown et al. 2020, appendix C): each matched n-gram goes
with ``margin`` characters each side (overlapping or touching cuts merge), what is left
between the cuts are the pieces; a document split into more than ``max_splits`` pieces
goes (``too_many_splits``), pieces shorter than ``min_piece_chars`` go, and the others,
stripped, joined by ``separator``, become the text; a document with no piece left goes
(``nothing_left``). Pieces are counted non-empty after stripping, before short ones go.
Dropped documents keep their text as it came in; ``keep_original`` keeps it beside the
rewritten text for the rejects of later steps. The detail names the benchmark(s) and the
first matched n-gram: ``matches=3 >= min=1 benchmark=squad ngram='the quick ...'``.

Benchmarks are read on the driver (evaluation sets: megabytes) in ``check_placement``, so
a missing, unreadable or empty file fails before Spark starts, and n-grammed in Spark by
the expression the documents go through. Each n-gram is keyed by two hashes of its words
(``xxhash64`` and Murmur3 ``hash``: 96 bits; a false match needs both to collide). The
documents' n-grams are exploded (document id, position, key) and joined with the
benchmark keys: a broadcast join while the benchmark n-grams (counted on the driver,
before de-duplication) are at most ``broadcast_max_ngrams``, else a shuffle hash join.
The matches are grouped per document id and left-joined back on the id (null-safe), so
every row comes back exactly once; each match is checked against the row's own n-gram at
its position, so rows sharing an id never take each other's matches. Only live rows with
a text take part; the rest pass untouched. The input plan is read twice (n-grams, join
back), and the join back shuffles the input by id (Spark's adaptive execution may
broadcast the matches instead when they turn out small).

Remove mode works on the matched documents only, in word space first: matched n-grams
sharing a word merge into runs, then one pass over the word and gap lengths gives the
character offsets of each run's first and last word (``sums_at``: linear in the words),
the margins widen the runs and runs that now overlap or touch merge (their ends rise with
their starts, so one comparison with the previous run decides). No row work is quadratic
in the document's length.

Words end only where letters, marks and digits do, so scripts written without spaces
(Chinese, Japanese, Thai) make one "word" of each run between punctuation: there only
whole runs match, as with DataTrove's NLTK tokenizer.

Stats: ``ngrams_matched`` (matched positions on the step's live rows) and, in remove
mode, ``chars_removed`` (length before minus after, rows rewritten and kept).

Example::

    - decontaminate: {benchmarks: [evals/squad.jsonl, evals/gsm8k.parquet], n: 13,
                      mode: remove, margin: 200, max_splits: 10}
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ..base import DropRule, Operator, OpParams, live, mark_drops, tally_column
from ..errors import RecipeError
from ..registry import register
from ._expr import fmt, let
from ._ngrams import (gaps, lower_words, merge_runs, ngram_keys, ngram_text, py_spans,
                      raw_words, read_benchmarks, strip, sums_at)

REMOVE_ONLY = ("margin", "max_splits", "min_piece_chars", "separator")


def _at(arr: Column, i: Column) -> Column:
    """``arr[i]``, 0-based."""
    return F.element_at(arr, i + 1)


@register("decontaminate")
class Decontaminate(Operator):
    """Drop documents sharing a word n-gram with a benchmark example, or cut the match out
    with a margin (GPT-3's rule). Rule: GPT-3 (Brown et al. 2020) 13-grams, as DataTrove's
    NGramsDecontFilter (12-grams) finds them.

    Example::

        - decontaminate: {benchmarks: data/benchmarks/example_eval.jsonl, name_field: benchmark,
                          mode: remove}
    """

    class Params(OpParams):
        benchmarks: str | list[str] = Field(
            description="benchmark file(s): JSON lines (.jsonl/.json/.ndjson, may be .gz), "
            ".txt (one example a line) or Parquet (a file or folder)")
        text_field: str | list[str] = Field(
            "text", description="the field (column) with the example text; several: their "
            "values joined by a newline make one example (n-grams may span them)")
        name_field: str | None = Field(
            None, min_length=1, description="a field naming each example's benchmark; "
            "unset (and for .txt): the file name without its suffix")
        n: int = Field(13, ge=1, description="words per n-gram (GPT-3: 13, DataTrove: 12)")
        mode: Literal["drop", "remove"] = Field(
            "drop", description="'drop': drop contaminated documents; 'remove': cut each match "
            "out with a margin, dropping documents split into too many pieces")
        margin: int = Field(200, ge=0, description="remove: characters cut each side of a "
                            "matched n-gram")
        max_splits: int = Field(10, ge=1, description="remove: drop documents split into more "
                                "pieces than this")
        min_piece_chars: int = Field(200, ge=0, description="remove: pieces shorter than this "
                                     "(after stripping) are discarded, as GPT-3 did; 0 keeps all")
        separator: str = Field("\n\n", description="remove: what joins the kept pieces")
        keep_original: str | None = Field(None, min_length=1, description="a column to keep "
                                          "the text as it came in (rejects of later steps "
                                          "then show both)")
        broadcast_max_ngrams: int = Field(
            1_000_000, ge=0, description="broadcast the benchmark n-grams up to this many "
            "(counted before de-duplication); more: a shuffle join")

        @model_validator(mode="after")
        def _consistent(self):
            if not self.benchmarks:
                raise ValueError("benchmarks: give at least one file")
            if not self.text_field:
                raise ValueError("text_field: give at least one field")
            extra = [k for k in REMOVE_ONLY if k in self.model_fields_set]
            if self.mode == "drop" and extra:
                raise ValueError(f"{', '.join(extra)} only apply with mode: remove")
            return self

    @property
    def paths(self) -> list[str]:
        b = self.params.benchmarks
        return [b] if isinstance(b, str) else list(b)

    def requires(self) -> dict[str, str]:
        return {self.ctx.text_column: "string", self.ctx.id_column: "any"}

    def adds(self) -> list[str]:
        return [self.params.keep_original] if self.params.keep_original else []

    def check_placement(self) -> None:
        if self.params.keep_original == self.ctx.text_column:
            raise RecipeError("keep_original cannot be the text column (the rewritten text "
                              "replaces it)", param="keep_original")
        self.examples()

    def examples(self) -> tuple[list[tuple[str, str]], int]:
        """(benchmark name, text) of every example, and how many n-grams they have."""
        cached = self.__dict__.get("_examples")
        if cached is None:
            p = self.params
            fields = [p.text_field] if isinstance(p.text_field, str) else list(p.text_field)
            found = read_benchmarks(self.paths, fields, p.name_field)
            count = sum(max(0, len(py_spans(text)) - p.n + 1) for _, text in found)
            if count == 0:
                raise RecipeError(f"no benchmark example has {p.n} words (shorter examples "
                                  "are skipped): lower n", param="benchmarks")
            cached = self.__dict__["_examples"] = (found, count)
        return cached

    def report(self) -> dict[str, float]:
        if "_examples" not in self.__dict__:
            return {}
        found, count = self.__dict__["_examples"]
        return {"benchmark_examples": float(len(found)), "benchmark_ngrams": float(count)}

    # ---- matching -------------------------------------------------------------------
    def _names(self) -> list[str]:
        return list(dict.fromkeys(name for name, _ in self.examples()[0]))

    def _benchmark_keys(self, spark) -> DataFrame:
        found, count = self.examples()
        index = {name: i for i, name in enumerate(self._names())}
        bench = spark.createDataFrame([(index[name], text) for name, text in found],
                                      "b int, t string")
        key = F.explode(ngram_keys(lower_words(raw_words(F.col("t"))), self.params.n))
        keys = (bench.select("b", key.alias("k"))
                .select(F.col("k.h").alias("h"), F.col("k.h2").alias("h2"), "b").distinct())
        if count <= self.params.broadcast_max_ngrams:
            return F.broadcast(keys)
        return keys.hint("shuffle_hash")

    def hits(self, df: DataFrame, doc_id: str, name: str) -> DataFrame:
        """(doc_id, name: sorted array of struct(pos, h, b)) for live rows with a match."""
        keys = ngram_keys(lower_words(raw_words(self.text)), self.params.n)
        docs = (df.where(live() & self.text.isNotNull())
                .select(F.col(self.ctx.id_column).alias(doc_id), F.posexplode(keys))
                .select(doc_id, "pos", F.col("col.h").alias("h"), F.col("col.h2").alias("h2")))
        matched = docs.join(self._benchmark_keys(df.sparkSession), ["h", "h2"])
        return matched.groupBy(doc_id).agg(
            F.array_sort(F.collect_set(F.struct("pos", "h", "b"))).alias(name))

    # ---- per document ---------------------------------------------------------------
    def _untouched(self, text: Column) -> Column:
        fields = [F.lit(0).alias("matches"), F.lit(None).cast("string").alias("benchmark"),
                  F.lit(None).cast("string").alias("ngram")]
        if self.params.mode == "remove":
            fields.append(F.struct(F.lit(None).cast("int").alias("pieces"), text.alias("text"),
                                   F.length(text).alias("chars_left")).alias("cut"))
        return F.struct(*fields)

    def _pieces(self, text: Column, raw: Column, ps: Column) -> Column:
        """struct(pieces: non-empty, before short ones go; text: the kept ones joined;
        chars_left) for the sorted matched positions ``ps`` (at least one)."""
        return let(F.length(text), lambda size: self._cut(text, raw, ps, size))

    def _cut(self, text: Column, raw: Column, ps: Column, size: Column) -> Column:
        p, n = self.params, self.params.n

        def with_runs(runs: Column) -> Column:  # word runs: n-grams sharing a word merged
            at = F.flatten(F.transform(runs, lambda r: F.array(r["lo"], r["hi"])))
            lengths = let(gaps(text), lambda g: F.transform(
                F.slice(raw, 1, F.element_at(at, -1) + 1),
                lambda w, k: F.length(_at(g, k)) + F.length(w)))

            def with_ends(ends: Column) -> Column:  # offset after the words lo, hi of run i
                lo = F.transform(runs, lambda r, i: F.greatest(F.lit(0), _at(ends, 2 * i)
                                                               - F.length(_at(raw, r["lo"]))
                                                               - p.margin))
                hi = F.transform(runs, lambda r, i: F.least(size, _at(ends, 2 * i + 1)
                                                            + p.margin))
                return let(merge_runs(lo, hi), pieces)

            return let(sums_at(lengths, at), with_ends)

        def pieces(cuts: Column) -> Column:  # what lies between the cuts, stripped
            g = F.size(cuts)
            a = lambda k: F.when(k == 0, F.lit(0)).otherwise(_at(cuts, k - 1)["hi"])  # noqa: E731
            b = lambda k: F.when(k == g, size).otherwise(_at(cuts, k)["lo"])  # noqa: E731
            return F.transform(F.sequence(F.lit(0), g),
                               lambda k: strip(text.substr(a(k) + 1, b(k) - a(k))))

        def fields(nonempty: Column) -> Column:
            kept = F.filter(nonempty, lambda x: F.length(x) >= p.min_piece_chars)
            return let(F.array_join(kept, p.separator), lambda t: F.struct(
                F.size(nonempty).alias("pieces"), t.alias("text"),
                F.length(t).alias("chars_left")))

        runs = merge_runs(ps, F.transform(ps, lambda q: q + n - 1))
        return let(F.filter(let(runs, with_runs), lambda x: F.length(x) > 0), fields)

    def measure(self, text: Column, hits: Column, names: list[str]) -> Column:
        """struct(matches, benchmark, ngram[, cut: struct(pieces, text, chars_left)]) for a
        live row."""
        n, remove = self.params.n, self.params.mode == "remove"
        name_of = F.array(*[F.lit(x) for x in names])

        def with_raw(raw: Column) -> Column:
            def with_words(lw: Column) -> Column:
                # Only the row's own n-gram at a position counts (rows sharing an id).
                verified = F.filter(hits, lambda x: F.xxhash64(F.slice(lw, x["pos"] + 1, n))
                                    == x["h"])

                def with_verified(v: Column) -> Column:
                    ids = F.array_sort(F.array_distinct(F.transform(v, lambda x: x["b"])))
                    bench = F.array_join(F.array_distinct(
                        F.transform(ids, lambda i: _at(name_of, i))), ",")

                    def with_positions(ps: Column) -> Column:
                        fields = [F.size(ps).alias("matches"), bench.alias("benchmark"),
                                  F.substring(ngram_text(lw, _at(ps, F.lit(0)), n), 1, 200)
                                  .alias("ngram")]
                        if remove:
                            fields.append(self._pieces(text, raw, ps).alias("cut"))
                        return F.when(F.size(ps) == 0, self._untouched(text)).otherwise(
                            F.struct(*fields))

                    return let(F.array_distinct(F.transform(v, lambda x: x["pos"])),
                               with_positions)

                return let(verified, with_verified)

            return let(lower_words(raw), with_words)

        return F.when(hits.isNull(), self._untouched(text)).otherwise(let(raw_words(text),
                                                                           with_raw))

    def drop_rules(self, m: Column) -> list[DropRule]:
        p, hit = self.params, m["matches"] > 0
        evidence = ("benchmark=%s ngram='%s'", m["benchmark"], m["ngram"])
        if p.mode == "drop":
            return [DropRule("contaminated", hit, fmt("matches=%d >= min=1 " + evidence[0],
                                                      m["matches"], *evidence[1:]))]
        return [
            DropRule("too_many_splits", hit & (m["cut"]["pieces"] > p.max_splits),
                     fmt(f"pieces=%d > max=%d {evidence[0]} matches=%d", m["cut"]["pieces"],
                         p.max_splits, *evidence[1:], m["matches"])),
            DropRule("nothing_left", hit & (m["cut"]["chars_left"] < 1),
                     fmt(f"chars_left=%d < min=1 {evidence[0]} matches=%d pieces=%d "
                         f"(none of >= {p.min_piece_chars} chars)", m["cut"]["chars_left"],
                         *evidence[1:], m["matches"], m["cut"]["pieces"])),
        ]

    def transform(self, df: DataFrame) -> DataFrame:
        p, ctx = self.params, self.ctx
        tmp = f"_thresher_decont_{ctx.step}"
        doc_id, found = f"{tmp}_id", f"{tmp}_hits"
        hits = self.hits(df, doc_id, found)
        out = df.join(hits, F.col(ctx.id_column).eqNullSafe(F.col(doc_id)), "left")
        out = out.withColumn(tmp, F.when(live() & self.text.isNotNull(),
                                         self.measure(self.text, F.col(found), self._names())))
        out = mark_drops(out.drop(doc_id, found), self.drop_rules(F.col(tmp)), ctx)
        matched = F.col(tmp)["matches"] > 0
        extra = {tally_column(ctx, "ngrams_matched"): F.when(matched, F.col(tmp)["matches"])}
        if p.keep_original:
            extra = {p.keep_original: self.text, **extra}
        if p.mode == "remove":
            # Rows this step dropped are no longer live: they keep the text they came with.
            rewritten = live() & matched
            extra[tally_column(ctx, "chars_removed")] = F.when(
                rewritten, F.length(self.text) - F.length(F.col(tmp)["cut"]["text"]))
            out = out.withColumns(extra).withColumn(
                ctx.text_column, F.when(rewritten, F.col(tmp)["cut"]["text"]).otherwise(self.text))
        else:
            out = out.withColumns(extra)
        return out.drop(tmp)
