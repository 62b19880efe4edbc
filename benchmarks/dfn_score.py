"""DFN / CLIP image-text scoring: pairs/s with the scorer in process and through Spark.

    .venv/bin/python benchmarks/dfn_score.py                        # CPU (~8 min on 2 busy cores)
    .venv/bin/python benchmarks/dfn_score.py --device cuda --pairs 20000 --pairs-b32 20000 \\
        --batch-size 256 --masters 'local[4]' --name dfn_score_gpu    # on a GPU machine

1. Pairs: ``--pairs`` JPEGs made with PIL (seed 0): shortest side 256-512 pixels,
   aspect 0.6-1.8 (img2dataset-sized, as DataComp downloads them), a colour
   gradient, a few shapes and mild noise, quality 90, and a caption
   of 6-16 words; one Parquet of ``id, caption, image`` (binary) in 8 files, cached
   under benchmarks/work/.
2. Models, random weights (``thresher.scorers.dfn.synthetic.random_clip``; no model hub here,
   and weights do not change the cost): ``tiny`` (2 + 2 layers of width 32, 32-pixel
   images: decoding dominates) and ``vit-b-32`` (OpenAI's ViT-B/32 shapes: 224-pixel
   images, the smallest CLIP DataComp filters with: the honest CPU number). The
   tokenizer makes each caption word one token, as CLIP's does for most words.
   ``--pairs-b32`` pairs (the first of the same set) for ViT-B/32.
3. Measured, each configuration in a fresh process, timed runs after a warm-up:
   * ``direct_<n>t``: ``ClipScorer.score`` on the image bytes in memory, n torch
     threads and n decoding threads; also ``decode_<n>t``: decoding and
     preprocessing alone (images/s), and ``model_<n>t``: the two towers alone on
     pre-decoded images.
   * ``spark_local[n]``: ``dfn_score`` end to end: read the Parquet, score through
     ``mapInArrow``, ``noop`` write (JVM start-up excluded; the first run, which
     starts the Python workers and loads the model in each, reported apart as
     ``first_s``). CPU time: the JVM and all its Python workers (from /proc).
4. Writes benchmarks/results/<name>.{json,md} with the machine (GPU name if any),
   versions, date and load average.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from fasttext_score import _tree_cpu, machine  # noqa: E402  (same machine report, CPU clock)

WORDS = ("a photo of the an in on at with and red blue green yellow white black small big old "
         "new cat dog car bike house tree street beach mountain river city man woman child "
         "people group table chair food plate cup window door sky snow grass field road "
         "sitting standing running near next to under over front view close up picture image "
         "painting drawing logo sign text poster").split()


# ---------------------------------------------------------------------------------------
# Data and models

def make_pairs(n: int, work: Path) -> Path:
    out = work / f"dfn-pairs-{n}"
    if (out / "_SUCCESS").exists():
        return out
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(0)
    out.mkdir(parents=True, exist_ok=True)
    ids, captions, images = [], [], []
    for i in range(n):
        short = int(rng.integers(256, 513))
        aspect = float(rng.uniform(0.6, 1.8))
        w, h = (int(short * aspect), short) if aspect >= 1 else (short, int(short / aspect))
        c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        t = np.linspace(0, 1, w)[None, :, None] * 0.6 + np.linspace(0, 1, h)[:, None, None] * 0.4
        pixels = c0 * (1 - t) + c1 * t + rng.normal(0, 6, (h, w, 3))
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(image)
        for _ in range(int(rng.integers(2, 7))):
            x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
            box = (x0, y0, x0 + int(rng.integers(10, w // 2)), y0 + int(rng.integers(10, h // 2)))
            fill = tuple(int(v) for v in rng.integers(0, 256, 3))
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=90)
        ids.append(i)
        captions.append(" ".join(rng.choice(WORDS, int(rng.integers(6, 17)))))
        images.append(buf.getvalue())
    table = pa.table({"id": ids, "caption": captions, "image": pa.array(images, pa.binary())})
    parts = 8
    for p in range(parts):
        pq.write_table(table.slice(p * n // parts, (p + 1) * n // parts - p * n // parts),
                       out / f"part-{p:02d}.parquet")
    (out / "_SUCCESS").write_text("")
    return out


def make_model(size: str, work: Path) -> Path:
    out = work / "dfn-models" / size
    if not (out / "model.safetensors").exists():
        from thresher.scorers.dfn.synthetic import random_clip

        random_clip(out, size=size, words=WORDS, seed=0)
    return out


# ---------------------------------------------------------------------------------------
# Workers: one configuration in a fresh process, a JSON line on stdout

def _pairs(data: str, n: int):
    import pyarrow.parquet as pq

    table = pq.read_table(data, columns=["caption", "image"]).slice(0, n)
    return table["image"].to_pylist(), table["caption"].to_pylist()


def _timed(fn, sync=lambda: None) -> dict:
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    sync()
    return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def worker_direct(cfg: dict) -> dict:
    import numpy as np
    import torch

    torch.set_num_threads(cfg["threads"])
    from thresher.scorers.dfn import ClipScorer
    from thresher.scorers.dfn.images import decode

    images, texts = _pairs(cfg["data"], cfg["pairs"])
    t = time.perf_counter()
    scorer = ClipScorer.from_pretrained(cfg["model"], device=cfg["device"],
                                        threads=cfg["threads"])
    load = time.perf_counter() - t
    sync = torch.cuda.synchronize if scorer.device.type == "cuda" else (lambda: None)
    batch = cfg["batch_size"]
    scorer.score(images[:batch], texts[:batch], batch_size=batch)  # warm-up
    runs = [_timed(lambda: scorer.score(images, texts, batch_size=batch), sync)
            for _ in range(cfg["repeats"])]
    # The two halves alone: decoding + preprocessing (threads), then the towers.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(cfg["threads"]) as pool:
        decode_run = _timed(lambda: list(pool.map(lambda b: decode(b, scorer.preprocess),
                                                  images)))
    arrays = np.stack([decode(b, scorer.preprocess)[0] for b in images[:2 * batch]])
    model_run = _timed(lambda: [scorer.score_arrays(arrays[s:s + batch], texts[s:s + batch])
                                for s in range(0, len(arrays), batch)], sync)
    return {"pairs": len(images), "load_s": load, "device": str(scorer.device),
            "runs": runs, "decode": {"images": len(images), **decode_run},
            "model": {"pairs": len(arrays), **model_run}}


def worker_spark(cfg: dict) -> dict:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    import thresher.jobs.builtins  # noqa: F401
    from thresher.operators.base import StepContext
    from thresher.operators.session import get_or_create_session
    from thresher.scorers.dfn.operator import DfnScore

    cores = int(cfg["master"].split("[")[1].rstrip("]"))
    t = time.perf_counter()
    spark = get_or_create_session(master=cfg["master"], conf={
        "spark.sql.shuffle.partitions": cores, "spark.ui.enabled": "false"})
    startup = time.perf_counter() - t
    jvm = int(spark.sparkContext._jvm.ProcessHandle.current().pid())
    op = DfnScore(model=cfg["model"], image="image", text="caption",
                  batch_size=cfg["batch_size"], device=cfg["device"])
    op = op.bind(StepContext(text_column="caption", id_column="id", op_name="dfn_score"))

    def run() -> dict:
        cpu, wall = _tree_cpu(jvm), time.perf_counter()
        df = spark.read.parquet(cfg["data"]).where(f"id < {cfg['pairs']}")
        op.transform(df).write.format("noop").mode("overwrite").save()
        return {"wall_s": time.perf_counter() - wall, "cpu_s": _tree_cpu(jvm) - cpu}

    first = run()
    runs = [run() for _ in range(cfg["repeats"])]
    spark.stop()
    return {"pairs": cfg["pairs"], "cores": cores, "spark_startup_s": startup,
            "first": first, "runs": runs}


WORKERS = {"direct": worker_direct, "spark": worker_spark}


def run_worker(kind: str, cfg: dict) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, __file__, "--worker", kind, json.dumps(cfg)],
                          env=env, capture_output=True, text=True, cwd=HERE)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed ({cfg}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------
# Orchestration and report

def versions() -> dict:
    from importlib.metadata import version

    out = {}
    for pkg in ("torch", "transformers", "pillow", "numpy", "pyarrow", "pyspark"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # noqa: BLE001 - not installed
            out[pkg] = None
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                         text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "scorers/dfn", "operators"],
                           cwd=ROOT, capture_output=True, text=True).stdout.strip()
    out["thresher"] = rev + (" + uncommitted changes" if dirty else "")
    return out


def summarize(n: int, runs: list[dict], cores: int) -> dict:
    best = min(runs, key=lambda r: r["wall_s"])
    return {"pairs_per_s": round(n / best["wall_s"], 1),
            "pairs_per_s_per_core": round(n / best["wall_s"] / cores, 1),
            "pairs_per_cpu_s": round(n / best["cpu_s"], 1) if best["cpu_s"] > 0 else None}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("config", nargs="?", help=argparse.SUPPRESS)
    ap.add_argument("--pairs", type=int, default=2000, help="pairs for the tiny model")
    ap.add_argument("--pairs-b32", type=int, default=500, help="pairs for ViT-B/32")
    ap.add_argument("--models", default="tiny,vit-b-32")
    ap.add_argument("--device", default="cpu", help="cpu, cuda, auto")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", default="1,2", help="torch/decoding threads, in process")
    ap.add_argument("--masters", default="local[1],local[2]")
    ap.add_argument("--b32-masters", default="local[2]", help="Spark runs of ViT-B/32")
    ap.add_argument("--repeats", type=int, default=2, help="timed runs per configuration")
    ap.add_argument("--repeats-b32", type=int, default=1, help="timed runs, ViT-B/32")
    ap.add_argument("--work", default=str(HERE / "work"))
    ap.add_argument("--results", default=str(HERE / "results"))
    ap.add_argument("--name", default="dfn_score", help="results file name")
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](json.loads(args.config))))
        return 0

    work = Path(args.work)
    data = make_pairs(max(args.pairs, args.pairs_b32), work)
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    image_kib = pc.mean(pc.binary_length(pq.read_table(data, columns=["image"])["image"]))
    image_kib = round(image_kib.as_py() / 1024, 1)
    load_before = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    rows, raw = [], {}
    for size in args.models.split(","):
        model = make_model(size, work)
        n = args.pairs if size == "tiny" else args.pairs_b32
        masters = args.masters if size == "tiny" else args.b32_masters
        base = dict(data=str(data), model=str(model), pairs=n, device=args.device,
                    batch_size=args.batch_size,
                    repeats=args.repeats if size == "tiny" else args.repeats_b32)
        for threads in (int(t) for t in args.threads.split(",") if t):
            res = run_worker("direct", {**base, "threads": threads})
            raw[f"{size}/direct_{threads}t"] = res
            print(size, threads, "threads", summarize(n, res["runs"], threads), flush=True)
            rows.append((size, f"direct_{threads}t", threads, n,
                         summarize(n, res["runs"], threads), None))
            for part in ("decode", "model"):
                one = res[part]
                count = one.get("images", one.get("pairs"))
                rows.append((size, f"{part}_{threads}t", threads, count,
                             summarize(count, [one], threads), None))
        for master in (m for m in masters.split(",") if m):
            res = run_worker("spark", {**base, "master": master})
            raw[f"{size}/spark_{master}"] = res
            print(size, master, summarize(n, res["runs"], res["cores"]), flush=True)
            rows.append((size, f"spark_{master}", res["cores"], n,
                         summarize(n, res["runs"], res["cores"]), res["first"]["wall_s"]))
    report = {"benchmark": "dfn_score", "date": started, "machine": machine(),
              "versions": versions(), "load_average_before": load_before,
              "load_average_after": os.getloadavg(), "data": str(data.relative_to(ROOT))
              if data.is_relative_to(ROOT) else str(data), "device": args.device,
              "image_kib_mean": image_kib,
              "batch_size": args.batch_size, "repeats": args.repeats,
              "repeats_b32": args.repeats_b32,
              "rows": [dict(model=m, run=r, cores=c, pairs=n, **s, first_s=f)
                       for m, r, c, n, s, f in rows], "raw": raw}
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    (results / f"{args.name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (results / f"{args.name}.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def markdown(r: dict) -> str:
    m, v = r["machine"], r["versions"]
    load = lambda x: ", ".join(f"{a:.2f}" for a in x)  # noqa: E731
    lines = [
        f"# DFN / CLIP image-text scoring ({r['date']})", "",
        f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['memory_gib']} GiB, GPU: "
        f"{m['gpu'] or 'none'}; Python {m['python']}; torch {v['torch']}, transformers "
        f"{v['transformers']}, pillow {v['pillow']}, pyspark {v['pyspark']}; thresher "
        f"{v['thresher']}.",
        f"Load average before ({load(r['load_average_before'])}), after "
        f"({load(r['load_average_after'])}): other jobs share the machine; best of "
        f"{r['repeats']} runs shown (ViT-B/32: {r['repeats_b32']}).", "",
        f"Pairs: generated JPEGs (shortest side 256-512, {r['image_kib_mean']} KiB on average) "
        "with 6-16 word captions "
        f"(`{r['data']}`); device `{r['device']}`, batch size {r['batch_size']}. Models with "
        "random weights: `tiny` (2+2 layers, width 32, 32-pixel images) and `vit-b-32` "
        "(OpenAI ViT-B/32 shapes, 224-pixel images).", "",
        "| model | run | cores | pairs | pairs/s | per core | per CPU-s | first run s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in r["rows"]:
        first = f"{row['first_s']:.1f}" if row["first_s"] is not None else ""
        lines.append(f"| {row['model']} | {row['run']} | {row['cores']} | {row['pairs']:,} | "
                     f"{row['pairs_per_s']:,} | {row['pairs_per_s_per_core']:,} | "
                     f"{row['pairs_per_cpu_s'] or ''} | {first} |")
    lines += ["", "`direct_<n>t`: `ClipScorer.score` on the image bytes in memory, n torch "
              "threads and n decoding threads. `decode_<n>t`: decoding and preprocessing "
              "alone (images). `model_<n>t`: the two towers alone on pre-decoded images. "
              "`spark_local[n]`: `dfn_score` end to end (Parquet read, score, noop write; "
              "JVM start-up excluded, the first run, which loads the model in each Python "
              "worker, apart), CPU time of the JVM and its Python workers.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
