"""decontaminate: n-gram matches against benchmark files (JSON lines, .txt, Parquet) named
in the detail, no match on n-1 words, the word definition the same in Spark and Python,
remove mode's cuts (margin, merging, max_splits, short pieces) against a plain-Python
reference, broadcast and shuffle joins agreeing, rows in == rows out (duplicate ids too),
the tallies, and recipe errors for missing or empty benchmark files."""
from __future__ import annotations

import json
import random
import unicodedata
from collections import Counter

import pandas as pd
import pytest
from pydantic import ValidationError
from pyspark.sql import functions as F

from thresher.operators.base import (DROP_DETAIL, DROP_REASON, DROP_STEP, StepContext,
                                     tally_column)
from thresher.operators.errors import RecipeError
from thresher.operators.text import _ngrams
from thresher.operators.text.decontaminate import Decontaminate

SCHEMA = f"id int, text string, {DROP_REASON} string, {DROP_STEP} int, {DROP_DETAIL} string"
CTX = StepContext(step=1, op_name="decontaminate")
MATCHED, REMOVED = tally_column(CTX, "ngrams_matched"), tally_column(CTX, "chars_removed")

SQUAD = ("Which river flows through the old market town before it finally reaches the northern "
         "sea in early spring?")
BOOLQ = ("Is it true that the ancient stone bridge over the valley was rebuilt entirely by "
         "volunteers after the great flood of the last century?")
QA = ("The committee announced that the annual lantern festival would move from the harbour to "
      "the cathedral square this autumn.")
TRIVIA = [
    "What is the name of the longest mountain range that runs along the western coast of the "
    "southern continent?",
    # shares two 13-grams with SQUAD ("which river ... the", "river ... northern")
    "Which river flows through the old market town before it finally reaches the northern "
    "harbour at night?",
    "L'ÉCOLE de la rue des Fleurs a fermé ses portes après cent vingt années d'enseignement "
    "aux enfants du quartier.",
    "Capital of France?",  # under 13 words: no n-gram
]
MMLU = ["Which of the following best describes the primary function of the mitochondria in a "
        "eukaryotic cell in the human body?",
        "A farmer has seventeen sheep and all but nine run away; how many sheep does the farmer "
        "have left at the end?"]
NAMES = ["squad", "boolq", "qa", "trivia", "mmlu"]  # in the order the files list them
VOCAB = ("the of and to in is was that for on with as by at from his her they this which or "
         "had not are but have were one all their there been has when who will more no if out "
         "so said what up its about into than them can only other new some could time these two "
         "may then do first any my now such like our over man me even most made after also did "
         "many before must through back years where much your way well down should because "
         "each just those people how too little state good very make world still own see men "
         "work long get here between both life being under never day same another know while "
         "last might us great old year off come since against go came right used take three "
         "river harbour valley bridge lantern meadow orchard quarry chapel ferry mill").split()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("benchmarks")
    (d / "qa.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"task": "squad", "text": SQUAD}, {"task": "boolq", "text": BOOLQ}, {"text": QA},
        {"task": "squad", "text": "too short to count"}]) + "\n\n")
    (d / "trivia.txt").write_text("\n".join(TRIVIA) + "\n\n")
    pd.DataFrame({"text": MMLU, "answer": ["B", "9"]}).to_parquet(d / "mmlu.parquet")
    (d / "empty.jsonl").write_text("\n \n")
    (d / "short.txt").write_text("one two three\nfour five\n")
    (d / "bad.jsonl").write_text('{"question": "no text field here"}\n')
    return {p.name.split(".")[0]: str(p) for p in d.iterdir()}


def op_for(files, **params):
    op = Decontaminate(benchmarks=[files["qa"], files["trivia"], files["mmlu"]],
                       name_field="task", **params).bind(CTX)
    op.check_placement()
    return op


# ---- the plain-Python reference ----------------------------------------------------
def ref_spans(text: str) -> list[tuple[int, int]]:
    """Word offsets: maximal runs of letters, marks and digits (one character at a time)."""
    out, start = [], None
    for i, c in enumerate(text + " "):
        if i < len(text) and unicodedata.category(c)[0] in "LMN":
            start = i if start is None else start
        elif start is not None:
            out.append((start, i))
            start = None
    return out


