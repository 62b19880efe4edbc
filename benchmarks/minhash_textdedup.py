"""The text-dedup side of the MinHash dedup benchmark: ``text_dedup.minhash`` (PyPI
``text-dedup`` 0.4.0), its own command, unmodified.

text-dedup's MinHash script (``python -m text_dedup.minhash``) loads the Parquet with
Hugging Face ``datasets`` (``load_dataset("parquet", data_files=...)``, converted to an Arrow
cache in a fresh ``--cache_dir``), fingerprints with ``datasets.map(num_proc=2)``, buckets
in the main process (one dict per band), clusters with a union-find, filters with
``map``/``filter(num_proc=2)`` and saves the kept rows with ``save_to_disk``. It is called
here in-process (``main.main(args, standalone_mode=False)``) with::

    --path parquet --data_files 'DATA/*.parquet' --split train --column text --idx_column id
    --num_perm 128 --threshold 0.8 --ngram 5 --min_length 0 --hash_func xxh3 --num_proc 2
    --debug            # dumps its union-find, keyed by our ids, to OUTPUT/uf.pkl

``threshold 0.8, num_perm 128`` give bands 9 x rows 13 (datasketch's optimum, which
text-dedup copies). ``--hash_func xxh3`` is the faster of its two hashes (its help says so);
``--min_length 0`` keeps every document (its default, 5, drops shorter ones). Its shingles:
``re.split(r"\\W", text.lower())`` - every non-word character splits, so ``"a, b"`` gives the
tokens ``a``, ``""``, ``b`` (empty tokens are kept and are part of the 5-grams) - joined by
spaces; no Unicode normalisation. Wall-clock is around ``main``, i.e. loading (the Parquet to
Arrow conversion included), hashing, clustering, filtering and saving. Then, untimed, the
union-find gives ``--predictions`` (``id, cluster``; a document not in the union-find is in
no cluster).

Runs in its own venv (benchmarks/work/td-venv: ``pip install text-dedup==0.4.0``)::

    benchmarks/work/td-venv/bin/python benchmarks/minhash_textdedup.py --data DIR --workdir W --json out.json
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import sys
import tempfile
import time

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from datatrove_side import _dist_version, _footer_rows  # noqa: E402  (no DataTrove import)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--num-proc", type=int, default=2)
    ap.add_argument("--hash-func", choices=["xxh3", "sha1"], default="xxh3")
    ap.add_argument("--json", required=True)
    ap.add_argument("--predictions", default=None)
    a = ap.parse_args(argv)
    import pyarrow as pa
    import pyarrow.parquet as pq
    from text_dedup import minhash

    os.makedirs(a.workdir, exist_ok=True)
    run_dir = tempfile.mkdtemp(prefix="td-mh-", dir=a.workdir)
    out = os.path.join(run_dir, "out")
    args = ["--path", "parquet", "--data_files", os.path.join(os.path.abspath(a.data), "*.parquet"),
            "--split", "train", "--cache_dir", os.path.join(run_dir, "cache"), "--output", out,
            "--column", "text", "--idx_column", "id", "--num_perm", "128", "--threshold", "0.8",
            "--ngram", "5", "--min_length", "0", "--hash_func", a.hash_func,
            "--num_proc", str(a.num_proc), "--debug"]
    expected = _footer_rows(a.data)
    try:
        start = time.time()
        t = time.perf_counter()
        minhash.main.main(args, standalone_mode=False)
        wall = time.perf_counter() - t
        end = time.time()
        with open(os.path.join(out, "uf.pkl"), "rb") as f:
            uf = pickle.load(f)  # noqa: S301 - our own file, just written
        ids = pq.read_table(a.data, columns=["id"]).column("id").to_pylist()
        cluster = [uf.find(i) if i in uf.parent else None for i in ids]
        if a.predictions:
            pq.write_table(pa.table({"id": ids, "cluster": pa.array(cluster, pa.string())}), a.predictions)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    report = {"engine": "text-dedup", "version": _dist_version("text-dedup"),
              "datasets_version": _dist_version("datasets"), "docs_in": expected,
              "num_proc": a.num_proc, "hash_func": a.hash_func, "bands_rows": [9, 13],
              "wall_s": round(wall, 3), "docs_per_s": round(expected / wall, 1),
              "t_start": start, "t_end": end, "loadavg_after": os.getloadavg()}
    with open(a.json, "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
