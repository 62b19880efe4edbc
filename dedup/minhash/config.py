"""MinHash dedup parameters and the LSH band/row choice.

Two choices of ``(bands, rows)``: datasketch's balanced optimum (``_optimal_param``,
for unverified candidates) and a recall-tuned one for exactly verified candidates
(``recall_bands_rows``).

Example::

    cfg = MinHashConfig(num_perm=128, ngram=5, tokenizer="word", threshold=0.8)
    cfg.bands_rows()          # (9, 13): datasketch's choice for 0.8 / 128
    cfg.model_copy(update={"target_recall": 0.99}).bands_rows()   # (16, 6)
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# np.random.RandomState, which draws the permutations, takes seeds in [0, 2**32).
_MAX_SEED = 2**32 - 1
# optimal_bands_rows integrates ~num_perm * ln(num_perm) (b, r) pairs; beyond this
# it takes minutes, and signatures this wide buy no accuracy for dedup.
MAX_NUM_PERM = 4096


class MinHashConfig(BaseModel):
    """Parameters of MinHash signatures and LSH banding (frozen, unknown keys rejected).

    ``scheme`` picks datasketch's permutation family: ``affine32`` (datasketch >= 2.0's
    default) or ``legacy`` (datasketch < 2.0, bit for bit). ``bands``/``rows``: give
    both or neither; neither means :func:`recall_bands_rows` for ``threshold`` when
    ``target_recall`` is set (exactly verified candidates), else
    :func:`optimal_bands_rows`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    num_perm: int = Field(128, ge=2, le=MAX_NUM_PERM, description="Permutations (signature width).")
    ngram: int = Field(5, ge=1, description="Tokens per shingle.")
    tokenizer: Literal["word", "char"] = Field(
        "word", description="word: shingles of words split on ' '; char: of Unicode code points.")
    seed: int = Field(1, ge=0, le=_MAX_SEED, description="Seed of the permutations (as datasketch).")
    threshold: float = Field(0.8, gt=0.0, le=1.0, description="Jaccard similarity of duplicates.")
    bands: int | None = Field(None, ge=1, description="LSH bands; with rows, or neither.")
    rows: int | None = Field(None, ge=1, description="Signature rows per band; with bands, or neither.")
    target_recall: float | None = Field(
        None, gt=0.0, lt=1.0, description="Choose bands/rows for this candidate probability at "
        "J = threshold (recall_bands_rows); None: datasketch's balanced optimum.")
    scheme: Literal["affine32", "legacy"] = Field(
        "affine32", description="datasketch permutation scheme: affine32 (>= 2.0) or legacy (< 2.0).")

    @model_validator(mode="after")
    def _check_bands_rows(self) -> MinHashConfig:
        if (self.bands is None) != (self.rows is None):
            raise ValueError(f"give both 'bands' and 'rows' or neither, got bands={self.bands}, "
                             f"rows={self.rows}")
        if self.bands is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands * rows must be <= num_perm, got {self.bands} * {self.rows} = "
                             f"{self.bands * self.rows} > num_perm {self.num_perm}")
        if self.bands is not None and self.target_recall is not None:
            raise ValueError("give 'bands'/'rows' or 'target_recall', not both")
        return self

    def bands_rows(self) -> tuple[int, int]:
        """``(bands, rows)``: the given ones, else the optimum for ``threshold``."""
        if self.bands is not None:
            return self.bands, self.rows
        if self.target_recall is not None:
            return recall_bands_rows(self.threshold, self.num_perm, self.target_recall)
        return optimal_bands_rows(self.threshold, self.num_perm)


def _false_positive_area(threshold: float, b: int, r: int) -> float:
    from scipy.integrate import quad

    return quad(lambda s: 1 - (1 - s ** float(r)) ** float(b), 0.0, threshold)[0]


def _false_negative_area(threshold: float, b: int, r: int) -> float:
    from scipy.integrate import quad

    return quad(lambda s: 1 - (1 - (1 - s ** float(r)) ** float(b)), threshold, 1.0)[0]


@lru_cache(maxsize=256)
def optimal_bands_rows(threshold: float, num_perm: int, false_positive_weight: float = 0.5,
                       false_negative_weight: float = 0.5) -> tuple[int, int]:
    """``(b, r)`` with ``b * r <= num_perm`` minimising the weighted false positive and
    false negative areas of the S-curve ``1 - (1 - s^r)^b``.

    Same integrals (scipy's ``quad``), same search order and same strict ``<`` tie rule
    as ``datasketch.lsh._optimal_param``, so the answers are identical.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    if num_perm < 1:
        raise ValueError(f"num_perm must be >= 1, got {num_perm}")
    min_error = float("inf")
    opt = (0, 0)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = _false_positive_area(threshold, b, r)
            fn = _false_negative_area(threshold, b, r)
            error = fp * false_positive_weight + fn * false_negative_weight
            if error < min_error:
                min_error, opt = error, (b, r)
    return opt


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """The S-curve: the probability that two documents at Jaccard ``similarity`` share
    at least one of ``bands`` bands of ``rows`` rows, ``1 - (1 - s^r)^b``."""
    return 1.0 - (1.0 - similarity ** rows) ** bands


@lru_cache(maxsize=256)
def recall_bands_rows(threshold: float, num_perm: int, target_recall: float = 0.99) -> tuple[int, int]:
    """``(b, r)`` with ``b * r <= num_perm`` whose S-curve reaches ``target_recall`` at
    ``s = threshold`` at the least expected number of candidates below the threshold.

    For exactly verified candidates: a false candidate costs only verify time, a
    missed pair is lost for good. The cost is the false-positive area
    ``integral_0^threshold 1 - (1 - s^r)^b ds`` (the expected candidate probability of
    a pair whose Jaccard is uniform below the threshold, datasketch's false-positive
    integral); real corpora have far more pairs near 0, where higher ``r`` is cheaper
    still, and the order of the choices is the same. For each ``r`` the least ``b``
    reaching the target is the cheapest (the area grows with ``b``); over ``r``, the
    least area wins, ties to fewer permutations. For 128 permutations at 0.99::

        threshold   balanced (b x r)  P(candidate | J = t)   recall-tuned  P(J = t)
        0.5         25 x 5            0.55                   35 x 3        0.991
        0.7         14 x 9            0.44                   17 x 4        0.991
        0.8          9 x 13           0.40                   16 x 6        0.992
        0.9          5 x 25           0.31                   11 x 10       0.991

    Raises ``ValueError`` when no ``b * r <= num_perm`` reaches the target (too few
    permutations for that recall at that threshold).
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if not 0.0 < target_recall < 1.0:
        raise ValueError(f"target_recall must be in (0, 1), got {target_recall}")
    if num_perm < 1:
        raise ValueError(f"num_perm must be >= 1, got {num_perm}")
    best: tuple[float, int, int, int] | None = None
    for r in range(1, num_perm + 1):
        p = threshold ** r
        if p >= 1.0:
            b = 1
        elif p <= 0.0:
            break
        else:
            b = max(1, math.ceil(math.log1p(-target_recall) / math.log1p(-p)))
        while b * r <= num_perm and candidate_probability(threshold, b, r) < target_recall:
            b += 1  # rounding in the closed form
        if b * r > num_perm:
            continue
        option = (_false_positive_area(threshold, b, r), b * r, b, r)
        if best is None or option[:2] < best[:2]:
            best = option
    if best is None:
        raise ValueError(f"no bands x rows <= num_perm {num_perm} reaches recall {target_recall} "
                         f"at Jaccard {threshold}: raise num_perm or lower target_recall")
    return best[2], best[3]