def ref_grams(text: str, n: int) -> list[str]:
    ws = [text[a:b].lower() for a, b in ref_spans(text)]
    return [" ".join(ws[i:i + n]) for i in range(len(ws) - n + 1)]


def ref_index(n: int) -> dict[str, list[str]]:
    examples = ([("squad", SQUAD), ("boolq", BOOLQ), ("qa", QA)] + [("trivia", t) for t in TRIVIA]
                + [("mmlu", t) for t in MMLU])
    index: dict[str, list[str]] = {}
    for name, text in examples:
        for gram in ref_grams(text, n):
            index.setdefault(gram, [])
            if name not in index[gram]:
                index[gram].append(name)
    return index


def ref_apply(text, index, *, n=13, mode="drop", margin=200, max_splits=10, min_piece=200,
              sep="\n\n"):
    """(reason, text after, matched n-grams, detail) as decontaminate defines them."""
    if text is None:
        return None, None, None, None
    grams = ref_grams(text, n)
    hits = [i for i, g in enumerate(grams) if g in index]
    if not hits:
        return None, text, None, None
    names = {b for i in hits for b in index[grams[i]]}
    evidence = (f"benchmark={','.join(b for b in NAMES if b in names)} "
                f"ngram='{grams[hits[0]][:200]}'")
    if mode == "drop":
        return "contaminated", text, len(hits), f"matches={len(hits)} >= min=1 {evidence}"
    spans = ref_spans(text)
    cuts: list[list[int]] = []
    for i in hits:
        lo, hi = max(0, spans[i][0] - margin), min(len(text), spans[i + n - 1][1] + margin)
        if cuts and lo <= cuts[-1][1]:
            cuts[-1][1] = max(cuts[-1][1], hi)
        else:
            cuts.append([lo, hi])
    bounds = [0] + [x for cut in cuts for x in cut] + [len(text)]
    pieces = [text[a:b].strip() for a, b in zip(bounds[::2], bounds[1::2])]
    pieces = [p for p in pieces if p]
    if len(pieces) > max_splits:
        return ("too_many_splits", text, len(hits),
                f"pieces={len(pieces)} > max={max_splits} {evidence} matches={len(hits)}")
    kept = [p for p in pieces if len(p) >= min_piece]
    if not kept:
        return ("nothing_left", text, len(hits), f"chars_left=0 < min=1 {evidence} "
                f"matches={len(hits)} pieces={len(pieces)} (none of >= {min_piece} chars)")
    return None, sep.join(kept), len(hits), None


def prose(rng: random.Random, words: int) -> str:
    """Sentences of random words, with commas, in paragraphs."""
    out, para = [], []
    while words > 0:
        k = min(words, rng.randint(6, 24))
        ws = [rng.choice(VOCAB) for _ in range(k)]
        if k > 8:
            ws[rng.randint(2, k - 3)] += ","
        para.append(" ".join(ws).capitalize() + rng.choice([".", ".", "?", "!"]))
        words -= k
        if rng.random() < 0.15:
            out.append(" ".join(para))
            para = []
    return "\n\n".join(out + [" ".join(para)])


def noisy(rng: random.Random, text: str) -> str:
    """``text`` with its case, punctuation and spacing changed (the same words)."""
    out = []
    for a, b in ref_spans(text):
        w = text[a:b]
        w = w.upper() if rng.random() < 0.3 else w.lower() if rng.random() < 0.5 else w
        out.append(w + rng.choice([" ", " ", ", ", " -- ", "\n", "  ", "; ", "'"]))
    return "".join(out)


def run(spark, op, rows):
    df = spark.createDataFrame(rows, SCHEMA)
    return op.transform(df)


