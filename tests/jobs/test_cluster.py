"""On a real standalone cluster (master + 2 one-core workers, separate JVMs, loopback).

Drivers run as subprocesses: one process can hold only one SparkContext, and the
rest of the suite holds a local one.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from deltalake import DeltaTable

from thresher.jobs.local_cluster import LocalCluster
from thresher.jobs.package import build_zip
from tests.browser import CHROMIUM, check_report
from tests.scorers.dfn.pairs import clip_pairs
from tests.shipped_runs import output_overrides
from tests.submit import SPARK_SUBMIT, executor_archive_conf, executor_java_options, submit_env

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.cluster, pytest.mark.slow]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def cluster():
    c = LocalCluster(workers=2, cores_per_worker=1, memory_per_worker="1g").start()
    try:
        assert c.alive_workers() == 2
        yield c
    finally:
        pids = c.stop()
        left = [p for p in pids if pid_alive(p)]
        assert len(pids) == 3 and not left, f"cluster processes still running: {left}"


def killed_executors(cluster, failpoint: str) -> int:
    """In how many of this cluster's applications the failpoint killed an executor: it
    leaves a marker per application (its stderr dies with the JVM), and Spark started
    a replacement executor (a third executor folder)."""
    import tempfile
    apps = {p.name for p in Path(cluster.work_dir).glob("worker-*/app-*")}
    killed = 0
    for app in apps:
        marker = Path(tempfile.gettempdir()) / f"thresher-failpoint-{app}-{failpoint}"
        executors = {p.name for p in Path(cluster.work_dir).glob(f"worker-*/{app}/*")}
        killed += marker.exists() and len(executors) > 2
    return killed


def outputs(out: Path) -> tuple[list[str], list[tuple]]:
    kept = sorted(DeltaTable(str(out / "kept")).to_pandas()["id"])
    stats = DeltaTable(str(out / "stats")).to_pandas().sort_values("step")
    return kept, [(r.step, r.op, r.rows_in, r.rows_out, dict(r.dropped_by_reason))
                  for r in stats.itertuples()]


def classic(classic_runs, recipe: str) -> tuple[list[str], list[tuple]]:
    """The reference run: the session's classic run of the recipe (local[2], 4 shuffle
    partitions; tests/shipped_runs.py), which the Connect tests compare with too."""
    shipped = classic_runs(recipe)
    if CHROMIUM:  # every shipped recipe's report renders (dedup_web's is only run here)
        check_report(shipped.result.outputs["report"].split(" ", 1)[1])
    return outputs(shipped.out)


def test_spark_submit_dedup_from_the_zip_with_executors_killed_same_answers_as_local(
        classic_runs, cluster, tmp_path):
    """spark-submit with the --py-files zip, from outside the repo, on the cluster: the
    zip's thresher is the one imported, the text UDFs' jar comes out of the zip to the
    executors (normalize_text and MinHash's normalisation call it), MinHash runs Python
    (numba) on executors and iterates connected components, and an executor is killed
    -9 in the middle of the signatures stage and another in the middle of the verify
    stage, after its shuffle (Spark reruns the tasks on a new executor and recomputes
    the map outputs the lost one held): the kept rows and stats equal a local run's.
    (One spark-submit covers all of it: each costs a JVM and an application.)"""
    kept_local, stats_local = classic(classic_runs, "dedup_web")

    zip_path = build_zip(str(tmp_path / "dist"))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    # The job file alone, outside the repo, started by a wrapper that first says which
    # thresher it imported.
    (outside / "run_recipe.py").write_text((REPO / "jobs" / "run_recipe.py").read_text())
    wrapper = outside / "probe_then_run.py"
    wrapper.write_text(textwrap.dedent("""
        import os, runpy, sys
        import thresher.operators, thresher.jobs.builtins
        print("THRESHER_FROM", thresher.operators.__file__, flush=True)
        job = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run_recipe.py")
        sys.argv[0] = job
        runpy.run_path(job, run_name="__main__")
    """))
    submit = [SPARK_SUBMIT, "--master", cluster.master_url, "--py-files", zip_path,
              *executor_archive_conf()]
    # textUdfs=on: the jar must come out of the zip and reach the executors (ADD JAR),
    # or the run fails instead of falling back to SQL.
    sets = [arg for item in [*output_overrides(outside),
                             f"steps.minhash_dedup.checkpoint_dir={outside / 'stages'}"]
            for arg in ("--set", item)]
    killing = submit_env(
        THRESHER_FAILPOINTS="minhash_signatures=kill_executor,minhash_verify=kill_executor")
    proc = subprocess.run(
        submit + ["--conf", "spark.thresher.textUdfs=on", str(wrapper),
                  str(REPO / "recipes" / "dedup_web.yaml"), *sets],
        cwd=outside, env=killing, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"THRESHER_FROM {zip_path}" in proc.stdout \
        or ".zip/thresher/operators" in proc.stdout, proc.stdout[-3000:]
    for stage in ("minhash_signatures", "minhash_verify"):
        assert killed_executors(cluster, stage) >= 1, f"no executor was killed in {stage}"
    kept_cluster, stats_cluster = outputs(outside)
    assert len(kept_local) > 1000
    assert kept_local == kept_cluster and stats_local == stats_cluster
    dropped = {op: reasons for _step, op, _in, _out, reasons in stats_cluster}
    assert dropped["exact_dedup"] == {"exact_dedup:duplicate": 93}
    assert dropped["minhash_dedup"].get("minhash_dedup:near_duplicate", 0) > 20


SHIPPING_DRIVER = """
import json, os, shutil, sys
import thresher.scorers.dfn.operator as dfn_operator
import thresher.scorers.fasttext.operator as fasttext_operator
from thresher import Recipe, run
from pyspark.sql import SparkSession

real_ship_file, real_ship_dir = fasttext_operator.ship_file, dfn_operator.ship_dir

# After shipping, the driver's copy is gone: an executor that read the recipe's path
# instead of its SparkFiles copy (or unpacked archive) would fail.
def ship_file_then_delete(spark, path):
    shipped = real_ship_file(spark, path)
    os.remove(path)
    return shipped

def ship_dir_then_delete(spark, path):
    shipped = real_ship_dir(spark, path)
    shutil.rmtree(path)
    return shipped

fasttext_operator.ship_file = ship_file_then_delete
dfn_operator.ship_dir = ship_dir_then_delete
master, text_data, ftz, pairs, clip, out, lm = sys.argv[1:8]
spark = (SparkSession.builder.master(master).appName("shipping")
         .config("spark.executorEnv.THRESHER_FAILPOINTS", os.environ.get("THRESHER_FAILPOINTS", ""))
         .config("spark.executor.extraJavaOptions", os.environ.get("EXECUTOR_JAVA_OPTIONS", ""))
         .getOrCreate())
executors = lambda: spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1

# The failpoints kill one executor in each scorer's step (dfn_score, lm_loss, fasttext_score).
recipe = Recipe.from_dict({
    "name": "dir-shipping",
    "input": {"format": "parquet", "path": pairs, "id_column": "id", "text_column": "caption"},
    "steps": [{"dfn_score": {"model": clip, "image": "image", "output": "s"}}]})
dfn = run(recipe, spark=spark, echo=lambda s: None).output.select("id", "s").collect()
recipe = Recipe.from_dict({
    "name": "lm-shipping",
    "input": {"format": "parquet", "path": pairs, "id_column": "id", "text_column": "caption"},
    "steps": [{"lm_loss": {"model": lm, "prefix": "m", "block_size": 64, "stride": 32}}]})
lm_rows = run(recipe, spark=spark, echo=lambda s: None).output.select("id", "m_loss").collect()
recipe = Recipe.from_dict({
    "name": "shipping",
    "input": {"format": "parquet", "path": text_data, "id_column": "id"},
    "steps": [{"fasttext_score": {"model": ftz, "label": "hq", "output": "q"}}]})
scored = run(recipe, spark=spark, echo=lambda s: None).output.select("id", "text", "q").collect()
json.dump({"fasttext": [[r["id"], r["text"], r["q"]] for r in scored],
           "dfn": {r["id"]: r["s"] for r in dfn},
           "lm": {r["id"]: r["m_loss"] for r in lm_rows}}, open(out, "w"))
print("EXECUTORS", executors())
"""


def test_models_are_shipped_to_executors(cluster, tmp_path):
    """One driver on the cluster scores with a model file (fasttext_score) and a model
    directory (dfn_score, a CLIP) that only the driver ever sees at the recipe's path,
    deleted from there once shipped, and with a causal LM (lm_loss): the executors score
    from their SparkFiles copy or unpacked archive, and the scores equal the models' own
    although an executor is killed -9 in each of the three steps (a new one fetches the
    model and reruns the task). One driver for all saves a JVM and an application start."""
    pytest.importorskip("transformers")
    import json
    import shutil

    import numpy as np

    from thresher.scorers.dfn import ClipScorer
    from thresher.scorers.fasttext import TorchFastText

    bundled_ftz = REPO / "data" / "models" / "quality.ftz"
    bundled_clip = REPO / "data" / "models" / "tiny_clip"
    ftz = tmp_path / "driver_only" / "quality.ftz"
    clip = tmp_path / "driver_only" / "tiny_clip"
    ftz.parent.mkdir()
    shutil.copyfile(bundled_ftz, ftz)
    shutil.copytree(bundled_clip, clip)
    pairs = tmp_path / "pairs.parquet"
    images, captions = clip_pairs(pairs)
    driver, out = tmp_path / "driver.py", tmp_path / "scores.json"
    driver.write_text(SHIPPING_DRIVER)
    proc = subprocess.run([sys.executable, str(driver), cluster.master_url,
                           str(REPO / "data" / "quickstart"), str(ftz), str(pairs), str(clip),
                           str(out), str(REPO / "data" / "models" / "tiny_lm_a")],
                          env=submit_env(THRESHER_FAILPOINTS="fasttext_score=kill_executor,"
                                         "dfn_score=kill_executor,lm_loss=kill_executor",
                                  EXECUTOR_JAVA_OPTIONS=executor_java_options()),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for step in ("fasttext_score", "dfn_score", "lm_loss"):
        assert killed_executors(cluster, step) >= 1, f"no executor was killed in {step}"
    # the executors never had the driver's paths to read
    assert not ftz.exists() and not clip.exists()
    # One executor was killed: its replacement may not have registered by the end.
    assert "EXECUTORS 2" in proc.stdout or "EXECUTORS 1" in proc.stdout, proc.stdout
    assert list(Path(cluster.work_dir).glob("worker-*/app-*/*/*quality.ftz")), \
        "no executor fetched the fastText model through SparkFiles"
    assert list(Path(cluster.work_dir).glob("worker-*/app-*/*/*tiny_clip.zip*")), \
        "no executor fetched the CLIP model archive"

    got = json.load(open(out))
    scored = [(text, q) for _, text, q in got["fasttext"] if q is not None]
    assert len(scored) > 1000
    reference = TorchFastText.from_file(str(bundled_ftz), device="cpu")
    hq = reference.labels.index("__label__hq")
    expected = reference.predict_proba([t for t, _ in scored])[:, hq]
    np.testing.assert_allclose([q for _, q in scored], expected, atol=1e-6)

    expected = ClipScorer.from_pretrained(str(bundled_clip), device="cpu").score(images, captions)
    np.testing.assert_allclose([got["dfn"][f"p{i:02d}"] for i in range(40)], expected, atol=1e-5)
    assert np.ptp(expected) > 0  # the scores differ from pair to pair

    from thresher.scorers.lm_loss.scorer import LMLossScorer

    lm = LMLossScorer.from_pretrained(str(REPO / "data" / "models" / "tiny_lm_a"), device="cpu",
                                      block_size=64, stride=32)
    expected = lm.score(list(captions)).loss
    np.testing.assert_allclose([got["lm"][f"p{i:02d}"] for i in range(40)], expected, rtol=1e-4)


def test_containment_same_verdicts_local_and_cluster(spark, cluster, tmp_path):
    """spark-submit jobs/containment.py on the cluster, and find_containment in this
    process: the same
    edges and verdicts, and the lake's true containments found."""
    import pyarrow.parquet as pq

    from tests.dedup.containment.lakegen import make_lake
    from thresher.dedup.containment import find_containment

    lake = tmp_path / "lake"
    truth = make_lake(lake)
    verdicts = {}
    find_containment([str(lake)], out=str(tmp_path / "out-l1"), spark=spark)
    out = tmp_path / "out-cl"
    proc = subprocess.run([SPARK_SUBMIT, "--master", cluster.master_url, *executor_archive_conf(),
                           str(REPO / "jobs" / "containment.py"), str(lake), "--out", str(out)],
                          cwd=tmp_path, env=submit_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("l1", "cl"):
        edges = pq.read_table(tmp_path / f"out-{name}" / "edges.parquet").to_pylist()
        verdicts[name] = sorted((e["child"], e["parent"], e["contained"], e["decided_at"])
                                for e in edges)
    assert verdicts["l1"] == verdicts["cl"]
    found = {(c, p) for c, p, contained, _ in verdicts["cl"] if contained}
    assert found == truth["contained"]
