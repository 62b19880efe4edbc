"""``thresher fasttext-train``: a classifier from a labelled Parquet file, its held-out
evaluation, and the errors a bad input gets. Each training runs in its own process
(the CLI), as fastText wants (conftest.train_models says why)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from thresher.scorers.fasttext import TorchFastText
from thresher.scorers.fasttext.modelfile import read_model
from thresher.scorers.fasttext.train import FASTTEXT_BUCKETS, evaluate, sized_buckets, split
from tests.scorers.fasttext.conftest import corpus_docs, one_line

BIN = Path(sys.executable).parent


def labelled(path: Path, rows: list[tuple]) -> Path:
    pq.write_table(pa.table({"body": [r[0] for r in rows], "quality": [r[1] for r in rows]}), path)
    return path


def easy_rows() -> list[tuple]:
    """Positives: tkinter docs; negatives: everything else; plus rows to skip."""
    docs = corpus_docs()[:600]
    rows = [(d["text"], "hq" if "tkinter" in d["source"] else "lq") for d in docs]
    return rows + [(None, "hq"), ("   ", "lq"), ("text without label", None)]


def train(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "thresher"), "fasttext-train", *args],
                          capture_output=True, text=True, timeout=300)


def test_trains_a_model_and_reports_held_out_precision_recall(tmp_path):
    data = labelled(tmp_path / "train.parquet", easy_rows())
    out = tmp_path / "models" / "quality.bin"
    proc = train("--input", str(data), "--text-column", "body", "--label-column", "quality",
                 "--out", str(out), "--epoch", "20", "--word-ngrams", "2", "--thread", "1",
                 "--valid-fraction", "0.2")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(Path(str(out) + ".eval.json").read_text())
    assert report["rows"] == {"usable": 600, "skipped": 3, "train": 480, "valid": 120}
    assert set(report["eval"]["labels"]) == {"__label__hq", "__label__lq"}
    assert report["eval"]["accuracy"] > 0.8  # the two sources are easy to tell apart
    assert "precision" in proc.stdout and "__label__hq" in proc.stdout
    model = TorchFastText.from_file(str(out), device="cpu")
    assert sorted(model.labels) == ["__label__hq", "__label__lq"]
    assert model.predict_proba(["a text"]).shape == (1, 2)
    # The buckets fit the 480 training rows, not fastText's fixed 2M rows x 100 floats
    # (800 MB); the report gives the size used, and the file has it.
    buckets = report["config"]["bucket"]
    assert 4096 <= buckets < FASTTEXT_BUCKETS and buckets == read_model(str(out), matrices=False).bucket
    assert out.stat().st_size < 0.5 * (FASTTEXT_BUCKETS * 100 * 4)  # under half the 2M model


def test_buckets_are_sized_to_the_training_set():
    assert sized_buckets(100, word_ngrams=2, minn=0, maxn=0) == 4096  # the floor
    assert sized_buckets(10_000, word_ngrams=2, minn=0, maxn=0) == 32_768  # >= 2 x 10k bigrams
    assert sized_buckets(10_000, word_ngrams=3, minn=3, maxn=6) == 131_072  # 2 + 4 per word
    assert sized_buckets(10**9, word_ngrams=2, minn=0, maxn=0) == FASTTEXT_BUCKETS
    assert sized_buckets(10**9, word_ngrams=1, minn=0, maxn=0) == 0  # nothing is hashed


def test_bad_inputs_exit_2_and_say_what(tmp_path):
    out = tmp_path / "m.bin"
    one_label = labelled(tmp_path / "one.parquet", [("some text", "hq")] * 5)
    proc = train("--input", str(one_label), "--text-column", "body", "--label-column",
                 "quality", "--out", str(out))
    assert proc.returncode == 2 and "at least two labels" in proc.stderr
    proc = train("--input", str(one_label), "--label-column", "nope", "--out", str(out))
    assert proc.returncode == 2 and "no text column 'text'" in proc.stderr
    spaced = labelled(tmp_path / "spaced.parquet", [("t", "high quality"), ("u", "low")])
    proc = train("--input", str(spaced), "--text-column", "body", "--label-column", "quality",
                 "--out", str(out))
    assert proc.returncode == 2 and "'high quality'" in proc.stderr
    assert not out.exists()


def test_split_is_seeded_and_evaluate_counts():
    train_idx, valid_idx = split(10, 0.3, seed=3)
    assert len(valid_idx) == 3 and sorted([*train_idx, *valid_idx]) == list(range(10))
    assert (split(10, 0.3, seed=3)[1] == valid_idx).all()
    report = evaluate(["a", "a", "b", "b"], ["a", "b", "b", "b"], ["a", "b", "c"])
    assert report["accuracy"] == 0.75
    assert report["labels"]["a"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3),
                                     "support": 1}
    assert report["labels"]["b"]["precision"] == 1.0 and report["labels"]["b"]["recall"] == 2 / 3
    assert report["labels"]["c"] == {"precision": None, "recall": None, "f1": None, "support": 0}


def test_a_script_without_a_main_guard_trains_once(tmp_path):
    """A job script that trains at its top level (no ``if __name__ == "__main__"``, as
    most spark-submit scripts are) runs once: the training child does not re-import the
    script (multiprocessing's spawn did, and the script then ran again in the child)."""
    log = tmp_path / "ran.log"
    script = tmp_path / "job.py"
    rows = easy_rows()[:200]
    script.write_text(
        "import json\n"
        "from thresher.scorers.fasttext.train import TrainConfig, fit_classifier\n"
        f"open({str(log)!r}, 'a').write('ran\\n')\n"
        f"rows = json.loads({json.dumps(json.dumps(rows[:200]))})\n"
        "lines = [' '.join(t.split()) for t, label in rows if t and t.strip() and label]\n"
        "labels = ['__label__' + label for t, label in rows if t and t.strip() and label]\n"
        f"fit_classifier(lines, labels, {str(tmp_path / 'm.bin')!r}, TrainConfig(thread=1), source='job.py')\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert log.read_text() == "ran\n"
    assert (tmp_path / "m.bin").exists()


def test_a_diverged_training_is_retried_on_one_thread_then_at_half_the_rate(tmp_path, monkeypatch):
    # The first child "diverges" (exit 1, as fastText's NaN does); the next attempt is
    # the real training on one thread, and the report says which config trained it.
    from thresher.scorers.fasttext import train as train_module

    real_run, calls = subprocess.run, []

    def first_fails(args, **kwargs):
        calls.append(json.loads(args[-2]))
        if len(calls) == 1:
            return subprocess.CompletedProcess(args, 1)
        return real_run(args, **kwargs)

    monkeypatch.setattr(train_module.subprocess, "run", first_fails)
    rows = easy_rows()[:200]
    report = train_module.fit_classifier(
        [one_line(r[0]) for r in rows], [f"__label__{r[1]}" for r in rows],
        str(tmp_path / "m.bin"), train_module.TrainConfig(thread=2, epoch=2), source="rows")
    assert [(c["thread"], c["lr"]) for c in calls] == [(2, 0.1), (1, 0.1)]
    assert report["failed_attempts"] == [{"lr": 0.1, "thread": 2, "bucket": calls[0]["bucket"],
                                          "exit_code": 1}]
    assert report["config"]["thread"] == 1 and (tmp_path / "m.bin").exists()
    steps = train_module._fallbacks(train_module.TrainConfig(thread=4, lr=0.4))
    assert [(s.thread, s.lr) for s in steps] == [(4, 0.4), (1, 0.4), (1, 0.2)]
    assert [(s.thread, s.lr) for s in train_module._fallbacks(
        train_module.TrainConfig(thread=1, lr=0.4))] == [(1, 0.4), (1, 0.2)]
    assert [(s.thread, s.bucket, s.lr) for s in train_module._fallbacks(
        train_module.TrainConfig(thread=2, bucket=4096))] == [
        (2, 4096, 0.1), (1, 4096, 0.1), (1, 32768, 0.1), (1, 32768, 0.05)]

    def all_fail(args, **kwargs):
        return subprocess.CompletedProcess(args, 1)

    monkeypatch.setattr(train_module.subprocess, "run", all_fail)
    with pytest.raises(train_module.InputError, match=r"rows failed 3 times \(lr 0.1 on 2 "
                       r"thread\(s\), 0 buckets.*lr 0.05 on 1 thread\(s\)"):
        train_module.fit_classifier(["a b"] * 20, ["__label__a", "__label__b"] * 10,
                                    str(tmp_path / "n.bin"),
                                    train_module.TrainConfig(thread=2), source="rows")
    assert not (tmp_path / "n.bin").exists()
