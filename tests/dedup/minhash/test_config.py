"""MinHashConfig validation and optimal_bands_rows == datasketch's _optimal_param."""
from __future__ import annotations

import pytest
from datasketch.lsh import _optimal_param
from pydantic import ValidationError

from thresher.dedup.minhash import MinHashConfig, optimal_bands_rows


@pytest.mark.parametrize("num_perm", [16, 64, 128, 256])
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.8, 0.9, 0.95])
def test_optimal_bands_rows_equals_datasketch(threshold, num_perm):
    assert optimal_bands_rows(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


@pytest.mark.parametrize("fp,fn", [(0.2, 0.8), (0.9, 0.1), (1.0, 0.0)])
def test_optimal_bands_rows_weights(fp, fn):
    for threshold in (0.6, 0.85):
        got = optimal_bands_rows(threshold, 128, fp, fn)
        assert got == _optimal_param(threshold, 128, fp, fn)
        b, r = got
        assert b * r <= 128


def test_weights_move_the_optimum():
    # more weight on false negatives -> more bands of fewer rows (a lower S-curve)
    b_fp, r_fp = optimal_bands_rows(0.8, 128, 0.9, 0.1)
    b_fn, r_fn = optimal_bands_rows(0.8, 128, 0.1, 0.9)
    assert r_fn < r_fp and b_fn > b_fp


def test_config_defaults_and_bands_rows():
    cfg = MinHashConfig()
    assert (cfg.num_perm, cfg.ngram, cfg.tokenizer, cfg.seed, cfg.threshold) == (128, 5, "word", 1, 0.8)
    assert (cfg.bands, cfg.rows, cfg.scheme) == (None, None, "affine32")
    assert cfg.bands_rows() == _optimal_param(0.8, 128, 0.5, 0.5) == (9, 13)
    assert MinHashConfig(bands=16, rows=8).bands_rows() == (16, 8)
    assert MinHashConfig(threshold=0.5, num_perm=64).bands_rows() == _optimal_param(0.5, 64, 0.5, 0.5)


def test_config_is_frozen():
    cfg = MinHashConfig()
    with pytest.raises(ValidationError):
        cfg.num_perm = 64


@pytest.mark.parametrize("kwargs,message", [
    ({"bands": 10}, "give both 'bands' and 'rows' or neither"),
    ({"rows": 4}, "give both 'bands' and 'rows' or neither"),
    ({"bands": 20, "rows": 7}, r"bands \* rows must be <= num_perm, got 20 \* 7 = 140 > num_perm 128"),
    ({"tokenizer": "token"}, "'word' or 'char'"),
    ({"num_perm": 1}, "greater than or equal to 2"),
    ({"ngram": 0}, "greater than or equal to 1"),
    ({"seed": -1}, "greater than or equal to 0"),
    ({"seed": 2**32}, "less than or equal to 4294967295"),
    ({"threshold": 0.0}, "greater than 0"),
    ({"threshold": 1.5}, "less than or equal to 1"),
    ({"scheme": "affine64"}, "'affine32' or 'legacy'"),
    ({"shingle": 5}, "Extra inputs are not permitted"),
])
def test_config_errors_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        MinHashConfig(**kwargs)


def test_optimal_bands_rows_rejects_bad_threshold():
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\], got 1.2"):
        optimal_bands_rows(1.2, 128)
