"""``fasttext_score`` and ``fasttext_filter``: fastText classifiers over Spark DataFrames.

The model file is checked when the recipe is validated (it exists, is a supervised
fastText model, has the labels asked for), before Spark starts. At run time it is
shipped to the executors once (``thresher.operators.models.ship_file``), loaded once per
Python worker as a ``TorchFastText`` (on the worker's GPU when torch sees one), and
applied to whole Arrow batches through ``mapInArrow``: the numba kernel hashes a
batch's texts, torch sums their rows and classifies them ``batch_size`` texts at a
time, on as many threads as the task holds cores (``spark.task.cpus``).

Scores are what ``fasttext``'s ``predict(text, k=-1)`` reports for the label (see
``scorers/fasttext/model.py``), with newlines read as spaces. A null text scores as
the empty string does. The score is null for rows an earlier step dropped (they
are not scored at all) and for texts that give the model no input at all (fastText
predicts nothing for them). Model paths may be local (relative ones resolve against
the current directory) or any Hadoop filesystem URI; only local files are checked
at validation time.

Example (``data/models/quality.ftz`` is the bundled toy classifier)::

    - fasttext_score: {model: data/models/quality.ftz, label: hq, output: quality}
    - fasttext_filter: {model: data/models/quality.ftz, label: __label__hq, min: 0.5}
    - select: {column: quality, top_fraction: 0.1, weight: chars}
"""
from __future__ import annotations

import importlib.util
import os
import re

from pydantic import Field, ValidationError, field_validator, model_validator
from pyspark.sql import DataFrame
from pyspark.sql.types import DoubleType, StructField, StructType

from thresher.operators.io.fs import failpoint
from thresher.operators.base import DROP_REASON, Operator, OpParams
from thresher.operators.arrow import live_rows
from thresher.operators.errors import ModelFileError
from thresher.operators.models import ShippedFile, file_version, load_once, ship_file, will_exist
from thresher.operators.registry import register
from thresher.operators.select import Select

from .modelfile import ModelFile, read_model

LABEL_PREFIX = "__label__"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
_headers: dict[tuple, ModelFile] = {}


def _header(path: str) -> ModelFile:
    """The model's args and dictionary (no matrices), read once per file version."""
    version = file_version(path)
    if version not in _headers:
        _headers[version] = read_model(path, matrices=False)
    return _headers[version]


def label_index(labels: list[str], wanted: str, path: str) -> int:
    """Position of ``wanted`` (as written, or with ``__label__`` in front) in ``labels``."""
    for name in (wanted, LABEL_PREFIX + wanted):
        if name in labels:
            return labels.index(name)
    shown = ", ".join(labels[:30]) + (f", ... ({len(labels)} in all)" if len(labels) > 30 else "")
    raise ValueError(f"label {wanted!r} is not in model {path}; its labels: {shown}")


class _ModelParams(OpParams):
    model: str = Field(description="fastText model file (.bin or quantized .ftz): a local "
                                   "path or any Hadoop filesystem URI")
    batch_size: int = Field(1024, ge=1, description="texts per torch batch")
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$",
                        description="auto (a GPU when torch sees one), cpu, cuda or cuda:N")

    @field_validator("model")
    @classmethod
    def _model_file(cls, v: str) -> str:
        if importlib.util.find_spec("torch") is None:
            raise ValueError("fastText scoring needs torch: pip install 'thresher[fasttext]'")
        if _SCHEME.match(v) and not v.startswith("file:"):
            return v  # hdfs:, s3a:, dbfs:...: checked when the step runs
        path = os.path.abspath(os.path.expanduser(v.removeprefix("file:")))
        if will_exist(path):
            return path  # an earlier step writes it: checked when the step runs
        try:
            _header(path)
        except FileNotFoundError:
            raise ValueError(f"model file not found: {path}") from None
        except Exception as exc:  # ModelFileError and OSErrors: say what the file is
            raise ValueError(str(exc)) from None
        return path

    def labels_of_model(self) -> list[str]:
        return _header(self.model).labels


def _checkable(model: str) -> bool:
    """Whether the model can be read at validation: local, and not one an earlier step
    of the recipe writes (preselect_train); the others are first read when the step runs."""
    return not _SCHEME.match(model) and not will_exist(model)


def _default_output(label: str) -> str:
    return "fasttext_" + label.removeprefix(LABEL_PREFIX)


