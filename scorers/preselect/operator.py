"""``predictive_strength`` and ``preselect_train``: PreSelect as recipe steps.

A whole selection in one recipe (``recipes/preselect.yaml``)::

    - lm_loss: {model: models/m1, prefix: m1, sample: 0.05}      # x N models
    - predictive_strength: {benchmarks: scores.yaml}              # m1: 0.41, m2: ...
    - preselect_train: {model: out/selector.bin}                  # trains, writes the file
    - fasttext_score: {model: out/selector.bin, label: pos, output: preselect}
    - select: {column: preselect, top_fraction: 0.1, weight: chars}

``preselect_train`` trains when its step runs (an action on the rows that reach it,
like ``minhash_dedup``'s stages) and writes the model file before the next step
starts, so a later ``fasttext_score`` may name that file although it does not exist
when the recipe is validated (``Operator.produces``): its checks then run when its
step does.

The selector trains on the driver, so the examples brought there are bounded by
``max_train_rows`` (default 500,000): when more positives and negatives were picked,
each label keeps its ``max_train_rows // 2`` with the smallest hash of the id (exact
and distributed, ``operators/ranking.first_by_hash``), so the sample does not depend
on partitioning. The labels column joins back the trained rows only (at most the
bound): broadcast up to ``_BROADCAST_ROWS`` labels, a shuffle join above that, so no
unbounded table is ever broadcast. The stats say how many examples were picked and
trained on (``picked_examples``, ``trained_examples``).
"""
from __future__ import annotations

import os
import re
import time
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from thresher.operators.base import DROP_REASON, Operator, OpParams, live
from thresher.operators.errors import PreSelectError
from thresher.operators.ranking import HASH, first_by_hash
from thresher.operators.registry import register
from thresher.scorers.fasttext.train import BUCKET_HELP, check_trainable

from .benchmarks import load_benchmarks
from .examples import balanced_examples, fit_selector, training_config
from .strength import DEFAULT_TEMPLATE, bpc_column, with_predictive_strength

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
_LABEL_ID = "_thresher_preselect_id"
# Most labels joined back through a broadcast (id + label: a few MB); more go through
# a shuffle join, so the driver never ships an unbounded table to every executor.
_BROADCAST_ROWS = 100_000


@register("predictive_strength")
class PredictiveStrength(Operator):
    """Add PreSelect's predictive strength of each document from its per-model BPC columns.

    ``<output>`` counts the model pairs whose better-scored model has the lower BPC
    (0 .. N(N-1)/2), ``<output>_norm`` divides by the number of pairs, and
    ``correlation: spearman | kendall`` adds ``<output>_<correlation>``, the correlation
    of BPC with benchmark score (-1 = most predictive). ``benchmarks`` is a YAML file
    (``model: score``, higher = better) or an inline mapping; model ``m``'s BPCs are in
    column ``bpc_column`` with ``{model}`` replaced (default ``m_bpc``, what
    ``lm_loss`` with ``prefix: m`` adds).

    Example::

        - predictive_strength: {benchmarks: {m1: 0.41, m2: 0.45, m3: 0.50}}
        - predictive_strength: {benchmarks: {m1: 0.41, m2: 0.45, m3: 0.5}, correlation: spearman}
    """

    class Params(OpParams):
        benchmarks: str | dict[str, float] = Field(
            description="YAML file of model: benchmark score (higher = better), or a mapping")
        bpc_column: str = Field(DEFAULT_TEMPLATE, pattern=r"\{model\}",
                                description="column of a model's BPC; {model} is its name")
        output: str = Field("predictive_strength", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                            description="count column; also <output>_norm")
        correlation: Literal["spearman", "kendall"] | None = Field(
            None, description="add <output>_spearman or _kendall: BPC vs benchmark score")

        @field_validator("benchmarks")
        @classmethod
        def _scores(cls, v):
            if isinstance(v, str):
                v = os.path.abspath(os.path.expanduser(v))
            try:
                load_benchmarks(v)
            except PreSelectError as exc:
                raise ValueError(str(exc)) from None
            return v

    def scores(self) -> dict[str, float]:
        return load_benchmarks(self.params.benchmarks)

    def _where(self) -> str:
        b = self.params.benchmarks
        return b if isinstance(b, str) else "param 'benchmarks'"

    def requires(self) -> dict[str, str]:
        return {bpc_column(self.params.bpc_column, m): "numeric" for m in self.scores()}

    def adds(self) -> list[str]:
        out = self.params.output
        extra = [f"{out}_{self.params.correlation}"] if self.params.correlation else []
        return [out, f"{out}_norm", *extra]

    def check_columns(self, available: dict[str, str]) -> None:
        """A BPC column of a model without a benchmark score is an error naming it."""
        head, _, tail = self.params.bpc_column.partition("{model}")
        pattern = re.compile(f"^{re.escape(head)}([A-Za-z_][A-Za-z0-9_]*){re.escape(tail)}$")
        scores = self.scores()
        extra = [m.group(1) for c in available if (m := pattern.match(c))
                 and m.group(1) not in scores]
        if extra:
            raise PreSelectError(
                f"step {self.ctx.step} ({self.name}): model(s) {', '.join(extra)} have BPC "
                f"columns ({', '.join(bpc_column(self.params.bpc_column, m) for m in extra)}) "
                f"but no benchmark score in {self._where()}; add their scores or remove "
                "their lm_loss steps")

    def transform(self, df: DataFrame) -> DataFrame:
        p = self.params
        return with_predictive_strength(df, self.scores(), template=p.bpc_column,
                                        output=p.output, correlation=p.correlation)


