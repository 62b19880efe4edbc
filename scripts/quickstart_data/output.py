"""Writing the rows as Parquet, comparing them with the files on disk, and re-checking the guarantees."""

from __future__ import annotations

import collections
import json
import math
import statistics
import sys
from pathlib import Path

from .build import SEED
from .chunking import ShingleIndex
from .duplicates import NEAR_JACCARD
from .lowquality import EXPECTED_RULE
from .text import gopher_failures, jaccard, normalize_for_exact, shingles

REQUIRED_PYTHON = (3, 11)
REFERENCE_PYTHON = "3.11.7"  # the version the committed files were generated with
N_FILES = 3
ROW_GROUP_SIZE = 500
COMPRESSION = "zstd"
COMPRESSION_LEVEL = 9


def to_tables(rows: list[dict]):
    import pyarrow as pa

    schema = pa.schema(
        [("id", pa.string()), ("text", pa.string()), ("source", pa.string()),
         ("kind", pa.string()), ("dup_of", pa.string())],
        metadata={
            b"thresher.quickstart": json.dumps({
                "generator": "scripts/make_quickstart_data.py",
                "python": ".".join(map(str, sys.version_info[:3])),
                "seed": SEED,
            }, sort_keys=True).encode(),
        },
    )
    per = math.ceil(len(rows) / N_FILES)
    out = []
    for i in range(N_FILES):
        part = rows[i * per:(i + 1) * per]
        cols = {name: [r[name] for r in part] for name in schema.names}
        out.append((f"part-{i:05d}.parquet", pa.table(cols, schema=schema)))
    return out


def write(rows: list[dict], out_dir: Path) -> list[Path]:
    import pyarrow.parquet as pq

    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("part-*.parquet"):
        old.unlink()
    paths = []
    for name, table in to_tables(rows):
        path = out_dir / name
        pq.write_table(
            table, path, row_group_size=ROW_GROUP_SIZE, compression=COMPRESSION,
            compression_level=COMPRESSION_LEVEL, use_dictionary=["source", "kind"],
            write_statistics=True, version="2.6", data_page_version="1.0",
            store_schema=True, write_page_index=False,
        )
        paths.append(path)
    return paths


def check(rows: list[dict], out_dir: Path) -> bool:
    import pyarrow.parquet as pq

    expected = dict(to_tables(rows))
    found = sorted(p.name for p in out_dir.glob("part-*.parquet"))
    if found != sorted(expected):
        print(f"files differ: found {found}, expected {sorted(expected)}", file=sys.stderr)
        return False
    ok = True
    for name, table in expected.items():
        on_disk = pq.read_table(out_dir / name)
        if not on_disk.equals(table):
            print(f"{name}: contents differ from a fresh build", file=sys.stderr)
            ok = False
    return ok


def kind_counts(rows: list[dict]) -> list[tuple[str, int]]:
    c = collections.Counter(r["kind"] for r in rows)
    order = ["clean", "exact_dup", "exact_dup_normalized", "near_dup"]
    lq = sorted(k for k in c if k.startswith("low_quality:"))
    return [(k, c[k]) for k in order + lq + ["empty"] if k in c]


def summary(rows: list[dict]) -> dict:
    texts = [r["text"] or "" for r in rows]
    clean_words = [len(r["text"].split()) for r in rows if r["kind"] == "clean"]
    return {
        "rows": len(rows),
        "text_bytes": sum(len(t.encode("utf-8")) for t in texts),
        "words": sum(len(t.split()) for t in texts),
        "clean_words_median": statistics.median(clean_words),
        "clean_words_p5_p95": (sorted(clean_words)[len(clean_words) // 20],
                               sorted(clean_words)[len(clean_words) * 19 // 20]),
    }


def _require(ok: bool, what) -> None:
    if not ok:
        raise RuntimeError(f"quickstart corpus check failed: {what!r}")


def verify(rows: list[dict]) -> list[float]:
    """Re-check the guarantees on the final rows; returns near_dup Jaccards."""
    by_id = {r["id"]: r for r in rows}
    near_j = []
    for r in rows:
        k = r["kind"]
        if k in ("exact_dup", "exact_dup_normalized", "near_dup"):
            o = by_id[r["dup_of"]]
            _require(o["kind"] == "clean", r["id"])
            if k == "exact_dup":
                _require(r["text"] == o["text"], r["id"])
            elif k == "exact_dup_normalized":
                same = normalize_for_exact(r["text"]) == normalize_for_exact(o["text"])
                _require(r["text"] != o["text"] and same, r["id"])
            else:
                j = jaccard(shingles(r["text"]), shingles(o["text"]))
                _require(NEAR_JACCARD[0] <= j <= NEAR_JACCARD[1], (r["id"], j))
                near_j.append(j)
        elif k == "clean":
            _require(not gopher_failures(r["text"], strict=True), r["id"])
        elif k == "low_quality:too_short":
            _require(len(r["text"].split()) < 20, r["id"])
        elif k.startswith("low_quality:"):
            fails = gopher_failures(r["text"])
            _require(any(x in fails for x in EXPECTED_RULE[k.split(":", 1)[1]]), (r["id"], fails))
        elif k == "empty":
            _require(r["text"] is None or not r["text"].strip(), r["id"])
    # no similar pair across clusters
    cluster = {r["id"]: (r["dup_of"] or r["id"]) for r in rows}
    index = ShingleIndex()
    keys = {}
    for i, r in enumerate(rows):
        if not r["text"] or not r["text"].strip():
            continue
        sh = shingles(r["text"])
        for other, o in index.overlaps(sh).items():
            j = o / (len(sh) + index.sizes[other] - o)
            if j >= 0.5:
                _require(cluster[keys[other]] == cluster[r["id"]], (r["id"], keys[other], j))
        index.add(i, sh)
        keys[i] = r["id"]
    for a, b in zip(rows, rows[1:], strict=False):
        _require(cluster[a["id"]] != cluster[b["id"]], (a["id"], b["id"]))
    return near_j
