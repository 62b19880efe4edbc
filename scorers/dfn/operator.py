"""``dfn_score`` and ``dfn_filter``: CLIP image-text scores over Spark DataFrames (DataComp, DFN).

The score of a row is the cosine similarity of its image's and its caption's CLIP
embeddings (``scorers/dfn/model.py``), the number DataComp's "CLIP score" baselines
and DFN's filtering networks keep rows by. The model is checked when the recipe is
validated, before Spark starts (a missing or broken directory is named); at run time
it is shipped to the executors once (``thresher.operators.models.ship_dir``: a local directory
travels as an archive that every executor unpacks, so a driver-local path works on a
cluster) and loaded once per Python worker, on the worker's GPU when torch sees one.
Rows go through ``mapInArrow``: each Arrow batch's images are decoded on as many
threads as the task holds cores (``spark.task.cpus``) and scored ``batch_size`` pairs
at a time.

Images: a binary column (the encoded file: JPEG, PNG, WebP, ... whatever PIL reads)
or a string column of local paths or ``file:`` URIs, read on the executors (relative
paths against the driver's working directory; every executor must see the same
path). For images on object stores, read them as a binary column first
(``spark.read.format("binaryFile")``) and join. A row whose image is null or
unreadable is dropped as ``missing_image``, one whose bytes do not decode as
``undecodable_image``, with the reader's message as detail; its score is null and
the job goes on. A null caption scores as the empty string. Rows dropped by earlier
steps are not scored (null score).

Big images in big Arrow batches: a batch holds ``spark.sql.execution.arrow.
maxRecordsPerBatch`` rows (10,000 by default) of encoded images; lower it in the
recipe's ``spark.conf`` if that is too much memory for a Python worker. Decoded
pixels are kept for two model batches at most.

Example (a model directory made by ``save_pretrained``, or ``hf:<hub id>``)::

    - dfn_score: {model: /models/clip-vit-b-32, image: jpg, text: caption}
    - dfn_filter: {model: data/models/tiny_clip, image: jpg, text: caption, min: 0.3}
    - dfn_filter: {model: data/models/tiny_clip, image: jpg, text: caption, top_fraction: 0.3}
"""
from __future__ import annotations

import importlib.util
import os
import re

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BinaryType, DoubleType, StringType, StructField, StructType

from thresher.operators.base import DROP_REASON, DropRule, Operator, OpParams, mark_drops
from thresher.operators.arrow import live_rows
from thresher.operators.errors import ColumnContractError
from thresher.operators.io.fs import failpoint
from thresher.operators.models import ShippedFile, load_once, ship_dir, ship_file
from thresher.operators.registry import register
from thresher.operators.select import Select

from .images import MISSING, UNDECODABLE

HUB = "hf:"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
_REASON = "_thresher_dfn_reason"
_DETAIL = "_thresher_dfn_detail"


class _ClipParams(OpParams):
    architecture: str | None = Field(
        None, description="open_clip architecture (e.g. ViT-B-32): model is then an open_clip "
                          "checkpoint file; needs open_clip installed (untested here)")
    model: str = Field(description="CLIP model directory (transformers: config.json, weights, "
                                   "tokenizer), local or on a Hadoop filesystem, or "
                                   "hf:<hub id> where executors have network")
    image: str = Field("image", min_length=1,
                       description="image column: binary (encoded image) or string (path)")
    text: str | None = Field(None, min_length=1,
                             description="caption column (default: the recipe's text column)")
    output: str = Field("dfn_score", min_length=1, description="score column to add")
    batch_size: int = Field(64, ge=1, description="image-text pairs per model batch")
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$",
                        description="auto (a GPU when torch sees one), cpu, cuda or cuda:N")

    @field_validator("model")
    @classmethod
    def _model(cls, v: str, info: ValidationInfo) -> str:
        architecture = info.data.get("architecture")
        missing = [m for m in ("torch", "PIL") + (() if architecture else ("transformers",))
                   if importlib.util.find_spec(m) is None]
        if missing:
            raise ValueError(f"CLIP scoring needs {', '.join(missing)}: "
                             "pip install 'thresher[clip]'")
        if v.startswith(HUB):
            if architecture:
                raise ValueError("hf: hub ids are transformers models: leave architecture out")
            return v
        if _SCHEME.match(v) and not v.startswith("file:"):
            return v  # hdfs:, s3a:, dbfs:...: read when the step runs
        path = os.path.abspath(os.path.expanduser(v.removeprefix("file:")))
        try:
            if architecture:
                from .openclip import check_architecture

                check_architecture(architecture, path)
            else:
                from .modeldir import check_model_dir

                check_model_dir(path)
        except Exception as exc:  # ModelFileError, MissingDependencyError: their message
            raise ValueError(str(exc)) from None
        return path


