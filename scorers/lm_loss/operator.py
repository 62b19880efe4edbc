"""``lm_loss``: each document's loss under one causal language model, as columns.

The model folder (``save_pretrained``'s: config, weights, tokenizer) is checked when
the recipe is validated, before Spark starts; at run time it is shipped to the
executors once (``thresher.operators.models.ship_dir``), loaded once per Python worker
(bfloat16 on the worker's GPU when torch sees one, float32 on the CPU) and applied
to whole Arrow batches through ``mapInArrow``: ``scorers/lm_loss/scorer.py`` has the
windowing, batching and numbers.

``model: hf:org/name`` loads a hub model instead: every worker fetches it itself
(network and a Hugging Face cache on the executors), and nothing is checked before
the step runs.

One model per step; a recipe chains several, each with its own ``prefix``, which
names the columns: ``<prefix>_loss`` (summed token cross-entropy, nats),
``<prefix>_tokens`` (tokens scored), ``<prefix>_chars`` and ``<prefix>_bpc`` (bits per
character). The columns are null for rows an earlier step dropped (they are not
scored) and for rows outside ``sample``. Rows whose text has 0 characters are dropped
as ``empty``; rows whose text gives the tokenizer no token to score, as ``no_tokens``.

``sample`` scores a fraction of the documents only, chosen by a hash of the id: the
same rows in every ``lm_loss`` step and every run, so several models' losses line up
(PreSelect scores a sample with the LMs, then the whole pool with a fastText
classifier trained on it).

Example::

    - lm_loss: {model: models/llama-400m, prefix: m1, block_size: 1024, stride: 512}
    - lm_loss: {model: models/llama-1b, prefix: m2, sample: 0.01}
"""
from __future__ import annotations

import importlib.util
import os
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, LongType, StructField, StructType

from thresher.operators.base import DROP_REASON, DropRule, Operator, OpParams, live, mark_drops
from thresher.operators.errors import ModelFileError
from thresher.operators.io.fs import failpoint
from thresher.operators.models import ShippedFile, load_once, ship_dir
from thresher.operators.registry import register

from .modeldir import check_model_dir

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
HUB = "hf:"  # hf:org/name: a Hugging Face hub id, fetched by every worker itself
_TODO = "_thresher_lm_todo"
_SAMPLE_SALT = "thresher.lm_loss.sample"
_SAMPLE_BUCKETS = 1 << 30


def _local(path: str) -> str:
    if path.startswith(HUB):
        if not path[len(HUB):].strip():
            raise ValueError("hf: needs a hub id, e.g. hf:openai-community/gpt2")
        return path
    if _SCHEME.match(path) and not path.startswith("file:"):
        return path  # hdfs:, s3a:, dbfs:...: checked when the step runs
    return os.path.abspath(os.path.expanduser(path.removeprefix("file:")))