# ---- tests --------------------------------------------------------------------------
def test_words_ngrams_and_helpers_match_python(spark):
    tricky = ["Hello, World! It's 2024.", "  lead and trail  ", "", "naïve café ١٢٣ ½ ⅷ ²",
              "e\u0301cole x_y a-b", "ΑΣ'Β ΟΔΟΣ ΣΑΣ", "İstanbul ǅemal DŽ", "x\U0001F600y 𝐀bc",
              "東京は 日本の首都です。", "tab\there\nline\u2028sep\u00a0nbsp", "...!?"]
    for t in tricky:
        assert _ngrams.py_spans(t) == ref_spans(t), t
        assert _ngrams.py_words(t) == [t[a:b].lower() for a, b in ref_spans(t)], t
    df = spark.createDataFrame([(t,) for t in tricky], "t string")
    raw = _ngrams.raw_words(F.col("t"))
    lw = _ngrams.lower_words(raw)
    grams = F.when(F.size(lw) >= 2, F.transform(F.sequence(F.lit(0), F.size(lw) - 2),
                                                lambda i: _ngrams.ngram_text(lw, i, 2))
                   ).otherwise(F.array().cast("array<string>"))
    lengths = F.transform(raw, lambda w, k: F.length(F.element_at(_ngrams.gaps(F.col("t")), k + 1))
                          + F.length(w))
    ends = F.when(F.size(raw) > 0, _ngrams.sums_at(lengths, F.sequence(F.lit(0), F.size(raw) - 1)))
    sums = _ngrams.sums_at(F.array(*map(F.lit, [3, 1, 4, 1, 5, 9, 2, 6])),
                           F.array(*map(F.lit, [0, 2, 2, 5])))
    runs = _ngrams.merge_runs(F.array(*map(F.lit, [0, 5, 10, 30, 31, 50])),
                              F.array(*map(F.lit, [6, 10, 20, 35, 40, 50])))
    got = df.select("t", lw.alias("w"), F.size(_ngrams.gaps(F.col("t"))).alias("g"),
                    grams.alias("grams"), ends.alias("ends"), sums.alias("sums"),
                    F.transform(runs, lambda r: F.array(r["lo"], r["hi"])).alias("runs"),
                    F.size(_ngrams.ngram_keys(lw, 2)).alias("keys")).collect()
    for r in got:
        spans = ref_spans(r["t"])
        assert r["w"] == [r["t"][a:b].lower() for a, b in spans], r["t"]
        assert r["g"] == len(spans) + 1
        assert r["grams"] == ref_grams(r["t"], 2) == _ngrams.py_ngrams(r["t"], 2)
        assert r["ends"] == ([b for _, b in spans] or None)
        assert r["keys"] == (len(spans) - 1 if len(spans) >= 2 else None)
    assert got[0]["w"] == ["hello", "world", "it", "s", "2024"]
    assert got[3]["w"] == ["naïve", "café", "١٢٣", "½", "ⅷ", "²"]
    assert got[4]["w"] == ["e\u0301cole", "x", "y", "a", "b"]
    assert got[8]["w"] == ["東京は", "日本の首都です"]
    assert got[0]["sums"] == [3, 8, 8, 23]
    assert got[0]["runs"] == [[0, 20], [30, 40], [50, 50]]