@register("preselect_train")
class PreSelectTrain(Operator):
    """Train PreSelect's fastText selector on the rows that reach this step.

    Writes it to ``model`` (and ``<model>.eval.json``), and adds ``label_column``
    (``pos``, ``neg``, or null for rows not trained on).

    Positives: the documents at the top ``score`` (all at the maximum, or the ``top``
    fraction); negatives: as many from the lowest scores up; ties by id. A later
    ``fasttext_score`` step with ``model`` set to the same file and ``label: pos`` scores
    every document with it.

    Example::

        - preselect_train: {model: out/preselect/selector.bin, top: 0.1}
        - fasttext_score: {model: out/preselect/selector.bin, label: pos, output: preselect}
    """

    class Params(OpParams):
        model: str = Field(description="fastText model file to write (local path)")
        score: str = Field("predictive_strength", description="predictive strength column")
        top: float | None = Field(None, gt=0, le=0.5, description="positives: this fraction "
                                  "of scored rows (default: all rows at the maximum score)")
        label_column: str = Field("preselect_label", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                                  description="column added: pos, neg or null")
        epoch: int = Field(3, ge=1)
        lr: float = Field(0.1, gt=0)
        word_ngrams: int = Field(2, ge=1, description="fastText wordNgrams")
        dim: int = Field(100, ge=1)
        min_count: int = Field(1, ge=1)
        bucket: int | None = Field(None, ge=0, description=BUCKET_HELP)
        thread: int | None = Field(None, ge=1, description="training threads (default: all)")
        seed: int = Field(0, ge=0)
        valid_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="held out to evaluate")
        max_train_rows: int = Field(
            500_000, ge=2, description="most examples brought to the driver to train on; "
                                       "more are sampled per label by a hash of the id")

        @field_validator("model")
        @classmethod
        def _local_file(cls, v: str) -> str:
            if _SCHEME.match(v) and not v.startswith("file:"):
                raise ValueError("the selector is trained on the driver: give a local path")
            path = os.path.abspath(os.path.expanduser(v.removeprefix("file:")))
            if os.path.isdir(path):
                raise ValueError(f"{path} is a folder; give the model file's path")
            return path

        @model_validator(mode="after")
        def _fasttext(self):
            check_trainable()
            self.config()
            return self

        def config(self):
            given = self.model_dump(include={"epoch", "lr", "word_ngrams", "dim", "min_count",
                                             "bucket", "thread", "seed", "valid_fraction"})
            return training_config(**{k: v for k, v in given.items() if v is not None})

    _report: dict | None = None
    _cached: DataFrame | None = None
    _counts: dict | None = None

    def requires(self) -> dict[str, str]:
        return {self.params.score: "numeric", self.ctx.id_column: "any",
                self.ctx.text_column: "string"}

    def adds(self) -> list[str]:
        return [self.params.label_column]

    def produces(self) -> list[str]:
        return [self.params.model]

    def transform(self, df: DataFrame) -> DataFrame:
        p, ctx = self.params, self.ctx
        t = time.perf_counter()
        if not df.is_cached:  # fused mode: train and the final write share the losses
            df = self._cached = df.persist()
        rows = df.where(live()) if DROP_REASON in df.columns else df
        examples = balanced_examples(rows, score=p.score, id_column=ctx.id_column,
                                     text_column=ctx.text_column, top=p.top)
        picked = self._bounded(examples)
        where = f"step {ctx.step} ({self.name})" if ctx.step else self.name
        report = fit_selector([r["text"] for r in picked], [r["label"] for r in picked],
                              [r["score"] for r in picked], p.model, p.config(),
                              source=f"{where}, column '{p.score}'")
        self._report = {**report["preselect"], "accuracy": report["eval"]["accuracy"],
                        "seconds": time.perf_counter() - t, **self._counts}
        id_type = df.schema[ctx.id_column].dataType
        schema = StructType([StructField(_LABEL_ID, id_type),
                             StructField(p.label_column, StringType())])
        labels = df.sparkSession.createDataFrame(
            [(r[ctx.id_column], r["label"]) for r in picked], schema)
        if len(picked) <= _BROADCAST_ROWS:
            labels = F.broadcast(labels)
        df = df.drop(p.label_column) if p.label_column in df.columns else df
        return (df.join(labels, F.col(ctx.id_column) == F.col(_LABEL_ID), "left")
                .drop(_LABEL_ID))

    def _bounded(self, examples: DataFrame) -> list:
        """The examples as rows on the driver, at most ``max_train_rows`` of them."""
        p, id_col = self.params, self.ctx.id_column
        per_label = dict(examples.groupBy("label").count().collect())
        picked = sum(per_label.values())
        if picked <= p.max_train_rows:
            rows = examples.collect()
        else:
            keep = p.max_train_rows // 2  # balanced: as many of each label
            rows = []
            for label in sorted(per_label):
                part = first_by_hash(examples.where(F.col("label") == label), keep,
                                     key=[id_col], id_column=id_col)
                # Collect order decides the held-out split: make it the hash order.
                rows += sorted(part.collect(), key=lambda r: (r[HASH], str(r[id_col])))
        self._counts = {"picked": picked, "trained": len(rows)}
        return rows

    def report(self) -> dict[str, float]:
        if not self._report:
            return {}
        r = self._report
        out = {"positives": r["positives"], "negatives": r["negatives"],
               "positive_min_score": r["positive_scores"][0],
               "negative_max_score": r["negative_scores"][1], "train_seconds": r["seconds"],
               "picked_examples": r["picked"], "trained_examples": r["trained"]}
        if r["accuracy"] is not None:
            out["held_out_accuracy_pct"] = 100 * r["accuracy"]
        return {k: float(v) for k, v in out.items()}

    def release(self) -> None:
        if self._cached is not None:
            self._cached.unpersist()
            self._cached = None
