"""The real-text corpus of ``minhash_realtext.py``: text files found on this machine
(package docs, README/NEWS/changelog from /usr/share/doc), 300 B to 2 MiB, licences and
manual pages left out, one copy per (relative path, content hash), written as shuffled Parquet and
cached under benchmarks/work/realtext.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from minhash_corpus import normalise

SEARCH_ROOTS = ("/work", "/opt", "/usr", "/root")
SKIP_DIRS = ("/tmp", "/proc", "/sys", "/dev")
DOC_DIR = "/usr/share/doc"
PKG_EXTS = (".md", ".rst", ".txt")
EXCLUDED = re.compile(r"licen[cs]e|copying|copyright|notice|authors", re.I)
MANPAGE = re.compile(r"(^|/)man(\d[a-z]*)?/|\.[1-9][a-z]*(\.gz)?$")
DOC_NAME = re.compile(r"^(readme|news|changelog)", re.I)
MIN_BYTES, MAX_BYTES = 300, 2 * 2**20
FILES, SEED = 4, 0


def package_folders() -> list[str]:
    """Every site-packages / dist-packages folder under SEARCH_ROOTS (not inside another)."""
    found = []
    for top in SEARCH_ROOTS:
        for dirpath, dirnames, _ in os.walk(top):
            if dirpath.startswith(SKIP_DIRS):
                dirnames[:] = []
                continue
            keep = []
            for d in dirnames:
                if d in ("site-packages", "dist-packages"):
                    found.append(os.path.join(dirpath, d))
                else:
                    keep.append(d)
            dirnames[:] = sorted(keep)
    return sorted(set(found))


def _candidates(root: str, kind: str):
    """(relative path, absolute path) of the files of ``root`` that are sources of this kind."""
    for dirpath, dirnames, files in os.walk(root):
        dirnames.sort()
        for f in sorted(files):
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, root)
            if EXCLUDED.search(rel) or MANPAGE.search(rel):
                continue
            if kind == "pkg":
                ok = f.endswith(PKG_EXTS) or (f == "METADATA" and dirpath.endswith(".dist-info"))
            else:
                ok = bool(DOC_NAME.match(f))
            if ok:
                yield rel, path


def _read(path: str) -> tuple[str, bytes | None]:
    """("ok", bytes) or (why not, None)."""
    try:
        if not path.endswith(".gz") and os.path.getsize(path) > MAX_BYTES:
            return "over_2_mib", None
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
        if path.endswith(".gz"):
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as g:
                data = g.read(MAX_BYTES + 1)
    except (OSError, EOFError, gzip.BadGzipFile):
        return "unreadable", None
    return ("over_2_mib", None) if len(data) > MAX_BYTES else ("ok", data)


def collect() -> tuple[pa.Table, dict]:
    """The corpus table (source, text; not yet shuffled) and what was found and left out."""
    roots = [(p, "pkg") for p in package_folders()] + [(DOC_DIR, "doc")]
    seen: set = set()
    rows, skipped = [], Counter()
    per_root: dict[str, int] = {}
    for root, kind in roots:
        kept = 0
        for rel, path in _candidates(root, kind):
            why, data = _read(path)
            if data is None:
                skipped[why] += 1
                continue
            if len(data) < MIN_BYTES:
                skipped["under_300_bytes"] += 1
                continue
            if b"\0" in data:
                skipped["binary_nul"] += 1
                continue
            key = (rel, hashlib.sha256(data).hexdigest())
            if key in seen:
                skipped["mirror_same_relpath_same_bytes"] += 1
                continue
            text = data.decode("utf-8", errors="replace")
            if not normalise(text):
                skipped["empty_after_normalisation"] += 1
                continue
            seen.add(key)
            rows.append((path, text, kind, os.path.splitext(rel)[1].lower() or os.path.basename(rel),
                         "/".join(rel.split("/")[:2 if rel.startswith("awscli/") else 1]) if kind == "pkg"
                         else DOC_DIR))
            kept += 1
        per_root[root] = kept
    table = pa.table({"source": [r[0] for r in rows], "text": [r[1] for r in rows]})
    by_type = Counter("METADATA" if r[3] == "METADATA" else (r[3] if r[2] == "pkg" else "usr/share/doc")
                      for r in rows)
    top = Counter(r[4] for r in rows)
    return table, {"docs_by_folder": per_root, "docs_by_type": dict(by_type.most_common()),
                   "docs_by_package_top15": dict(top.most_common(15)),
                   "skipped": dict(skipped)}


def _sizes(texts: list[str]) -> dict:
    b = np.array([len(t.encode("utf-8")) for t in texts])
    return {"min": int(b.min()), "median": int(np.median(b)), "mean": int(b.mean()),
            "p99": int(np.percentile(b, 99)), "max": int(b.max()), "total_mib": round(b.sum() / 2**20, 1)}


def _write(table: pa.Table, data: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    for old in data.glob("part-*.parquet"):
        old.unlink()
    bounds = np.linspace(0, table.num_rows, FILES + 1).astype(int)
    for f in range(FILES):
        pq.write_table(table.slice(bounds[f], bounds[f + 1] - bounds[f]), data / f"part-{f:05d}.parquet",
                       row_group_size=4096)


def corpus(work: Path, max_docs: int | None) -> Path:
    """The cached corpus folder (``data/`` and ``_manifest.json``), collected on first use."""
    full = work / "corpus"
    if not (full / "_manifest.json").exists():
        t = time.perf_counter()
        print(f"collecting real text into {full} ...", flush=True)
        table, info = collect()
        perm = np.random.default_rng(SEED).permutation(table.num_rows)
        table = table.take(pa.array(perm))
        table = pa.table({"id": pa.array(np.arange(table.num_rows), pa.int64()),
                          "source": table.column("source"), "text": table.column("text")})
        _write(table, full / "data")
        manifest = {"docs": table.num_rows, "files": FILES, "seed": SEED,
                    "bytes": _sizes(table.column("text").to_pylist()), **info,
                    "collected": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                    "seconds": round(time.perf_counter() - t, 1)}
        (full / "_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        print(f"  {table.num_rows:,} documents in {manifest['seconds']} s", flush=True)
    if not max_docs:
        return full
    sub = work / f"corpus-{max_docs}"
    if not (sub / "_manifest.json").exists():
        table = ds.dataset(full / "data", format="parquet").to_table().sort_by("id").slice(0, max_docs)
        _write(table, sub / "data")
        manifest = dict(json.loads((full / "_manifest.json").read_text()), docs=table.num_rows,
                        bytes=_sizes(table.column("text").to_pylist()), subset_of=str(full))
        (sub / "_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return sub