def test_drop_mode(spark, files):
    rng = random.Random(3)
    squad_tail = " ".join(SQUAD.split()[2:])  # 16 words: no 13-gram shared with trivia
    big = prose(rng, 9000) + "\n\n" + noisy(rng, QA) + " " + prose(rng, 9000)
    assert len(big) > 90_000, len(big)
    boolq = BOOLQ.split()
    texts = {
        0: "Some intro. " + noisy(rng, squad_tail) + " and then something else.",
        1: "A question: " + SQUAD + " Nobody knew.",  # squad and trivia share n-grams
        2: " ".join(boolq[:12]) + " closed for repairs last year, sadly.",  # 12 words: no match
        3: " ".join(boolq[:11] + ["is"] + boolq[12:]),  # one word changed: no 13 in a row
        4: " ".join(reversed(boolq)),
        5: "Quiz time. " + MMLU[1].upper() + " Think about it.",
        6: "l'école de la rue des fleurs a fermé ses portes après cent vingt années d'enseignement",
        7: "Dropped earlier although it holds it: " + SQUAD,
        8: None, 9: "", 10: big, 11: "Capital of France? Paris, of course.",
    }
    rows = [(i, t, "earlier" if i == 7 else None, 0 if i == 7 else None,
             "x" if i == 7 else None) for i, t in texts.items()]
    # Two rows share id 12 (two more have none): only those holding n-grams are contaminated.
    rows += [(i, t, None, None, None) for i, t in [
        (12, "Plain words only here."), (12, "Here: " + BOOLQ), (None, "No id, and " + QA),
        (None, "No id, clean.")]]
    out = None
    for limit in (1_000_000, 0):  # broadcast join, shuffle hash join: one job for both
        op = op_for(files, broadcast_max_ngrams=limit)
        examples = [SQUAD, BOOLQ, QA, "too short to count", *TRIVIA, *MMLU]
        assert op.report() == {"benchmark_examples": 10.0, "benchmark_ngrams": float(
            sum(max(0, len(ref_spans(t)) - 12) for t in examples))} == {
            "benchmark_examples": 10.0, "benchmark_ngrams": 64.0}
        res = run(spark, op, rows).withColumn("join", F.lit(limit))
        out = res if out is None else out.unionByName(res)
        plan = res._jdf.queryExecution().executedPlan().toString()
        assert ("BroadcastHashJoin" in plan) == (limit > 0), plan
        assert ("ShuffledHashJoin" in plan) == (limit == 0), plan
    assert out.columns[:5] == ["id", "text", DROP_REASON, DROP_STEP, DROP_DETAIL]
    assert out.columns[5:] == [MATCHED, "join"]
    got = out.collect()
    index = ref_index(13)
    for limit in (1_000_000, 0):
        part = [r for r in got if r["join"] == limit]
        assert Counter(r["id"] for r in part) == Counter(r[0] for r in rows)  # rows in == out
        by = {(r["id"], r["text"]): r for r in part}
        for i, t, *_ in rows:
            r = by[(i, t)]
            if i == 7:
                assert (r[DROP_REASON], r[DROP_STEP], r[DROP_DETAIL], r[MATCHED]) == (
                    "earlier", 0, "x", None)
                continue
            reason, _, matched, detail = ref_apply(t, index)
            assert r[DROP_REASON] == (reason and f"decontaminate:{reason}"), (i, t)
            assert (r[DROP_DETAIL], r[MATCHED]) == (detail, matched), (i, t)
        dropped = sorted((r["id"], r["text"][:5]) for r in part if r[DROP_REASON]
                         and r["id"] is not None)
        assert dropped == [(0, "Some "), (1, "A que"), (5, "Quiz "), (6, "l'éco"), (7, "Dropp"),
                           (10, big[:5]), (12, "Here:")]
        assert {r["text"]: r[DROP_REASON] for r in part if r["id"] is None} == {
            "No id, clean.": None, "No id, and " + QA: "decontaminate:contaminated"}
        details = {r["id"]: r[DROP_DETAIL] for r in part if r["id"] != 12}
        assert details[0] == ("matches=4 >= min=1 benchmark=squad ngram='flows through the old "
                              "market town before it finally reaches the northern sea'")
        assert details[1].startswith("matches=6 >= min=1 benchmark=squad,trivia ngram='which")
        assert details[5].startswith("matches=10 >= min=1 benchmark=mmlu ngram='a farmer")
        assert details[6].startswith("matches=5 >= min=1 benchmark=trivia ngram='l école de")
        assert details[10].startswith("matches=7 >= min=1 benchmark=qa ngram='the committee")
        assert {(r[DROP_DETAIL] or "")[:10] for r in part if r["id"] == 12} == {"", "matches=12"}