@register("fasttext_score")
class FastTextScore(Operator):
    """Add the probability of one or more labels of a fastText classifier, as doubles.

    ``label`` adds one column (``output``, default ``fasttext_<label>``); ``labels`` adds
    one per label (``output``: a list of names, default ``fasttext_<label>`` each).
    Labels may be written with or without fastText's ``__label__`` prefix.

    Example::

        - fasttext_score: {model: data/models/quality.ftz, label: hq, output: quality}
        - fasttext_score: {model: data/models/quality.ftz, labels: [hq, __label__lq]}
    """

    class Params(_ModelParams):
        label: str | None = Field(None, min_length=1, description="the label to score")
        labels: list[str] | None = Field(None, min_length=1, description="several labels")
        output: str | list[str] | None = Field(None, description="column(s) to add")

        @model_validator(mode="after")
        def _labels_and_outputs(self):
            if (self.label is None) == (self.labels is None):
                raise ValueError("give exactly one of label (one column) or labels "
                                 "(one column each)")
            wanted = [self.label] if self.label is not None else list(self.labels)
            if self.output is not None and isinstance(self.output, list) != (self.label is None):
                raise ValueError("output is one column name with label, a list with labels")
            if isinstance(self.output, list) and len(self.output) != len(wanted):
                raise ValueError(f"output names {len(self.output)} columns for "
                                 f"{len(wanted)} labels")
            if _checkable(self.model):  # the others: checked when the step runs
                for name in wanted:
                    label_index(self.labels_of_model(), name, self.model)
            return self

    def wanted(self) -> list[str]:
        p = self.params
        return [p.label] if p.label is not None else list(p.labels)

    def outputs(self) -> list[str]:
        out = self.params.output
        if out is None:
            return [_default_output(w) for w in self.wanted()]
        return [out] if isinstance(out, str) else list(out)

    def adds(self) -> list[str]:
        return self.outputs()

    def transform(self, df: DataFrame) -> DataFrame:
        p = self.params
        if not _SCHEME.match(p.model):  # a model an earlier step wrote is first read here
            try:
                for name in self.wanted():
                    label_index(_header(p.model).labels, name, p.model)
            except (OSError, ValueError) as exc:
                raise ModelFileError(f"step {self.ctx.step} ({self.name}): {exc}",
                                     path=p.model) from None
        shipped = ship_file(df.sparkSession, p.model)
        outputs = self.outputs()
        df = df.drop(*[c for c in outputs if c in df.columns])  # re-scoring overwrites
        schema = StructType(df.schema.fields + [StructField(c, DoubleType(), True)
                                                for c in outputs])
        config = dict(text=self.ctx.text_column, labels=self.wanted(), outputs=outputs,
                      batch_size=p.batch_size, device=p.device,
                      live=DROP_REASON if DROP_REASON in df.columns else None)

        def score(batches):
            yield from score_batches(batches, shipped, config)

        return df.mapInArrow(score, schema)


@register("fasttext_filter")
class FastTextFilter(FastTextScore):
    """Score one label (as ``fasttext_score``) and keep rows with ``min <= score <= max``.

    Drop reasons are ``select``'s: ``below_min``, ``above_max``, and ``null`` for rows
    the model gives no score. The score column stays as evidence. For the best
    fraction of rows or characters, use ``fasttext_score`` then ``select``.

    Example::

        - fasttext_filter: {model: data/models/quality.ftz, label: hq, min: 0.5}
    """

    class Params(_ModelParams):
        label: str = Field(min_length=1, description="the label whose probability is kept")
        output: str | None = Field(None, description="score column (default fasttext_<label>)")
        min: float | None = Field(None, description="keep scores >= min")
        max: float | None = Field(None, description="keep scores <= max")

        @model_validator(mode="after")
        def _label_and_bounds(self):
            try:  # select's own checks of the bounds
                Select.Params(column="score", min=self.min, max=self.max)
            except ValidationError as exc:
                raise ValueError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
            if _checkable(self.model):
                label_index(self.labels_of_model(), self.label, self.model)
            return self

    def wanted(self) -> list[str]:
        return [self.params.label]

    def transform(self, df: DataFrame) -> DataFrame:
        scored = super().transform(df)
        p = self.params
        keep = Select(column=self.outputs()[0], min=p.min, max=p.max).bind(self.ctx)
        return keep.transform(scored)


def score_batches(batches, shipped: ShippedFile, config: dict):
    """mapInArrow body: append the label probabilities to every Arrow batch."""
    import numpy as np
    import pyarrow as pa

    from thresher.scorers.device import resolve_device

    config = {**config, "device": str(resolve_device(config["device"]))}  # auto: this task's GPU
    model = load_once(("fasttext", *shipped.version, config["device"]),
                      lambda: _load(shipped, config["device"]))
    # Checked at validation for local models; a remote one is first read here.
    columns = [label_index(model.labels, w, shipped.path) for w in config["labels"]]
    failpoint("fasttext_score")  # fault tests: an executor lost mid-step
    for batch in batches:
        texts = batch.column(config["text"])
        live = live_rows(batch, config["live"])
        probs = np.full((len(texts), len(model.labels)), np.nan)
        if live.all():
            probs = model.predict_proba(texts, batch_size=config["batch_size"])
        elif live.any():  # rows dropped by earlier steps are not scored
            probs[live] = model.predict_proba(texts.filter(pa.array(live)),
                                              batch_size=config["batch_size"])
        new = [pa.array(probs[:, j], pa.float64(), mask=np.isnan(probs[:, j]))
               for j in columns]
        yield pa.RecordBatch.from_arrays(batch.columns + new,
                                         names=batch.schema.names + config["outputs"])


def _load(shipped: ShippedFile, device: str):
    import torch
    from pyspark import TaskContext

    from .model import TorchFastText

    # As many threads as the task holds cores (spark.task.cpus): on the CPU one task
    # per core, so torch's own pool would oversubscribe them; on a GPU the threads
    # tokenise for it (docs/deploy.md: give GPU tasks several cores).
    context = TaskContext.get()
    torch.set_num_threads(max(1, context.cpus() if context is not None else 1))
    return TorchFastText.from_file(shipped.local_path(), device=device)
