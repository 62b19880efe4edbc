"""Build ``operators/text/thresher-text.jar``: the text filters' Java UDFs.

Compiles ``jvm/src/**/*.java`` with ``javac --release 17`` against the jars of the
installed PySpark and writes a reproducible jar (fixed timestamps, sorted entries)
holding a ``thresher-text.sources.sha256`` entry: the hash of the sources it was built
from, which a test compares with the sources in the tree. Run it after editing the
Java sources; the built jar is committed so installs need no JDK.

    python scripts/build_jar.py
"""
from __future__ import annotations

import glob
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = os.path.join(ROOT, "jvm", "src")
JAR = os.path.join(ROOT, "operators", "text", "thresher-text.jar")
HASH_ENTRY = "thresher-text.sources.sha256"


def java_sources() -> list[str]:
    return sorted(glob.glob(os.path.join(SOURCES, "**", "*.java"), recursive=True))


def sources_hash() -> str:
    """sha256 over the sources' relative paths and bytes, in path order."""
    h = hashlib.sha256()
    for path in java_sources():
        h.update(os.path.relpath(path, SOURCES).replace(os.sep, "/").encode() + b"\0")
        with open(path, "rb") as f:
            h.update(f.read() + b"\0")
    return h.hexdigest()


def spark_classpath() -> str:
    import pyspark

    # The API jar (UDF interfaces, Row, RowFactory), the Scala library it refers to,
    # and ICU4J (Unicode normalisation), which Spark ships since 4.0.
    folder = os.path.join(os.path.dirname(pyspark.__file__), "jars")
    jars = [hit for pattern in ("spark-sql-api_*.jar", "scala-library-*.jar", "icu4j-*.jar")
            for hit in glob.glob(os.path.join(folder, pattern))]
    if len(jars) != 3:
        raise SystemExit(f"expected spark-sql-api, scala-library and icu4j jars in {folder}, "
                         f"found {jars}")
    return os.pathsep.join(jars)


def build(out: str = JAR) -> str:
    with tempfile.TemporaryDirectory() as classes:
        cmd = ["javac", "--release", "17", "-encoding", "UTF-8", "-Xlint:all,-path", "-Werror",
               "-cp", spark_classpath(), "-d", classes, *java_sources()]
        subprocess.run(cmd, check=True)
        tmp = out + ".tmp"
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as jar:
            fixed = (1980, 1, 1, 0, 0, 0)
            jar.writestr(zipfile.ZipInfo("META-INF/MANIFEST.MF", fixed),
                         "Manifest-Version: 1.0\r\nCreated-By: thresher scripts/build_jar.py\r\n\r\n")
            for path in sorted(glob.glob(os.path.join(classes, "**", "*.class"), recursive=True)):
                with open(path, "rb") as f:
                    info = zipfile.ZipInfo(os.path.relpath(path, classes).replace(os.sep, "/"), fixed)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    jar.writestr(info, f.read())
            jar.writestr(zipfile.ZipInfo(HASH_ENTRY, fixed), sources_hash() + "\n")
        os.replace(tmp, out)
    return out


def main() -> int:
    print(build())
    return 0


if __name__ == "__main__":
    sys.exit(main())
