"""The bundled English corpus, normalised as Spark does upstream of the kernel."""
from __future__ import annotations

import glob
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from .helpers import normalise

CORPUS = Path(__file__).resolve().parents[3] / "data" / "quickstart"


@pytest.fixture(scope="session")
def corpus() -> list[str]:
    """The quickstart texts, normalised, without nulls and empties (1,800 or so)."""
    files = sorted(glob.glob(str(CORPUS / "*.parquet")))
    texts = pq.read_table(files, columns=["text"])["text"].to_pylist()
    texts = [normalise(t) for t in texts]
    return [t for t in texts if t]
