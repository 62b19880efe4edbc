"""``fasttext_train``: train a quality classifier inside a recipe, for later steps to score with.

DCLM's recipe: a fastText classifier trained on given positives (text like the data you
want) against negatives (a sample of the raw pool), then the pool scored with it and
its best share kept. This step is the first half, so that the whole filter is one
recipe: it reads a labelled Parquet training set (not the recipe's input), trains on
the driver with the ``fasttext`` library when the step runs, and writes ``model`` plus
``<model>.eval.json`` (held-out precision/recall, see ``train.py``). A later
``fasttext_score`` / ``fasttext_filter`` names the same file; the recipe validates
although the file does not exist yet (``Operator.produces``). The rows pass through
unchanged.

Labels come from ``label_column`` (any values without whitespace), or from two SQL
predicates over the training set, ``positive_where`` / ``negative_where`` (rows
matching neither are left out; rows matching both are an error), labelled
``positive_label`` / ``negative_label``.

The trainer runs on the driver, so what reaches it is bounded: at most
``max_train_rows`` usable rows (default 500,000, a few GB of driver memory for
~1-5 KB documents; DCLM's classifier trained on ~400k). A bigger set is sampled
deterministically: the rows with the smallest hash of (text, label), found
distributed (``operators/ranking.first_by_hash``), so the same set gives the same
model whatever its files and partitions. The stats (``usable_rows``,
``max_train_rows``) and ``<model>.eval.json`` (``sample``) say how many rows were
available and used.

Example::

    - fasttext_train:
        input: data/quickstart
        positive_where: "kind = 'clean'"
        negative_where: "kind LIKE 'low_quality%'"
        model: out/quality_selector.bin
        epoch: 5
        word_ngrams: 2
    - fasttext_score: {model: out/quality_selector.bin, label: hq, output: quality}
"""
from __future__ import annotations

import glob
import os
import re
import time
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from thresher.operators.base import Operator, OpParams
from thresher.operators.errors import InputError
from thresher.operators.ranking import HASH, first_by_hash
from thresher.operators.registry import register

from .train import (BUCKET_HELP, LABEL_PREFIX, TrainConfig, check_trainable, fit_classifier,
                    one_line)

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
_TOKEN = r"^[^\s]+$"


def _local(path: str, what: str) -> str:
    if _SCHEME.match(path) and not path.startswith("file:"):
        raise ValueError(f"{what} is read on the driver: give a local path, got {path}")
    return os.path.abspath(os.path.expanduser(path.removeprefix("file:")))


