"""Parameters of a containment run (frozen; unknown keys rejected).

Example::

    cfg = ContainmentConfig(sample_rows=128, verify="sample")
    cfg.multiset        # False: set semantics, duplicates ignored
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ContainmentConfig(BaseModel):
    """How hard to look: sample size, exact or sampled verdicts, set or multiset semantics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sample_rows: int = Field(64, ge=1, le=1_000_000, description="About this many rows of each "
                             "child (picked by a salted row hash) looked up in the parent by the "
                             "sample test.")
    verify: Literal["exact", "sample"] = Field(
        "exact", description="exact: an anti-join decides every surviving pair; sample: "
        "survivors of the sample test are reported as probable.")
    multiset: bool = Field(False, description="Count duplicate rows: a child row repeated k "
                           "times needs k copies in the parent.")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Salts the row hash, which picks "
                      "the sampled rows (the sample is deterministic for a seed).")
    csv_options: dict[str, str] = Field(default_factory=dict, description="Extra Spark CSV "
                                        "reader options (header and inferSchema are on).")
    stats_cache: str | None = Field(None, min_length=1, description="Folder caching the "
                                    "statistics computed for CSV tables; default: a hidden "
                                    "folder next to the output.")
    sample_above_bytes: int = Field(256 * 2**20, ge=0, description="Pairs whose child and "
                                    "parent hold at least this much data (bytes on disk, together) "
                                    "take the sample test before exact verification; smaller pairs "
                                    "go straight to verification, which reads no more. 0: all pairs.")
    page_headers: bool = Field(True, description="Also read the page headers of each Parquet "
                               "column chunk (Delta's data files too): dictionary sizes bound "
                               "columns' distinct values, which stage 2 prunes with. A few dozen "
                               "bytes a page; off: footers and Delta logs only.")
    batch_size: int = Field(2000, ge=1, le=100_000, description="Most tables one Spark job of "
                            "the content stage scans, each once for all of its pairs in the job. "
                            "Whole connected groups of pairs go in one job; a table in two jobs "
                            "(its group holds more tables than this) is read twice. A job holds a "
                            "pair's two tables at least.")
