"""Compile thresher's numba kernels ahead, into numba's on-disk cache.

    python -m thresher.jobs.warm        # what `make quickstart` / `make test` run after installing

Every kernel is ``@njit(cache=True)``: compiled the first time a process calls it and
saved beside its module (or under ``NUMBA_CACHE_DIR``); later processes load it in
well under a second. Without this step a fresh install compiles in the first run's
Python workers, each on its own, while Spark waits. Here each kernel runs once on a
tiny input: the MinHash signatures (word and char shingles, both permutation
schemes), band keys, verify's shingle sets and merge Jaccard, and the fastText tokeniser (through the bundled
``data/models/quality.ftz`` when it is there and the ``fasttext`` extra is installed),
and Spark's JVM class archive, which local runs map to start faster
(``thresher.operators.class_archive``).
On a cluster, run it in the environment the executors use (the packed venv, the
image), or set ``NUMBA_CACHE_DIR`` to a folder the executors share.

Example::

    $ python -m thresher.jobs.warm
    warmed minhash signatures (word, char; affine32, legacy) in 2.8 s
    warmed fastText tokeniser in 1.9 s
    warmed Spark's class archive (176 MiB) in 31.0 s
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

MODEL = Path(__file__).resolve().parents[1] / "data" / "models" / "quality.ftz"
TEXTS = ["one two three four five six seven", "short", "", "héllo wörld, ünïcode text ok"]


def warm_minhash() -> str:
    import pyarrow as pa

    from thresher.dedup.minhash.bands import band_hashes
    from thresher.dedup.minhash.config import MinHashConfig
    from thresher.dedup.minhash.shingle_sets import shingle_hash_sets, sorted_jaccard
    from thresher.dedup.minhash.signatures import compute_signatures

    texts = pa.array(TEXTS)
    for tokenizer in ("word", "char"):
        for scheme in ("affine32", "legacy"):
            cfg = MinHashConfig(tokenizer=tokenizer, scheme=scheme)
            bands, rows = cfg.bands_rows()
            band_hashes(compute_signatures(texts, cfg), bands, rows)
        sets = shingle_hash_sets(texts, cfg)  # verify: true's exact shingle sets
        sorted_jaccard(sets, sets)
    return "minhash signatures (word, char; affine32, legacy), verify kernels"


def warm_fasttext() -> str | None:
    if importlib.util.find_spec("torch") is None or not MODEL.exists():
        return None  # the extra is not installed, or no bundled model to tokenise with
    import pyarrow as pa

    from thresher.scorers.fasttext import TorchFastText

    TorchFastText.from_file(str(MODEL), device="cpu").predict_proba(pa.array(TEXTS))
    return "fastText tokeniser"


def warm_jvm() -> str | None:
    from thresher.operators import class_archive
    from thresher.operators.errors import ClassArchiveError

    if class_archive.java_option() is not None:
        return None  # built already for this Java and pyspark
    try:
        path = class_archive.build()
    except (OSError, subprocess.SubprocessError, ClassArchiveError) as exc:
        # Only a faster start is lost: the install goes on, and says why.
        print(f"Spark's class archive not built ({exc}); local runs start without it",
              file=sys.stderr)
        return None
    return None if path is None else f"Spark's class archive ({path.stat().st_size >> 20} MiB)"


def main() -> int:
    for warm in (warm_minhash, warm_fasttext, warm_jvm):
        t = time.perf_counter()
        what = warm()
        if what is not None:
            print(f"warmed {what} in {time.perf_counter() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