def test_remove_mode_matches_reference(spark, files):
    rng = random.Random(11)
    passages = [SQUAD, BOOLQ, QA, TRIVIA[0], TRIVIA[2], MMLU[0], MMLU[1]]
    params = dict(n=6, mode="remove", margin=15, max_splits=4, min_piece_chars=12,
                  separator=" | ", keep_original="original")
    texts = []
    for _ in range(60):
        parts = [prose(rng, rng.randint(0, 60))]
        for _ in range(rng.randint(0, 6)):
            p = noisy(rng, rng.choice(passages))
            if rng.random() < 0.2:  # only n-1 words of it
                p = " ".join(p.split()[:5])
            parts += [p, prose(rng, rng.choice([0, 1, 3, 10, 40]))]
        texts.append(" ".join(parts))
    texts += ["Before. " + SQUAD + " After.", SQUAD, "x " + QA + " " + QA + " y" * 30,
              "Fine words " * 20, "Dropped earlier: " + SQUAD + " y" * 30]
    # GPT-3's defaults (13 words, 200 characters, 10 pieces) on ~100 KB and split documents.
    big = (prose(rng, 5000) + " " + noisy(rng, BOOLQ) + " " + prose(rng, 7000) + " "
           + noisy(rng, MMLU[0]) + " " + prose(rng, 12) + " " + SQUAD + " " + prose(rng, 8000))
    split = " ".join(prose(rng, 120) + " " + QA for _ in range(11)) + " " + prose(rng, 120)
    gpt3 = [big, split, split.replace(QA, "-", 2), "Short. " + BOOLQ]
    assert len(big) > 100_000
    earlier = len(texts) - 1
    rows = [(i, t, *(("earlier", 0, "x") if i == earlier else (None,) * 3))
            for i, t in enumerate(texts + gpt3)]
    ops = {"custom": op_for(files, **params),
           "gpt3": op_for(files, mode="remove", keep_original="original")}
    df = spark.createDataFrame(rows, SCHEMA)
    outs = [ops["custom"].transform(df.where(F.col("id") < len(texts))),
            ops["gpt3"].transform(df.where(F.col("id") >= len(texts)))]
    assert outs[0].columns == df.columns + ["original", MATCHED, REMOVED]
    got = {r["id"]: r for r in outs[0].unionByName(outs[1]).collect()}
    assert len(got) == len(rows)
    seen = set()
    for i, t, *_ in rows:
        kw = (dict(n=6, mode="remove", margin=15, max_splits=4, min_piece=12, sep=" | ")
              if i < len(texts) else dict(mode="remove"))
        reason, new, matched, detail = ref_apply(t, ref_index(kw.get("n", 13)), **kw)
        r = got[i]
        if i == earlier:  # untouched: no cut, no tally
            assert (r["text"], r[DROP_REASON], r[MATCHED], r[REMOVED]) == (t, "earlier", None,
                                                                           None)
            continue
        assert r[DROP_REASON] == (reason and f"decontaminate:{reason}"), (i, t)
        assert (r["text"], r[DROP_DETAIL], r[MATCHED]) == (new, detail, matched), (i, t)
        assert r["original"] == t
        assert r[REMOVED] == (len(t) - len(new) if matched and not reason else None)
        seen.add(reason if matched else "clean")
        if i >= len(texts):
            seen.add(f"gpt3:{reason}")
    assert seen >= {None, "clean", "too_many_splits", "nothing_left", "gpt3:None",
                    "gpt3:too_many_splits", "gpt3:nothing_left"}
    assert got[len(texts)][REMOVED] > 600 and got[len(texts)]["text"].count("\n\n") > 100
    assert got[len(texts) + 2][DROP_REASON] is None  # two of the 11 gone: 10 pieces


def test_recipe_errors(tmp_path, files):
    def check(match, **params):
        with pytest.raises(RecipeError, match=match) as err:
            Decontaminate(**params).bind(CTX).check_placement()
        assert err.value.param == "benchmarks"

    check("benchmark file not found", benchmarks=str(tmp_path / "nope.jsonl"))
    check("has no examples", benchmarks=[files["qa"], files["empty"]])
    check("no field 'text'", benchmarks=files["bad"])
    (tmp_path / "evals.csv").write_text("text\nsome words\n")
    check("unknown benchmark format", benchmarks=str(tmp_path / "evals.csv"))
    check("no benchmark example has 13 words", benchmarks=files["short"])
    check("no column 'question'", benchmarks=files["mmlu"], text_field="question")
    assert Decontaminate(benchmarks=files["short"], n=2).bind(CTX).report() == {}
    with pytest.raises(ValidationError, match="margin only apply with mode: remove"):
        Decontaminate(benchmarks=files["qa"], margin=5)
    with pytest.raises(ValidationError, match="at least one file"):
        Decontaminate(benchmarks=[])
    with pytest.raises(ValidationError):
        Decontaminate(benchmarks=files["qa"], mode="cut")
    op = Decontaminate(benchmarks=files["qa"], keep_original="orig").bind(
        StepContext(text_column="body", id_column="doc"))
    assert op.requires() == {"body": "string", "doc": "any"} and op.adds() == ["orig"]

    with pytest.raises(RecipeError, match="keep_original cannot be the text column") as err:
        Decontaminate(benchmarks=files["qa"], keep_original="text").bind(CTX).check_placement()
    assert err.value.param == "keep_original"

    from thresher.operators.recipe import Recipe
    with pytest.raises(RecipeError, match=r"step 1 \(decontaminate\), param 'benchmarks'.*"
                                          r"not found"):
        Recipe.from_dict({"name": "d", "input": {"format": "parquet", "path": str(tmp_path)},
                          "steps": [{"decontaminate": {"benchmarks": str(tmp_path / "x.txt")}}]})