@register("fasttext_train")
class FastTextTrain(Operator):
    """Train a fastText classifier on a labelled Parquet set; the rows pass through.

    The model is written to ``model``. See the module docstring for DCLM's recipe.

    Example::

        - fasttext_train: {input: data/quickstart, model: out/quality_selector.bin,
                           positive_where: "kind = 'clean'",
                           negative_where: "kind LIKE 'low_quality%'", word_ngrams: 2}
    """

    class Params(OpParams):
        input: str = Field(description="training set: a Parquet file, folder or glob (local)")
        model: str = Field(description="model file to write (local path; .bin, or .ftz "
                                       "with quantize)")
        text_column: str = Field("text", description="text column of the training set")
        label_column: str | None = Field(None, description="label column (or give "
                                         "positive_where and negative_where)")
        positive_where: str | None = Field(None, description="SQL predicate of the positives")
        negative_where: str | None = Field(None, description="SQL predicate of the negatives")
        positive_label: str = Field("hq", pattern=_TOKEN, description="label of the positives")
        negative_label: str = Field("lq", pattern=_TOKEN, description="label of the negatives")
        epoch: int = Field(5, ge=1)
        lr: float = Field(0.1, gt=0)
        word_ngrams: int = Field(2, ge=1, description="fastText wordNgrams (DCLM: 2)")
        dim: int = Field(100, ge=1)
        minn: int = Field(0, ge=0)
        maxn: int = Field(0, ge=0)
        min_count: int = Field(1, ge=1)
        loss: Literal["softmax", "ova", "hs", "ns"] = "softmax"
        bucket: int | None = Field(None, ge=0, description=BUCKET_HELP)
        thread: int | None = Field(None, ge=1, description="training threads (default: all)")
        seed: int = Field(0, ge=0)
        valid_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="held out to evaluate")
        quantize: bool = Field(False, description="write a quantized model (smaller)")
        max_train_rows: int = Field(
            500_000, ge=2, description="most usable rows brought to the driver to train on; "
                                       "a bigger set is sampled by a hash of text and label")

        @field_validator("input")
        @classmethod
        def _input_exists(cls, v: str) -> str:
            path = _local(v, "the training set")
            if not glob.glob(path):
                raise ValueError(f"training set not found: {path}")
            return path

        @field_validator("model")
        @classmethod
        def _model_path(cls, v: str) -> str:
            path = _local(v, "the model")
            if os.path.isdir(path):
                raise ValueError(f"{path} is a folder; give the model file's path")
            return path

        @model_validator(mode="after")
        def _labels(self):
            by_column = self.label_column is not None
            by_where = (self.positive_where, self.negative_where) != (None, None)
            if by_column == by_where or (by_where and None in (self.positive_where,
                                                               self.negative_where)):
                raise ValueError("give label_column, or both positive_where and negative_where")
            if self.positive_label == self.negative_label:
                raise ValueError("positive_label and negative_label must differ")
            check_trainable()
            self.config()
            return self

        def config(self) -> TrainConfig:
            given = self.model_dump(include=set(TrainConfig.model_fields))
            return TrainConfig(**{k: v for k, v in given.items() if v is not None})

    _report: dict | None = None
    _sample: dict | None = None

    def requires(self) -> dict[str, str]:
        return {}

    def produces(self) -> list[str]:
        return [self.params.model]

    def transform(self, df: DataFrame) -> DataFrame:
        t = time.perf_counter()
        lines, labels, skipped = self._examples(df.sparkSession)
        where = f"step {self.ctx.step} ({self.name})" if self.ctx.step else self.name
        if len(set(labels)) < 2:
            raise InputError(f"{where}: training set {self.params.input} needs examples of two "
                             f"labels, found {sorted(set(labels)) or 'none'} in "
                             f"{len(labels)} usable rows")
        report = fit_classifier(lines, labels, self.params.model, self.params.config(),
                                source=f"{where}, {self.params.input}", skipped=skipped,
                                sample=self._sample)
        self._report = {"rows": report["rows"], "eval": report["eval"],
                        "sample": self._sample, "seconds": time.perf_counter() - t}
        return df

    def _examples(self, spark) -> tuple[list[str], list[str], int]:
        p = self.params
        where = f"step {self.ctx.step} ({self.name})"
        try:
            data = spark.read.parquet(p.input)
        except Exception as exc:  # noqa: BLE001 - reported with the file
            raise InputError(f"{where}: cannot read training set {p.input} as Parquet: "
                             f"{str(exc).splitlines()[0]}") from exc
        if p.text_column not in data.columns:
            raise InputError(f"{where}: training set {p.input} has no text column "
                             f"'{p.text_column}' (columns: {', '.join(data.columns)})")
        if p.label_column is not None:
            if p.label_column not in data.columns:
                raise InputError(f"{where}: training set {p.input} has no label column "
                                 f"'{p.label_column}' (columns: {', '.join(data.columns)})")
            label = F.col(p.label_column).cast("string")
        else:
            pos, neg = F.expr(p.positive_where), F.expr(p.negative_where)
            both = data.where(pos & neg).limit(1).count()
            if both:
                raise InputError(f"{where}: rows of {p.input} match both positive_where and "
                                 "negative_where; make them exclusive")
            label = (F.when(pos, F.lit(p.positive_label))
                     .when(neg, F.lit(p.negative_label)))
        pairs = data.select(F.col(p.text_column).alias("t"), label.alias("l"))
        # Usable rows are counted and bounded in Spark: only what trains reaches the driver.
        ok = F.col("t").isNotNull() & (F.trim(F.col("t")) != "") & F.col("l").isNotNull()
        usable = pairs.where(ok)
        counts = pairs.agg(F.count(F.lit(1)).alias("all"),
                           F.count(F.when(ok, 1)).alias("usable")).first()
        skipped = counts["all"] - counts["usable"]
        self._sample = {"usable_rows": counts["usable"], "max_train_rows": p.max_train_rows,
                        "sampled": counts["usable"] > p.max_train_rows}
        if self._sample["sampled"]:
            picked = first_by_hash(usable, p.max_train_rows, key=["t", "l"], id_column="t")
            # Collect order decides the held-out split: make it the hash order.
            rows = sorted(picked.collect(), key=lambda r: (r[HASH], r["t"], r["l"]))
        else:
            rows = usable.collect()
        lines, labels = [], []
        for r in rows:
            if not r["l"] or re.search(r"\s", r["l"]):
                raise InputError(f"{where}: label {r['l']!r} in {p.input} is empty or holds "
                                 "whitespace; fastText labels are single tokens")
            lines.append(one_line(r["t"]))
            labels.append(r["l"] if r["l"].startswith(LABEL_PREFIX) else LABEL_PREFIX + r["l"])
        return lines, labels, skipped

    def report(self) -> dict[str, float]:
        if not self._report:
            return {}
        r = self._report
        out = {"train_rows": r["rows"]["train"], "held_out_rows": r["rows"]["valid"],
               "skipped_rows": r["rows"]["skipped"], "train_seconds": r["seconds"],
               "usable_rows": r["sample"]["usable_rows"],
               "max_train_rows": r["sample"]["max_train_rows"]}
        if r["eval"]["accuracy"] is not None:
            out["held_out_accuracy_pct"] = 100 * r["eval"]["accuracy"]
        return {k: float(v) for k, v in out.items()}
