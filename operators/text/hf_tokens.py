"""Token counts by a Hugging Face tokenizer file (``tokenizer.json``), for ``token_count``'s
``mode: hf``: the file is shipped to the executors once, loaded once per Python worker
with the ``tokenizers`` package, and whole Arrow batches go through its Rust
``encode_batch_fast`` (no offsets computed), ``batch_size`` texts at a time.

A count is the number of ids the tokenizer gives (with the template's special tokens
when ``add_special_tokens``); ``len(tokenizer.encode(text).ids)`` in Python. A null
text, and a row an earlier step dropped (it is not tokenised at all), count null.
"""
from __future__ import annotations

import importlib.util
import os

from ..errors import RecipeError


def check_tokenizer(path: str, *, param: str = "tokenizer") -> str:
    """The tokenizer file's absolute path, after loading it once (before Spark starts)."""
    if importlib.util.find_spec("tokenizers") is None:
        raise RecipeError("mode: hf needs the tokenizers package: pip install tokenizers",
                          param=param)
    full = os.path.abspath(os.path.expanduser(path))
    if not os.path.isfile(full):
        raise RecipeError(f"tokenizer file not found: {full}", param=param)
    from tokenizers import Tokenizer

    try:
        Tokenizer.from_file(full)
    except Exception as exc:  # noqa: BLE001 - the library raises bare Exceptions
        raise RecipeError(f"{full} is not a Hugging Face tokenizer.json: {exc}",
                          param=param) from None
    return full


def count_batches(batches, shipped, config: dict):
    """mapInArrow body: append each live row's token count to every Arrow batch."""
    import numpy as np
    import pyarrow as pa
    from pyspark import TaskContext

    from ..arrow import live_rows
    from ..models import load_once

    def load():
        # The Rust pool sizes itself on first use: as many threads as the task's cores,
        # not the machine's (every core already runs a task).
        context = TaskContext.get()
        os.environ.setdefault("RAYON_NUM_THREADS", str(max(1, context.cpus() if context else 1)))
        from tokenizers import Tokenizer

        return Tokenizer.from_file(shipped.local_path())

    tokenizer = load_once(("hf_tokenizer", *shipped.version), load)
    size, special = config["batch_size"], config["add_special_tokens"]
    for batch in batches:
        texts = batch.column(config["text"])
        wanted = live_rows(batch, config["live"]) & texts.is_valid().to_numpy(zero_copy_only=False)
        counts = np.zeros(len(texts), np.int64)
        index = np.flatnonzero(wanted)
        values = texts.filter(pa.array(wanted)).to_pylist()
        for start in range(0, len(values), size):
            encoded = tokenizer.encode_batch_fast(values[start:start + size],
                                                  add_special_tokens=special)
            counts[index[start:start + size]] = [len(e.ids) for e in encoded]
        column = pa.array(counts, pa.int64(), mask=~wanted)
        yield pa.RecordBatch.from_arrays(batch.columns + [column],
                                         names=batch.schema.names + [config["column"]])
