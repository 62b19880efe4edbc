"""Build ``dist/thresher-<version>.zip`` for ``spark-submit --py-files``.

A zip of the ``thresher`` package (thresher/ with operators/, dedup/, scorers/
and jobs/ inside it, as a wheel lays them out): what a cluster's driver and
executors need on their PYTHONPATH when thresher is not pip-installed there. Third-party dependencies are not inside: ship them with a
packed environment (see docs/deploy.md).

    python -m thresher.jobs.package [--out dist]
"""
from __future__ import annotations

import argparse
import os
import sys
import zipfile
from importlib.metadata import PackageNotFoundError, version

PACKAGES = ("operators", "dedup", "scorers", "jobs")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_zip(out_dir: str) -> str:
    try:
        ver = version("thresher")
    except PackageNotFoundError:
        ver = "dev"
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, f"thresher-{ver}.zip")
    tmp = target + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for package in ("thresher", *PACKAGES):
            source = os.path.join(ROOT, package)
            prefix = "thresher" if package == "thresher" else os.path.join("thresher", package)
            for folder, dirs, files in os.walk(source):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                for name in sorted(files):
                    if name.endswith((".py", ".jar")):  # the jar: operators/text/udfs.py
                        path = os.path.join(folder, name)
                        zf.write(path, os.path.join(prefix, os.path.relpath(path, source)))
    os.replace(tmp, target)
    return target


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "dist"))
    print(build_zip(ap.parse_args(argv).out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
