#!/usr/bin/env python3
"""Build thresher's bundled quickstart corpus from English text that ships with CPython.

The corpus is made only from text that ships with CPython 3.11 (a full
install, e.g. python.org or pyenv builds; some Linux distributions split
tkinter, lib2to3, distutils or venv into separate packages):

* ``pydoc_data.topics.topics`` -- the language-reference topics that ``help()``
  shows (generated from the CPython documentation at release time);
* docstrings of pure-Python standard-library modules, read with :mod:`ast`
  from the ``.py`` sources (nothing is imported, so nothing runs), and those
  modules' longer comment blocks (their implementation notes);
* docstrings of a fixed list of built-in / C modules (``builtins``,
  ``itertools``, ``math``, ...), which have no source to parse and are
  imported (they have no import-time side effects);
* ``email/architecture.rst``, ``LICENSE.txt`` and the Zen of Python
  (``this.py``'s rot13 string, decoded without importing ``this``).

Skipped: modules whose source files carry a copyright or permission notice
other than the PSF's (``LICENCE_EXCLUDED``), ``turtle`` (zlib licence), the
``test`` package, ``idlelib``, ``turtledemo``, ``ensurepip`` and the
per-codec ``encodings`` modules.

From that text it builds "web-sized" documents (mostly 100-2000 words), keeps
them pairwise distinct (5-word-shingle Jaccard < 0.3, containment < 0.5) and
passing the Gopher quality and repetition rules (Rae et al. 2021, default
thresholds, with a safety margin), then injects labelled noise: exact
duplicates, exact duplicates up to whitespace/case, near duplicates,
low-quality documents of several kinds built by transforming real stdlib text,
and empty texts. Every row's ``kind`` says which it is; duplicates name their
original in ``dup_of``.

Output: ``data/quickstart/part-0000{0,1,2}.parquet`` (columns ``id``, ``text``,
``source``, ``kind``, ``dup_of``) and ``data/README.md``.

The output is a pure function of the Python version's standard library: fixed
seed, sorted inputs, fixed Parquet writer settings. On the same Python version
(and pyarrow version, which is recorded in each Parquet footer) the files are
byte-for-byte identical. Docstrings change between Python versions, so the
script refuses to run on anything but Python 3.11 unless ``--force`` is given.
``--check`` regenerates in memory and compares with the files on disk.

Usage::

    python scripts/make_quickstart_data.py            # (re)write data/quickstart + data/README.md
    python scripts/make_quickstart_data.py --check    # verify the committed files
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Run as a script, Python already puts scripts/ first on sys.path; loaded any
# other way (runpy, importlib from a test) it may not, and the package is not installed.
_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

from quickstart_data.build import build  # noqa: E402
from quickstart_data.output import (  # noqa: E402
    REFERENCE_PYTHON,
    REQUIRED_PYTHON,
    check,
    kind_counts,
    summary,
    verify,
    write,
)
from quickstart_data.readme import write_readme  # noqa: E402

REPO_ROOT = _HERE.parent
DEFAULT_OUT = REPO_ROOT / "data" / "quickstart"
DEFAULT_README = REPO_ROOT / "data" / "README.md"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: data/quickstart)")
    ap.add_argument("--readme", type=Path, default=DEFAULT_README, help="README to write (default: data/README.md)")
    ap.add_argument("--no-readme", action="store_true", help="do not write the README")
    ap.add_argument("--check", action="store_true", help="compare the files in --out with a fresh build; write nothing")
    ap.add_argument("--force", action="store_true",
                    help=f"run on a Python other than {REQUIRED_PYTHON[0]}.{REQUIRED_PYTHON[1]}")
    args = ap.parse_args(argv)

    ver = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] != REQUIRED_PYTHON:
        if not args.force:
            print(f"error: this corpus is defined by the Python {REQUIRED_PYTHON[0]}.{REQUIRED_PYTHON[1]} standard "
                  f"library (docstrings differ between versions); running Python {ver}. "
                  "Use --force to build anyway (the output will differ from the committed files).", file=sys.stderr)
            return 2
        print(f"warning: building with Python {ver}; output will differ from the committed files", file=sys.stderr)
    elif ver != REFERENCE_PYTHON:
        print(f"note: committed files were built with Python {REFERENCE_PYTHON}; this is {ver}, "
              "so the text may differ slightly", file=sys.stderr)

    try:
        import pyarrow  # noqa: F401  (fail before the slow part)
    except ImportError:
        print("error: pyarrow is required (pip install pyarrow)", file=sys.stderr)
        return 2
    rows = build()
    near_j = verify(rows)
    if args.check:
        ok = check(rows, args.out)
        print("quickstart data matches a fresh build" if ok else "quickstart data is out of date")
        return 0 if ok else 1
    paths = write(rows, args.out)
    if not args.no_readme:
        write_readme(rows, args.readme, near_j)
    s = summary(rows)
    print(f"wrote {', '.join(str(p) for p in paths)}: {s['rows']} rows, {s['text_bytes'] / 1e6:.2f} MB of text")
    for k, n in kind_counts(rows):
        print(f"  {k:40s} {n:6d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
