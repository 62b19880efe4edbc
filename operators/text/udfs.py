"""The text filters' JVM fast path: Java UDFs from ``thresher-text.jar``.

The Gopher metrics are Spark SQL expressions everywhere (``_expr.py``), but the
repetition and line rules need higher-order functions, which Spark interprets row
by row. The same metrics as compiled Java (``jvm/src``, built by
``scripts/build_jar.py``) run several times faster and give the same values: the
tests run every filter both ways on the same documents and compare.

The conf ``spark.thresher.textUdfs`` picks the path: ``auto`` (default: the UDFs
when the jar can be loaded, else the SQL expressions), ``on`` (the UDFs or an
error) or ``off``. The jar travels with the package; on a running session it is
added with ``ADD JAR``, which also ships it to the executors; on Spark Connect it is
uploaded with ``spark.addArtifacts``. Where custom jars are not allowed (Databricks
shared access mode), ``auto`` falls back to the SQL path.
"""
from __future__ import annotations

import atexit
import hashlib
import logging
import os
import shutil
import tempfile
from importlib import resources

from pyspark.sql import Column
from pyspark.sql import functions as F

from ..connect import add_artifact, is_connect, note, session_key
from ..errors import MissingDependencyError

CONF = "spark.thresher.textUdfs"
JAR_NAME = "thresher-text.jar"
# SQL name -> (Java class, return type)
FUNCTIONS = {
    "thresher_word_count": ("thresher.text.Counts$WordCount", "int"),
    "thresher_word_chars": ("thresher.text.Counts$WordChars", "bigint"),
    "thresher_alpha_words": ("thresher.text.Counts$AlphaWords", "int"),
    "thresher_line_count": ("thresher.text.Counts$LineCount", "int"),
    "thresher_ellipsis_lines": ("thresher.text.Counts$EllipsisLines", "int"),
    "thresher_bullet_lines": ("thresher.text.Counts$BulletLines", "int"),
    "thresher_stopwords": ("thresher.text.Counts$Stopwords", "int"),
    "thresher_dup_units": ("thresher.text.Repetition$DupUnits",
                           "struct<units:int,dups:int,dup_chars:bigint>"),
    "thresher_top_ngrams": ("thresher.text.Repetition$TopNgrams",
                            "array<struct<gram:string,count:int>>"),
    "thresher_shingle_text": ("thresher.text.ShingleText", "string"),
    "thresher_unicode_form": ("thresher.text.UnicodeForm", "string"),
}
log = logging.getLogger(__name__)
_extracted: str | None = None  # this process's private copy of the jar (see jar_path)
_ready: dict[str, bool] = {}  # session key (connect.session_key) -> UDFs registered


def jar_path() -> str:
    """A filesystem path of the jar, extracted when the package is zipped (--py-files).

    The copy goes to a private folder (``mkdtemp``: mode 0700, a random name), never a
    predictable name in the shared temp directory, where another user could have put a
    jar of their own for this process to load into the JVM."""
    global _extracted
    res = resources.files(__package__).joinpath(JAR_NAME)
    if isinstance(res, os.PathLike) and os.path.isfile(res):
        return os.fspath(res)
    if _extracted is None or not os.path.isfile(_extracted):
        data = res.read_bytes()  # inside a --py-files zip: no real path to hand to Spark
        folder = tempfile.mkdtemp(prefix="thresher-jar-")
        atexit.register(shutil.rmtree, folder, True)
        path = os.path.join(folder, f"thresher-text-{hashlib.sha256(data).hexdigest()[:16]}.jar")
        with open(path, "wb") as f:
            f.write(data)
        _extracted = path
    return _extracted


def _session_key(spark) -> str:
    return session_key(spark)  # one per SparkSession (JVM) or Connect session id


def enable(spark) -> bool:
    """Register the UDFs on ``spark`` (once per session); True when the fast path is on."""
    mode = (spark.conf.get(CONF, "auto") or "auto").strip().lower()
    if mode not in ("auto", "on", "off"):
        raise MissingDependencyError(f"{CONF} is {mode!r}; use auto, on or off")
    if mode == "off":
        return False
    if mode == "on":
        require(spark)
        return True
    key = _session_key(spark)
    if key not in _ready:
        try:
            _register(spark)
            _ready[key] = True
        except Exception as exc:  # noqa: BLE001 - any failure: the SQL path still works
            log.warning("thresher: text UDFs unavailable (%s); using the SQL expressions", exc)
            note(spark, f"the text UDFs ({JAR_NAME}) could not be loaded ({type(exc).__name__}: "
                        f"{str(exc)[:200]}); the text filters ran as SQL expressions (same "
                        "values, slower)")
            _ready[key] = False
    return _ready[key]


def require(spark) -> None:
    """Register the UDFs on ``spark`` or raise ``MissingDependencyError``."""
    key = _session_key(spark)
    if _ready.get(key):
        return
    try:
        _register(spark)
    except Exception as exc:  # noqa: BLE001 - reported with what to do about it
        raise MissingDependencyError(
            f"the text UDFs could not be loaded from {JAR_NAME}: {exc}. Pass the jar with "
            f"--jars, or set {CONF}=auto (or off) to use the SQL expressions") from exc
    _ready[key] = True


def _register(spark) -> None:
    if is_connect(spark):
        # No JVM handle here; the jar goes up as a session artifact, which puts it on
        # the class path of this session (server and executors). Spark 4.3 Connect
        # registers Java UDFs from it; a server that refuses jars lands in auto's fallback.
        add_artifact(spark, jar_path())
        for name, (cls, returns) in FUNCTIONS.items():
            spark.udf.registerJavaFunction(name, cls, returns)
        return
    try:
        spark._jvm.java.lang.Class.forName(FUNCTIONS["thresher_word_count"][0], False,
                                           spark._jvm.Thread.currentThread().getContextClassLoader())
    except Exception:  # noqa: BLE001 - not on the classpath yet: add it (ships it to executors too)
        spark.sql(f"ADD JAR '{jar_path()}'")
    for name, (cls, returns) in FUNCTIONS.items():
        spark.udf.registerJavaFunction(name, cls, returns)


def call(name: str, *args: Column | str | int | bool) -> Column:
    """``name(args...)``; Python values become literals."""
    return F.call_function(name, *[a if isinstance(a, Column) else F.lit(a) for a in args])