@register("dfn_score")
class DfnScore(Operator):
    """Add the CLIP score (cosine similarity of image and caption embeddings) as a double.

    Rows whose image is missing or cannot be decoded are dropped with reason
    ``missing_image`` / ``undecodable_image`` (counted in the stats; the detail says
    why) unless ``keep_bad_images: true``, which keeps them with a null score (as does
    ``transform`` on a DataFrame outside a recipe, which has no drop bookkeeping).

    Example::

        - dfn_score: {model: data/models/tiny_clip, image: jpg, text: caption, output: clip_b32}
        - select: {column: clip_b32, top_fraction: 0.3}
    """

    class Params(_ClipParams):
        keep_bad_images: bool = Field(False, description="keep rows with a missing or "
                                                         "undecodable image (null score)")

    @property
    def text_column(self) -> str:
        return self.params.text or self.ctx.text_column

    def requires(self) -> dict[str, str]:
        return {self.text_column: "string", self.params.image: "binary or string"}

    def adds(self) -> list[str]:
        return [self.params.output]

    def transform(self, df: DataFrame) -> DataFrame:
        scored = self.scored(df)
        # Outside a recipe (no bookkeeping columns, e.g. a notebook) there is nothing to
        # mark: rows stay, with a null score.
        marking = DROP_REASON in df.columns
        if marking and not getattr(self.params, "keep_bad_images", False):
            scored = mark_drops(scored, [
                DropRule(MISSING, F.col(_REASON) == MISSING, F.col(_DETAIL)),
                DropRule(UNDECODABLE, F.col(_REASON) == UNDECODABLE, F.col(_DETAIL)),
            ], self.ctx)
        return scored.drop(_REASON, _DETAIL)

    def scored(self, df: DataFrame) -> DataFrame:
        """``df`` with the score column and the temporary reason and detail columns."""
        p = self.params
        kind = df.schema[p.image].dataType if p.image in df.columns else None
        if not isinstance(kind, (BinaryType, StringType)):
            found = kind.simpleString() if kind is not None else "missing"
            raise ColumnContractError(f"step {self.ctx.step} ({self.name}) param 'image': "
                                      f"column '{p.image}' must be binary or string, "
                                      f"found {found}")
        shipped = _ship(df.sparkSession, p)
        df = df.drop(p.output) if p.output in df.columns else df  # re-scoring overwrites
        schema = StructType(df.schema.fields + [StructField(p.output, DoubleType(), True),
                                                StructField(_REASON, StringType(), True),
                                                StructField(_DETAIL, StringType(), True)])
        config = dict(image=p.image, text=self.text_column, output=p.output,
                      batch_size=p.batch_size,
                      device=p.device, architecture=p.architecture, base_dir=os.getcwd(),
                      live=DROP_REASON if DROP_REASON in df.columns else None)

        def score(batches):
            yield from score_batches(batches, shipped, config)

        return df.mapInArrow(score, schema)