def test_reading_benchmark_files(tmp_path):
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    with gzip.open(tmp_path / "arc.jsonl.gz", "wt") as fh:
        fh.write(json.dumps({"q": "Why is the sky blue?", "choices": ["light", None, "dust"],
                             "set": "arc_easy"}) + "\n" + json.dumps({"q": "Q2", "choices": "x"}))
    (tmp_path / "folder").mkdir()
    pq.write_table(pa.table({"q": ["Name a gas.", None], "choices": [["neon"], []]}),
                   tmp_path / "folder" / "part-0.parquet")
    (tmp_path / "lines.txt.gz").write_bytes(gzip.compress(b"first line\n\n  second  \n"))
    got = _ngrams.read_benchmarks([str(tmp_path / "arc.jsonl.gz"), str(tmp_path / "folder"),
                                   str(tmp_path / "lines.txt.gz")], ["q", "choices"], "set")
    # None in a list is an empty line; the Parquet row with nothing in it is skipped; a
    # .txt has no fields (one example a line, blank lines skipped).
    assert got == [("arc_easy", "Why is the sky blue?\nlight\n\ndust"), ("arc", "Q2\nx"),
                   ("folder", "Name a gas.\nneon"), ("lines", "first line"),
                   ("lines", "  second  ")]
    (tmp_path / "broken.jsonl").write_text('{"text": "ok"}\nnot json\n')
    with pytest.raises(RecipeError, match="broken.jsonl, line 2: not JSON") as err:
        _ngrams.read_benchmarks([str(tmp_path / "broken.jsonl")], ["text"], None)
    assert err.value.param == "benchmarks"


def test_recipe_run_counts_and_stats(spark, tmp_path, files):
    from thresher.operators.recipe import Recipe
    from thresher.operators.runner import run as run_recipe

    rng = random.Random(5)
    texts = {"a": prose(rng, 200) + " " + noisy(rng, SQUAD) + " " + prose(rng, 200),
             "b": "Short. " + BOOLQ, "c": prose(rng, 150), "d": None,
             "e": " ".join(prose(rng, 120) + " " + QA for _ in range(11))}
    src = tmp_path / "in"
    src.mkdir()
    pd.DataFrame({"id": list(texts), "text": list(texts.values())}).to_parquet(
        src / "part-0.parquet")
    recipe = Recipe.from_dict({
        "name": "decont", "input": {"format": "parquet", "path": str(src),
                                    "text_column": "text", "id_column": "id"},
        "steps": [{"decontaminate": {"benchmarks": [files["qa"], files["trivia"], files["mmlu"]],
                                     "name_field": "task", "mode": "remove",
                                     "keep_original": "original"}}]})
    result = run_recipe(recipe, spark=spark, echo=lambda s: None)
    read, step = result.steps
    expected = {k: ref_apply(t, ref_index(13), mode="remove") for k, t in texts.items()}
    assert step.dropped_by_reason == {"decontaminate:nothing_left": 1,
                                      "decontaminate:too_many_splits": 1}
    assert step.details == {
        "benchmark_examples": 10.0, "benchmark_ngrams": 64.0,
        "ngrams_matched": float(sum(e[2] or 0 for e in expected.values())),
        "chars_removed": float(len(texts["a"]) - len(expected["a"][1]))}
    kept = {r["id"]: (r["text"], r["original"]) for r in result.output.collect()}
    assert kept == {k: (expected[k][1], texts[k]) for k in "ac"}  # the read drops null texts
    assert read.rows_in == 5 == len(kept) + read.dropped + step.dropped