@register("lm_loss")
class LMLoss(Operator):
    """Add one causal LM's per-document loss, tokens, characters and bits per character.

    Columns ``<prefix>_loss`` (double, nats), ``<prefix>_tokens`` and ``<prefix>_chars``
    (long) and ``<prefix>_bpc`` (double) = loss / (chars x ln 2). Windows of
    ``block_size`` tokens advance by ``stride``; each token is scored once.

    Example::

        - lm_loss: {model: data/models/tiny_lm_a, prefix: lm_a, block_size: 128, stride: 64}
    """

    class Params(OpParams):
        model: str = Field(description="Hugging Face causal LM folder (save_pretrained's): a "
                                       "local path, any Hadoop filesystem URI, or hf:<hub id>")
        prefix: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                            description="column prefix, e.g. the model's name: m1 -> m1_bpc")
        tokenizer: str | None = Field(None, description="tokenizer folder or hf:<hub id> "
                                                        "(default: the model's)")
        block_size: int = Field(1024, ge=2, description="tokens per window (at most the "
                                                        "model's positions)")
        stride: int = Field(512, ge=1, description="tokens between window starts; each "
                                                   "token keeps >= block_size - stride context")
        batch_size: int = Field(8, ge=1, description="windows per forward pass")
        device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$",
                            description="auto (a GPU when torch sees one), cpu, cuda or cuda:N")
        dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
            "auto", description="auto: bfloat16 on a GPU, float32 on the CPU")
        sample: float = Field(1.0, gt=0, le=1, description="fraction of documents scored "
                                                           "(by a hash of the id)")

        @field_validator("model", "tokenizer")
        @classmethod
        def _path(cls, v: str | None) -> str | None:
            if v is None:
                return v
            for package, extra in (("torch", "lm"), ("transformers", "lm")):
                if importlib.util.find_spec(package) is None:
                    raise ValueError(f"lm_loss needs {package}: pip install 'thresher[{extra}]'")
            return _local(v)

        @model_validator(mode="after")
        def _fits_the_model(self):
            if self.stride > self.block_size:
                raise ValueError(f"stride ({self.stride}) must be at most block_size "
                                 f"({self.block_size})")
            if _SCHEME.match(self.model):
                return self  # remote or hub: checked when the step runs
            try:
                info = check_model_dir(self.model, self.tokenizer)
            except ModelFileError as exc:
                raise ValueError(str(exc)) from None
            if info.max_positions is not None and self.block_size > info.max_positions:
                raise ValueError(f"block_size {self.block_size} exceeds the "
                                 f"{info.max_positions} positions of model {self.model}")
            return self

    def adds(self) -> list[str]:
        return [f"{self.params.prefix}_{c}" for c in ("loss", "tokens", "chars", "bpc")]

    def requires(self) -> dict[str, str]:
        needs = {self.ctx.text_column: "string"}
        if self.params.sample < 1:
            needs[self.ctx.id_column] = "any"
        return needs

    def transform(self, df: DataFrame) -> DataFrame:
        p = self.params
        spark = df.sparkSession
        shipped = _ship(spark, p.model)
        tokenizer = _ship(spark, p.tokenizer) if p.tokenizer else None
        outputs = self.adds()
        df = df.drop(*[c for c in outputs if c in df.columns])  # re-scoring overwrites
        empty = F.coalesce(F.length(self.text), F.lit(0)) == 0
        todo = ~empty
        if DROP_REASON in df.columns:
            todo = todo & live()
        if p.sample < 1:
            bucket = F.pmod(F.xxhash64(F.col(self.ctx.id_column).cast("string"),
                                       F.lit(_SAMPLE_SALT)), F.lit(_SAMPLE_BUCKETS))
            todo = todo & (bucket < F.lit(int(p.sample * _SAMPLE_BUCKETS)))
        marked = df.withColumn(_TODO, todo)
        types = (DoubleType(), LongType(), LongType(), DoubleType())
        schema = StructType(marked.schema.fields + [StructField(c, t, True)
                                                    for c, t in zip(outputs, types)])
        config = dict(text=self.ctx.text_column, outputs=outputs, block_size=p.block_size,
                      stride=p.stride, batch_size=p.batch_size, device=p.device, dtype=p.dtype)

        def score(batches):
            yield from score_batches(batches, shipped, tokenizer, config)

        scored = marked.mapInArrow(score, schema)
        if DROP_REASON not in df.columns:  # outside a recipe: nothing to mark
            return scored.drop(_TODO)
        tokens, chars = F.col(outputs[1]), F.length(self.text)
        rules = [DropRule("empty", empty, F.lit("text has 0 characters")),
                 DropRule("no_tokens", F.col(_TODO) & (tokens == 0),
                          F.format_string("%d characters give no token to score", chars))]
        return mark_drops(scored, rules, self.ctx).drop(_TODO)


def _ship(spark, path: str) -> ShippedFile:
    if path.startswith(HUB):  # not shipped: local_path() is the hub id
        return ShippedFile(path[len(HUB):], None, (path,))
    return ship_dir(spark, path)


def score_batches(batches, shipped: ShippedFile, tokenizer: ShippedFile | None, config: dict):
    """mapInArrow body: append loss, tokens, chars and bpc to every Arrow batch."""
    import numpy as np
    import pyarrow as pa

    from thresher.scorers.device import resolve_device

    config = {**config, "device": str(resolve_device(config["device"]))}  # auto: this task's GPU
    key = ("lm_loss", *shipped.version, tokenizer.version if tokenizer else None,
           *(config[k] for k in ("device", "dtype", "block_size", "stride", "batch_size")))
    scorer = load_once(key, lambda: _load(shipped, tokenizer, config))
    failpoint("lm_loss")  # fault tests: an executor lost mid-step
    for batch in batches:
        todo = batch.column(_TODO).fill_null(False).to_numpy(zero_copy_only=False)
        n = len(todo)
        loss, bpc = np.full(n, np.nan), np.full(n, np.nan)
        tokens, chars = np.zeros(n, np.int64), np.zeros(n, np.int64)
        if todo.any():
            texts = batch.column(config["text"]).filter(pa.array(todo)).to_pylist()
            result = scorer.score(texts)
            loss[todo], tokens[todo], chars[todo], bpc[todo] = result
        missing = ~todo
        new = [pa.array(loss, pa.float64(), mask=np.isnan(loss)),
               pa.array(tokens, pa.int64(), mask=missing),
               pa.array(chars, pa.int64(), mask=missing),
               pa.array(bpc, pa.float64(), mask=np.isnan(bpc))]
        yield pa.RecordBatch.from_arrays(batch.columns + new,
                                         names=batch.schema.names + config["outputs"])


def _load(shipped: ShippedFile, tokenizer: ShippedFile | None, config: dict):
    import torch
    from pyspark import TaskContext

    from .scorer import LMLossScorer

    # As many threads as the task holds cores (spark.task.cpus): on the CPU one task
    # runs per core, so torch's own pool would oversubscribe them.
    context = TaskContext.get()
    torch.set_num_threads(max(1, context.cpus() if context is not None else 1))
    return LMLossScorer.from_pretrained(
        shipped.local_path(), tokenizer=tokenizer.local_path() if tokenizer else None,
        device=config["device"], dtype=config["dtype"], block_size=config["block_size"],
        stride=config["stride"], batch_size=config["batch_size"])