@register("dfn_filter")
class DfnFilter(DfnScore):
    """Score as ``dfn_score`` and keep rows by threshold or the best fraction (DataComp).

    The rules are those of DataComp's CLIP-score baselines.

    ``min`` / ``max``: keep ``min <= score <= max``; ``top_fraction``: keep that share of
    the rows with a usable image, highest scores first (``select``'s rule: ties by id).
    Drop reasons: ``missing_image``, ``undecodable_image``, then ``select``'s
    ``below_min``, ``above_max``, ``not_in_top_fraction``. The score column stays.

    Example::

        - dfn_filter: {model: data/models/tiny_clip, image: jpg, text: caption, min: 0.3}
        - dfn_filter: {model: data/models/tiny_clip, image: jpg, text: caption, top_fraction: 0.3}
    """

    class Params(_ClipParams):
        min: float | None = Field(None, description="keep scores >= min")
        max: float | None = Field(None, description="keep scores <= max")
        top_fraction: float | None = Field(None, description="keep the best fraction of rows")

        @model_validator(mode="after")
        def _bounds(self):
            try:  # select's own checks of the bounds and the mode
                Select.Params(column="score", min=self.min, max=self.max,
                              top_fraction=self.top_fraction)
            except ValidationError as exc:
                raise ValueError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
            return self

    def _select(self) -> Select:
        p = self.params
        return Select(column=p.output, min=p.min, max=p.max,
                      top_fraction=p.top_fraction).bind(self.ctx)

    def requires(self) -> dict[str, str]:
        needs = super().requires()
        if self.params.top_fraction is not None:
            needs[self.ctx.id_column] = "any"
        return needs

    def transform(self, df: DataFrame) -> DataFrame:
        # Kept: the select caches the scored rows (CLIP runs once per row), and only
        # it can free that cache when the runner calls release().
        self._selector = self._select()
        return self._selector.transform(super().transform(df))

    def release(self) -> None:
        selector = getattr(self, "_selector", None)
        if selector is not None:
            selector.release()


def _ship(spark, p: _ClipParams) -> ShippedFile:
    if p.model.startswith(HUB):  # each worker downloads into its Hugging Face cache
        return ShippedFile(p.model, None, (p.model,))
    if p.architecture:
        return ship_file(spark, p.model)
    return ship_dir(spark, p.model)


def score_batches(batches, shipped: ShippedFile, config: dict):
    """mapInArrow body: append the score, reason and detail columns to every batch."""
    import numpy as np
    import pyarrow as pa

    from thresher.scorers.device import resolve_device

    config = {**config, "device": str(resolve_device(config["device"]))}  # auto: this task's GPU
    model = load_once(("dfn", *shipped.version, config["device"], config["architecture"]),
                      lambda: _load(shipped, config))
    failpoint("dfn_score")  # fault tests: an executor lost mid-step
    for batch in batches:
        n = batch.num_rows
        scores = np.full(n, np.nan)
        reasons: list = [None] * n
        details: list = [None] * n
        live = live_rows(batch, config["live"])
        rows = np.flatnonzero(live)
        if rows.size:
            take = pa.array(rows)
            result = model.score_with_reasons(
                batch.column(config["image"]).take(take).to_pylist(),
                batch.column(config["text"]).take(take).to_pylist(),
                batch_size=config["batch_size"], base_dir=config["base_dir"])
            scores[rows] = result.scores
            for j, i in enumerate(rows.tolist()):
                reasons[i], details[i] = result.reasons[j], result.details[j]
        new = [pa.array(scores, pa.float64(), mask=np.isnan(scores)),
               pa.array(reasons, pa.string()), pa.array(details, pa.string())]
        yield pa.RecordBatch.from_arrays(
            batch.columns + new, names=batch.schema.names + [config["output"], _REASON, _DETAIL])


def _load(shipped: ShippedFile, config: dict):
    import torch
    from pyspark import TaskContext

    from .model import ClipScorer

    # As many threads as the task holds cores (spark.task.cpus), for torch and for
    # decoding: one task per core on the CPU; on a GPU, give the task several cores.
    context = TaskContext.get()
    torch.set_num_threads(max(1, context.cpus() if context is not None else 1))
    path = shipped.local_path().removeprefix(HUB)
    return ClipScorer.from_pretrained(path, device=config["device"],
                                      architecture=config["architecture"])
