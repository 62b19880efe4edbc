"""Hostile inputs through the CLI: each runs (saying what it skipped, counted under a
reason) or exits 2 with a message naming the file, line or id; never a traceback."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

from thresher.jobs.cli import EXIT_OK, EXIT_USER, main
from thresher.operators.io import read_output

TEXTS = ["one two three four five", "six seven eight nine ten", "alpha beta gamma delta epsilon"]


def _recipe(tmp_path: Path, inp: Path, fmt: str = "parquet", **input_extra) -> Path:
    spec = {"name": "hostile", "input": {"format": fmt, "path": str(inp), **input_extra},
            "steps": [{"word_count_filter": {"min": 3}}],
            "output": {"format": "parquet", "path": str(tmp_path / "out"), "mode": "overwrite",
                       "rejects": str(tmp_path / "rejects"), "stats": str(tmp_path / "stats")}}
    path = tmp_path / "recipe.yaml"
    path.write_text(json.dumps(spec))  # JSON is YAML
    return path


def _good_parquet(folder: Path, name: str = "good.parquet", ids=("a", "b", "c")) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"id": list(ids), "text": TEXTS[: len(ids)]}).to_parquet(folder / name)


def _cli(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out, err


def _accounted(tmp_path) -> tuple[int, int, dict]:
    spark = __import__("pyspark.sql", fromlist=["SparkSession"]).SparkSession.getActiveSession()
    stats = read_output(spark, format="parquet", path=str(tmp_path / "stats")).orderBy("step").collect()
    read = stats[0]
    return read["rows_in"], stats[-1]["rows_out"], dict(read["dropped_by_reason"] or {})


def test_truncated_parquet_fails_naming_it_or_is_skipped(spark, tmp_path, capsys):
    inp = tmp_path / "in"
    _good_parquet(inp)
    data = (inp / "good.parquet").read_bytes()
    (inp / "torn.parquet").write_bytes(data[: len(data) // 2])
    (inp / "empty.parquet").write_bytes(b"")  # Spark and thresher skip empty files
    code, _, err = _cli(capsys, "run", str(_recipe(tmp_path, inp, id_column="id")))
    assert code == EXIT_USER and "torn.parquet" in err and "on_bad_file: skip" in err

    code, out, _ = _cli(capsys, "run", str(_recipe(tmp_path, inp, id_column="id", on_bad_file="skip")))
    assert code == EXIT_OK
    assert "skipped unreadable file" in out and "torn.parquet" in out
    rows_in, rows_out, _ = _accounted(tmp_path)
    assert (rows_in, rows_out) == (3, 3)


def test_files_disagreeing_on_a_column_type_name_both(spark, tmp_path, capsys):
    inp = tmp_path / "in"
    _good_parquet(inp)
    pd.DataFrame({"id": [1, 2], "text": TEXTS[:2]}).to_parquet(inp / "other.parquet")
    code, _, err = _cli(capsys, "run", str(_recipe(tmp_path, inp, id_column="id")))
    assert code == EXIT_USER
    assert "column 'id'" in err and "good.parquet" in err and "other.parquet" in err


def test_malformed_and_invalid_utf8_jsonl_lines(spark, tmp_path, capsys):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.jsonl").write_bytes(
        b'{"id": "1", "text": "one two three four"}\n'
        b'{"id": "2", "text": broken\n'
        b'{"id": "3", "text": "bad \xff\xfe bytes here"}\n'
        b'{"id": "4", "text": "five six seven eight"}\n')
    code, _, err = _cli(capsys, "run", str(_recipe(tmp_path, inp, "jsonl", id_column="id")))
    assert code == EXIT_USER and "a.jsonl" in err and "broken" in err

    code, _, _ = _cli(capsys, "run", str(_recipe(tmp_path, inp, "jsonl", id_column="id",
                                                  on_bad_file="skip")))
    assert code == EXIT_OK
    rows_in, rows_out, dropped = _accounted(tmp_path)
    assert rows_in == 4 and rows_out + sum(dropped.values()) == rows_in
    assert dropped.get("read:malformed", 0) >= 1  # Spark also refuses the invalid UTF-8 line
    spark_ = __import__("pyspark.sql", fromlist=["SparkSession"]).SparkSession.getActiveSession()
    details = [r.drop_detail for r in read_output(spark_, format="parquet", path=str(tmp_path / "rejects"))
               .where("drop_reason = 'read:malformed'").collect()]
    assert any("a.jsonl" in d and "broken" in d for d in details)


def test_invalid_utf8_in_text_input_runs_with_replacement(spark, tmp_path, capsys):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "lines.txt").write_bytes(b"one two three \xff four\nfive six seven eight\n")
    code, _, _ = _cli(capsys, "run", str(_recipe(tmp_path, inp, "text")))
    assert code == EXIT_OK
    kept = read_output(spark, format="parquet", path=str(tmp_path / "out")).collect()
    assert any("\ufffd" in r.text for r in kept) and len(kept) == 2


@pytest.mark.parametrize("ids,expected", [(("a", "a", "c"), "'a' x2"), ((None, "b", "c"), "is null")])
def test_duplicate_or_null_ids(spark, tmp_path, capsys, ids, expected):
    inp = tmp_path / "in"
    _good_parquet(inp, ids=ids)
    code, _, err = _cli(capsys, "run", str(_recipe(tmp_path, inp, id_column="id")))
    assert code == EXIT_USER and expected in err and "'id'" in err


def test_text_column_of_the_wrong_type(spark, tmp_path, capsys):
    inp = tmp_path / "in"
    inp.mkdir()
    pd.DataFrame({"id": ["a"], "text": [42]}).to_parquet(inp / "p.parquet")
    code, _, err = _cli(capsys, "run", str(_recipe(tmp_path, inp, id_column="id")))
    assert code == EXIT_USER and "text column 'text' is bigint, expected string" in err


def test_yaml_alias_bomb_and_deep_nesting_are_refused_fast(tmp_path, capsys):
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        bomb.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 9) + "]")
    (tmp_path / "bomb.yaml").write_text("\n".join(bomb) + "\nname: x\n")
    (tmp_path / "deep.yaml").write_text("name: x\nsteps: " + "[" * 5000 + "]" * 5000 + "\n")
    t = time.perf_counter()
    code, _, err = _cli(capsys, "validate", str(tmp_path / "bomb.yaml"))
    assert code == EXIT_USER and "aliases" in err and "bomb.yaml" in err
    code, _, err = _cli(capsys, "validate", str(tmp_path / "deep.yaml"))
    assert code == EXIT_USER and "nested" in err and "deep.yaml" in err
    assert time.perf_counter() - t < 30  # a hang would be the failure (9^9 values expanded)


def test_paths_with_spaces_unicode_and_dotdot(spark, tmp_path, capsys):
    weird = tmp_path / "a folder" / "dätä ☃"
    _good_parquet(weird)
    inp = weird / ".." / "dätä ☃"
    out_root = tmp_path / "out put ü"
    out_root.mkdir()
    recipe = _recipe(out_root, inp, id_column="id")
    code, out, _ = _cli(capsys, "run", str(recipe))
    assert code == EXIT_OK
    assert len(read_output(spark, format="parquet", path=str(out_root / "out")).collect()) == 3


def test_a_document_over_max_doc_bytes_is_dropped_with_its_start_kept(spark, tmp_path, capsys):
    """The 200 MB case, scaled down: a whole-file text over the limit is cut where it is
    read (a 200 MB document ran the executor out of its 4 GB heap before) and rejected."""
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "huge.txt").write_text("word " * 2000)       # 10,000 bytes
    (inp / "fine.txt").write_text("a short file with a few words")
    code, _, _ = _cli(capsys, "run", str(_recipe(tmp_path, inp, "text", text_unit="file",
                                                  max_doc_bytes=5000)))
    assert code == EXIT_OK
    rows_in, rows_out, dropped = _accounted(tmp_path)
    assert (rows_in, rows_out, dropped) == (2, 1, {"read:too_large": 1})
    reject = read_output(spark, format="parquet", path=str(tmp_path / "rejects")).collect()[0]
    assert len(reject.text) == 1000 and "10000 bytes" in reject.drop_detail
