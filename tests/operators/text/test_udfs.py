"""The Java UDF path (operators/text/udfs.py) against the SQL expression path: the
same metric values on real and adversarial text, the jar built from the sources in
the tree, and the ``spark.thresher.textUdfs`` switch."""
from __future__ import annotations

import importlib.util
import random
import zipfile
from pathlib import Path

import pytest

from thresher.operators.base import StepContext
from thresher.operators.errors import MissingDependencyError
from thresher.operators.text import (AlphaRatioFilter, BulletLineFilter, DuplicateLineFractionFilter,
                            LineEndEllipsisFilter, MeanWordLengthFilter, StopwordFilter,
                            SymbolRatioFilter, TopNgramRepetitionFilter, WordCountFilter, udfs)

ROOT = Path(__file__).resolve().parents[3]

OPS = {
    "words": WordCountFilter(),
    "mean": MeanWordLengthFilter(),
    "alpha": AlphaRatioFilter(),
    "symbols": SymbolRatioFilter(),
    "ellipsis": LineEndEllipsisFilter(),
    "bullets": BulletLineFilter(),
    "bullets_custom": BulletLineFilter(bullets=["->", "-", "§ ", "1."]),
    "stop": StopwordFilter(),
    "stop_unicode": StopwordFilter(stopwords=["ÉTÉ", "straße", "k", "s", "naïve"], min_stopwords=1),
    "stop_punct": StopwordFilter(stopwords=["don't", "the"], min_stopwords=1),  # SQL either way
    "dup_line": DuplicateLineFractionFilter(),
    "dup_line_all": DuplicateLineFractionFilter(ignore_blank=False),
    "dup_para": DuplicateLineFractionFilter(unit="paragraph"),
    "dup_para_all": DuplicateLineFractionFilter(unit="paragraph", ignore_blank=False),
    "top": TopNgramRepetitionFilter(max_fractions={1: 0.5, 2: 0.2, 3: 0.2, 4: 0.2, 6: 0.1}),
}

# Pieces that stress the character classes: Python-only whitespace and line breaks,
# \r\n next to blank lines, letters outside the BMP, combining marks, case-fold
# oddities (Kelvin sign, long s, dotted I), bullets and ellipses.
PIECES = ["a", "Be", "the", "THE", "tHe", "é", "e\u0301", "1", "_", "#", "..", ".", "…", "•",
          "-", "->", "§ ", "1.", " ", "  ", "\t", "\n", "\n\n", "\r\n", "\r", "\r\n\r\n", " \n \n",
          "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\u00a0", "\u2028", "\u2029", "\u3000",
          "\u212a", "\u017f", "\u0130", "straße", "STRASSE", "été", "naïve", "don't", "😀",
          "𝐀", "x y", "x\ny", "word word", "k", "s"]


def random_texts(seed: int, count: int) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(PIECES) for _ in range(rnd.randint(0, 40))) for _ in range(count)]


def metric_rows(df, jvm: bool) -> list[dict]:
    """Every op's metrics per row, as plain Python values."""
    ctx = StepContext(step=1, jvm_udfs=jvm)
    cols = ["id"] + [op.bind(ctx).metrics_struct().alias(k) for k, op in OPS.items()]
    return [r.asDict(recursive=True) for r in df.select(*cols).orderBy("id").collect()]


def test_jvm_metrics_equal_sql_metrics(spark, make_df, english):
    udfs.require(spark)
    corpus = spark.read.parquet(str(ROOT / "data" / "quickstart")).select("text").limit(400)
    texts = (list(english.values()) + [r["text"] for r in corpus.collect()]
             + ["", " ", "\r\n", "a\r\nb", "a\r\n\r\nb", "x" * 5000, "the " * 3000, None]
             + random_texts(11, 600))
    df = make_df(texts)
    sql, jvm = metric_rows(df, False), metric_rows(df, True)
    assert len(sql) == len(texts)
    for s, j in zip(sql, jvm):
        assert s == j, texts[s["id"]]
    # The comparison is not vacuous: the metrics vary across the texts.
    present = [r for r in jvm if r["top"]["top"] is not None]
    assert len({r["top"]["top"][1]["count"] if r["top"]["top"][1] else 0 for r in present}) > 5
    assert sum(r["stop_unicode"]["stopwords"] for r in present) > 50
    assert sum(r["dup_para"]["dup"]["dups"] for r in present) > 10


def test_jar_is_built_from_the_sources_in_the_tree():
    spec = importlib.util.spec_from_file_location("build_jar", ROOT / "scripts" / "build_jar.py")
    build_jar = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_jar)
    with zipfile.ZipFile(udfs.jar_path()) as jar:
        recorded = jar.read(build_jar.HASH_ENTRY).decode().strip()
        classes = {n for n in jar.namelist() if n.endswith(".class")}
    assert recorded == build_jar.sources_hash(), (
        "operators/text/thresher-text.jar is stale: run python scripts/build_jar.py")
    for cls, _ in udfs.FUNCTIONS.values():
        assert cls.replace(".", "/") + ".class" in classes


def test_conf_switch(spark, make_df):
    df = make_df(["one two three", "a b"])
    op = WordCountFilter(min=3).bind(StepContext(step=1, op_name="w"))

    def plan() -> str:
        return op.transform(df)._jdf.queryExecution().optimizedPlan().toString()

    try:
        spark.conf.set(udfs.CONF, "off")
        assert "thresher_word_count(" not in plan()
        spark.conf.set(udfs.CONF, "on")
        assert "thresher_word_count(" in plan()
        spark.conf.set(udfs.CONF, "sometimes")
        with pytest.raises(MissingDependencyError, match="auto, on or off"):
            plan()
    finally:
        spark.conf.unset(udfs.CONF)
    assert "thresher_word_count(" in plan()  # auto: the jar is loadable here
    out = {r["id"]: r["_thresher_drop_reason"] for r in op.transform(df).collect()}
    assert out == {0: None, 1: "w:too_few_words"}


def test_jar_path_from_a_zipped_package(tmp_path):
    """Under --py-files the package is a zip: the jar is extracted to a real file, in a
    private folder, so a jar planted under a predictable name in /tmp is never loaded."""
    import hashlib
    import subprocess
    import sys
    import tempfile

    from thresher.jobs.package import build_zip

    real = Path(udfs.jar_path()).read_bytes()
    planted = Path(tempfile.gettempdir()) / f"thresher-text-{hashlib.sha256(real).hexdigest()[:16]}.jar"
    existed = planted.exists()
    if not existed:  # the name earlier versions used: someone else's file there must not load
        planted.write_bytes(b"PK not the real jar")
    try:
        archive = build_zip(str(tmp_path))
        code = ("import sys, os, stat, hashlib; sys.path.insert(0, sys.argv[1]);"
                "from thresher.operators.text import udfs; p = udfs.jar_path();"
                "print(p); print(oct(stat.S_IMODE(os.stat(os.path.dirname(p)).st_mode)));"
                "print(hashlib.sha256(open(p, 'rb').read()).hexdigest())")
        out = subprocess.run([sys.executable, "-c", code, archive], capture_output=True, text=True,
                             cwd=tmp_path, check=True).stdout.split()
    finally:
        if not existed:
            planted.unlink()
    path, mode, digest = out
    assert ".zip" not in path and path != str(planted)
    assert mode == "0o700"
    assert digest == hashlib.sha256(real).hexdigest()
