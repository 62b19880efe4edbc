"""Precision of the incremental index's matches: verified by signature against band
collisions alone (what the index did before it kept signatures).

The MinHash benchmark's corpus (``minhash_corpus``: ~1 KB documents with planted
near-duplicates at Jaccard 0.6 ... 0.95 and exact copies), its rows split in two
halves (the ids are in a random order, so groups straddle the halves). Batch 1 runs
``minhash_dedup`` (threshold 0.8, ngram 5, 128 permutations, ``index``) into a Delta
output; batch 2's band keys and signatures are then matched against that index by
``index_matches`` twice: with the threshold (verified, what a run does) and without
(band collisions alone). Every colliding (document, indexed document) pair gets its
exact Jaccard (word 5-grams of the benchmark's normalisation), and a matched document
is *right* when some indexed document it collides with has Jaccard >= 0.8. Per banding
(``verify: false``: datasketch's 9 x 13; ``verify: true``: the recall banding, which
collides far more pairs below the threshold):

* precision: right matched documents / matched documents;
* lost: documents right under band collisions that the verified match drops (the
  MinHash estimate of a true pair fell under the threshold).

    .venv/bin/python benchmarks/minhash_index.py --docs 20000
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
WORK = HERE / "work"
THRESHOLD = 0.8


def split(data: Path, work: Path) -> tuple[str, str]:
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    table = ds.dataset(str(data / "data"), format="parquet").to_table(columns=["id", "text"])
    half = table.num_rows // 2
    paths = []
    for name, part in (("batch1", table.slice(0, half)), ("batch2", table.slice(half))):
        folder = work / name
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(part, folder / "part-0.parquet")
        paths.append(str(folder))
    return paths[0], paths[1]


def index_run(spark, batch1: str, root: Path, verify: bool):
    from thresher import Recipe, run

    step = {"threshold": THRESHOLD, "ngram": 5, "num_perm": 128, "verify": verify,
            "index": str(root / "index")}
    recipe = Recipe.from_dict({
        "name": "bench-index", "input": {"format": "parquet", "path": batch1, "id_column": "id"},
        "steps": [{"minhash_dedup": step}],
        "output": {"format": "delta", "path": str(root / "kept"), "mode": "overwrite"}})
    t = time.perf_counter()
    result = run(recipe, spark=spark, echo=lambda s: None)
    return result, time.perf_counter() - t


def measure(spark, batch1: str, batch2: str, root: Path, verify: bool) -> dict:
    from pyspark.sql import functions as F

    from minhash_corpus import jaccard, normalise, shingles
    from thresher.dedup.minhash.index import ANCHOR, SELF, index_matches, read_index
    from thresher.dedup.minhash.lsh import BANDS, NORM, band_keys, normalized

    result, seconds = index_run(spark, batch1, root, verify)
    op = result.recipe.operators[0]
    p = op.params
    index = read_index(spark, str(root / "index"), op._index_config())
    docs = spark.read.parquet(batch2).select(
        "id", normalized(F.col("text"), lowercase=p.lowercase,
                         strip_punctuation=p.strip_punctuation,
                         unicode_form=p.unicode_form).alias(NORM)).where(F.length(NORM) > 0)
    keys = band_keys(docs, "id", p.config(), signatures=True).cache()
    matched = {}
    for name, threshold in (("verified", THRESHOLD), ("band_collision", None)):
        rows = index_matches(keys, index, "id", str(root / "kept"), threshold=threshold).collect()
        matched[name] = {r["id"] for r in rows if not r[SELF]}
    collisions = (keys.select("id", F.posexplode(BANDS).alias("band", "key"))
                  .join(index.select("band", "key", F.col("id").alias(ANCHOR)), ["band", "key"])
                  .select("id", ANCHOR).distinct().collect())
    texts = {r["id"]: r["text"] for r in spark.read.parquet(batch1, batch2).collect()}
    sets: dict[str, set] = {}

    def shingled(i):
        if i not in sets:
            sets[i] = shingles(normalise(texts[i]))
        return sets[i]

    right = {r["id"] for r in collisions if jaccard(shingled(r["id"]), shingled(r[ANCHOR])) >= THRESHOLD}
    keys.unpersist()
    result.release()
    out = {"verify": verify, "bands_rows": list(p.config().bands_rows()),
           "batch1_seconds": round(seconds, 1), "batch2_docs": docs.count(),
           "colliding_pairs": len(collisions), "docs_with_a_true_colliding_pair": len(right)}
    for name, ids in matched.items():
        out[name] = {"matched": len(ids), "right": len(ids & right),
                     "precision": round(len(ids & right) / len(ids), 4) if ids else None}
    out["verified"]["lost"] = len((matched["band_collision"] & right) - matched["verified"])
    return out


def markdown(doc: dict) -> str:
    lines = ["# Index matches: verified by signature vs band collisions alone",
             "", f"`benchmarks/minhash_index.py --docs {doc['docs']}` ({doc['date']}): batch 1 "
             f"indexed, batch 2 ({doc['runs'][0]['batch2_docs']:,} documents) matched against "
             "it; exact Jaccard >= 0.8 on word 5-grams decides *right*.", "",
             "| banding | bands x rows | colliding pairs | matched (collision) | precision | "
             "matched (verified) | precision | true matches lost |",
             "|---|---|---|---|---|---|---|---|"]
    for r in doc["runs"]:
        b, v = r["band_collision"], r["verified"]
        lines.append(f"| verify: {str(r['verify']).lower()} | {r['bands_rows'][0]} x "
                     f"{r['bands_rows'][1]} | {r['colliding_pairs']:,} | {b['matched']:,} | "
                     f"{b['precision']} | {v['matched']:,} | {v['precision']} | {v['lost']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--work", default=str(WORK))
    ap.add_argument("--results", default=str(HERE / "results"))
    a = ap.parse_args(argv)
    from minhash_corpus import corpus
    from thresher.operators.session import get_or_create_session

    work = Path(a.work)
    data = corpus(a.docs, work)
    root = work / f"mh-index-{a.docs}"
    shutil.rmtree(root, ignore_errors=True)
    batch1, batch2 = split(data, root)
    spark = get_or_create_session(master="local[2]", conf={"spark.sql.shuffle.partitions": "8"})
    runs = [measure(spark, batch1, batch2, root / f"verify-{v}", v) for v in (False, True)]
    doc = {"docs": a.docs, "date": time.strftime("%Y-%m-%d"), "runs": runs}
    results = Path(a.results)
    (results / "minhash_index.json").write_text(json.dumps(doc, indent=2) + "\n")
    (results / "minhash_index.md").write_text(markdown(doc))
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
