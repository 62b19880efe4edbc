"""ClipScorer (scorers/dfn/model.py) against a direct torch computation; model directories."""
from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from thresher.operators.errors import ModelFileError
from thresher.scorers.dfn import ClipScorer, check_model_dir

from .conftest import CAPTIONS, bad_images, good_images


@pytest.fixture(scope="module")
def scorer(clip_dir) -> ClipScorer:
    return ClipScorer.from_pretrained(clip_dir, device="cpu")


def pairs():
    images = list(good_images().values())
    texts = [CAPTIONS[i % len(CAPTIONS)] for i in range(len(images))]
    return images, texts


def test_scores_equal_normalised_embeddings_dot_product(scorer, reference):
    images, texts = pairs()
    got = scorer.score(images, texts, batch_size=4)
    want = reference.scores(images, texts)
    assert got.dtype == np.float64 and got.shape == (len(images),)
    assert np.abs(got - want).max() < 1e-5
    assert np.ptp(want) > 1e-2  # the pairs' scores differ: a mix-up would show
    # the same images against other captions: the text tower matters too
    shifted = texts[1:] + texts[:1]
    assert np.abs(scorer.score(images, shifted) - reference.scores(images, shifted)).max() < 1e-5
    assert np.abs(scorer.score(images, shifted) - got).max() > 1e-3


def test_batch_size_does_not_change_scores(scorer):
    images, texts = pairs()
    by_size = [scorer.score(images, texts, batch_size=b) for b in (1, 3, 64)]
    for other in by_size[1:]:
        assert np.abs(other - by_size[0]).max() < 1e-6


def test_bad_images_are_nan_with_reasons_and_do_not_disturb_the_rest(scorer, reference):
    images, texts = pairs()
    bad = bad_images()
    mixed, mixed_texts, expect = [], [], []
    for i, (image, text) in enumerate(zip(images, texts)):
        mixed += [image]
        mixed_texts += [text]
        expect.append(None)
        if i < len(bad):
            value, reason = list(bad.values())[i]
            mixed += [value]
            mixed_texts += ["a cat"]
            expect.append(reason)
    out = scorer.score_with_reasons(mixed, mixed_texts, batch_size=3)
    assert out.reasons == expect
    assert all((d is None) == (r is None) for d, r in zip(out.details, out.reasons))
    good = np.array([r is None for r in expect])
    assert np.isnan(out.scores[~good]).all() and not np.isnan(out.scores[good]).any()
    assert np.abs(out.scores[good] - reference.scores(images, texts)).max() < 1e-5


def test_null_text_scores_as_the_empty_string_and_long_texts_are_truncated(scorer):
    image = good_images()["png_rgb_40x50"]
    null, empty = scorer.score([image, image], [None, ""])
    assert null == empty
    long = "a photo of the dog " * 50  # far beyond the tiny model's 16 tokens
    cut = scorer.encoder.tokenizer.decode(
        scorer.encoder.tokenizer(long, truncation=True, max_length=16)["input_ids"][1:-1])
    assert abs(scorer.score([image], [long])[0] - scorer.score([image], [cut])[0]) < 1e-6


def test_inputs_are_checked(scorer):
    with pytest.raises(ValueError, match="2 images but 1 texts"):
        scorer.score([b"", b""], ["x"])
    with pytest.raises(ValueError, match="batch_size"):
        scorer.score([], [], batch_size=0)
    assert scorer.score([], []).shape == (0,)


def _copy(clip_dir, tmp_path, name="m"):
    target = tmp_path / name
    shutil.copytree(clip_dir, target)
    return target


def test_model_directories_are_checked_before_loading(clip_dir, tmp_path):
    info = check_model_dir(clip_dir)
    assert info.max_length == 16 and info.preprocess.size == 32

    def fails(path, message):
        with pytest.raises(ModelFileError, match=message) as err:
            check_model_dir(str(path))
        assert str(path) in str(err.value)

    fails(tmp_path / "absent", "model directory not found")
    (tmp_path / "file.bin").write_bytes(b"x")
    fails(tmp_path / "file.bin", "not a directory")
    (tmp_path / "empty").mkdir()
    fails(tmp_path / "empty", "no config.json")

    other = _copy(clip_dir, tmp_path, "bert")
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "model_type": "bert"}))
    fails(other, "model_type 'bert', expected 'clip'")

    broken = _copy(clip_dir, tmp_path, "broken_config")
    (broken / "config.json").write_text("{not json")
    fails(broken, "cannot read the model config config.json")

    truncated = _copy(clip_dir, tmp_path, "truncated")
    weights = truncated / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:6])
    fails(truncated, "model.safetensors is not a readable safetensors file")

    no_weights = _copy(clip_dir, tmp_path, "no_weights")
    os.remove(no_weights / "model.safetensors")
    fails(no_weights, "no weights: expected one of model.safetensors")

    no_tokenizer = _copy(clip_dir, tmp_path, "no_tokenizer")
    os.remove(no_tokenizer / "tokenizer.json")
    fails(no_tokenizer, "no tokenizer")

    odd = _copy(clip_dir, tmp_path, "odd_preprocessing")
    (odd / "preprocessor_config.json").write_text(json.dumps({"size": {"height": 32, "width": 32}}))
    fails(odd, "size .* is not supported")

    with pytest.raises(ModelFileError, match="model directory not found"):
        ClipScorer.from_pretrained(tmp_path / "absent", device="cpu")


def test_preprocessing_config_is_the_models(clip_dir, tmp_path):
    """mean/std/size come from preprocessor_config.json, else the config's image_size and
    OpenAI CLIP's statistics; a different mean changes the scores."""
    from thresher.scorers.dfn.images import CLIP_MEAN

    custom = _copy(clip_dir, tmp_path)
    prep = json.loads((custom / "preprocessor_config.json").read_text())
    prep.update(image_mean=[0.5, 0.5, 0.5], image_std=[0.25, 0.25, 0.25])
    (custom / "preprocessor_config.json").write_text(json.dumps(prep))
    scorer = ClipScorer.from_pretrained(custom, device="cpu")
    assert scorer.preprocess.mean == (0.5, 0.5, 0.5) and scorer.preprocess.std == (0.25,) * 3
    images, texts = pairs()
    default = ClipScorer.from_pretrained(clip_dir, device="cpu").score(images, texts)
    assert np.abs(scorer.score(images, texts) - default).max() > 1e-3
    os.remove(custom / "preprocessor_config.json")
    bare = ClipScorer.from_pretrained(custom, device="cpu")
    assert bare.preprocess.mean == CLIP_MEAN and bare.preprocess.crop == (32, 32)
    assert np.abs(bare.score(images, texts) - default).max() < 1e-6
