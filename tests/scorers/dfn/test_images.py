"""Decoding and CLIP preprocessing (scorers/dfn/images.py) against transformers' processor."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from thresher.scorers.dfn.images import Preprocess, decode, read_bytes
from thresher.scorers.dfn.modeldir import preprocess_of

from .conftest import bad_images, good_images


def test_preprocessing_equals_transformers_image_processor(clip_dir, reference):
    prep = preprocess_of(clip_dir, 32)
    assert (prep.size, prep.crop) == (32, (32, 32))
    images = good_images()
    arrays = []
    for name, data in images.items():
        array, reason, detail = decode(data, prep)
        assert reason is None and detail is None, name
        assert array.shape == (32, 32, 3) and array.dtype == np.uint8
        arrays.append(array)
    ours = prep.normalize(np.stack(arrays))
    theirs = reference.pixels(list(images.values()))
    assert ours.shape == theirs.shape == (len(images), 3, 32, 32)
    assert np.abs(ours - theirs).max() < 1e-5
    # numpy and torch normalisation agree (the scorer uses torch, on the model's device)
    import torch

    via_torch = prep.normalize(torch.from_numpy(np.stack(arrays))).numpy()
    assert np.abs(via_torch - ours).max() < 1e-6


def test_center_crop_offset_is_torchvisions_round_half_even():
    """A leftover of 3 pixels: torchvision (CLIP's training transform) starts the crop at
    round(1.5) = 2, transformers' processor at 3 // 2 = 1. A leftover of 5: both at 2."""
    prep = Preprocess(size=32, crop=(32, 32))
    rng = np.random.default_rng(3)
    for width, left in ((35, 2), (37, 2), (39, 4)):
        pixels = (rng.random((32, width, 3)) * 255).astype(np.uint8)
        got = prep.crop_image(Image.fromarray(pixels))
        assert np.array_equal(got, pixels[:, left:left + 32]), width
    tall = (rng.random((35, 32, 3)) * 255).astype(np.uint8)
    assert np.array_equal(prep.crop_image(Image.fromarray(tall)), tall[2:34])


def test_transparent_pixels_keep_their_colour_as_in_open_clip():
    """open_clip's (and OpenAI CLIP's) ``convert("RGB")`` drops alpha; transformers'
    processor would composite onto white. thresher follows the models' training."""
    pixels = np.zeros((32, 32, 4), np.uint8)
    pixels[..., 0] = 200  # red, fully transparent
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buf, "PNG")
    array = decode(buf.getvalue(), Preprocess(size=32, crop=(32, 32)))[0]
    assert (array[..., 0] == 200).all() and (array[..., 1:] == 0).all()


def test_resize_is_bicubic_on_the_shortest_side():
    prep = Preprocess(size=16, crop=(16, 16))
    image = Image.fromarray((np.random.default_rng(4).random((40, 64, 3)) * 255).astype(np.uint8))
    want = np.asarray(image.resize((25, 16), Image.Resampling.BICUBIC))[:, 4:20]  # int(16*64/40)
    assert np.array_equal(prep.crop_image(image), want)


def test_unusable_images_get_a_reason_and_a_detail():
    prep = Preprocess(size=32, crop=(32, 32))
    for name, (value, reason) in bad_images().items():
        array, got, detail = decode(value, prep)
        assert array is None and got == reason, name
        assert detail, name
    assert "0 bytes" in decode(b"", prep)[2]
    assert "0x" not in decode(b"junk", prep)[2]  # no object addresses: details are stable


def test_paths_and_file_uris_are_read(tmp_path):
    prep = Preprocess(size=32, crop=(32, 32))
    data = good_images()["png_rgb_40x50"]
    (tmp_path / "a b.png").write_bytes(data)
    want = decode(data, prep)[0]
    for value, base in ((str(tmp_path / "a b.png"), None), ("a b.png", str(tmp_path)),
                        ((tmp_path / "a b.png").as_uri(), None)):
        array, reason, _ = decode(value, prep, base_dir=base)
        assert reason is None and np.array_equal(array, want), value
    assert read_bytes(bytearray(b"xy")) == b"xy"
    array, reason, detail = decode(str(tmp_path / "nope.png"), prep)
    assert (array, reason) == (None, "missing_image") and "No such file" in detail
    array, reason, detail = decode("s3a://bucket/cat.jpg", prep)
    assert reason == "missing_image" and "binaryFile" in detail


def test_decompression_bombs_are_undecodable(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 2x this raises in PIL
    buf = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buf, "PNG")
    array, reason, detail = decode(buf.getvalue(), Preprocess(size=32, crop=(32, 32)))
    assert reason == "undecodable_image" and "DecompressionBomb" in detail


def test_crop_larger_than_the_resized_side_is_refused():
    with pytest.raises(ValueError, match="larger than the resized shortest side"):
        Preprocess(size=32, crop=(40, 40))
