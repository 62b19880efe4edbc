"""A tiny random-weight CLIP saved as a model directory, images made with PIL, and the
reference: transformers' own image processor and the model's towers, called directly."""
from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
from PIL import Image  # noqa: E402

WORDS = "a photo of the an red blue green cat dog car on grass in snow".split()
CAPTIONS = ["a photo of a red car", "the dog in snow", "blue cat on green grass",
            "an", "", "a photo of the dog on the grass in the snow with a red car and a blue cat",
            "Ünïcødé 日本 🎉", "A PHOTO OF A CAT"]


def _encode(image: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def good_images() -> dict[str, bytes]:
    """Encoded images of several formats, modes and shapes. None has a crop leftover
    of 3 mod 4 pixels, where transformers' crop offset differs from torchvision's, and
    the RGBA one is opaque: transformers composites transparent pixels onto white,
    open_clip (and thresher) drop the alpha channel. test_images.py checks both cases
    on their own."""
    rng = np.random.default_rng(0)

    def noise(h, w, c=3):
        shape = (h, w, c) if c > 1 else (h, w)
        return (rng.random(shape) * 255).astype(np.uint8)

    yy, xx = np.mgrid[0:120, 0:90]
    smooth = np.stack([xx * 2, yy * 2, (xx + yy) % 256], -1).astype(np.uint8)
    opaque = noise(64, 64, 4)
    opaque[..., 3] = 255
    return {
        "png_rgb_40x50": _encode(Image.fromarray(noise(40, 50)), "PNG"),
        "jpeg_rgb_120x90": _encode(Image.fromarray(smooth), "JPEG", quality=90),
        "png_rgba_64x64": _encode(Image.fromarray(opaque, "RGBA"), "PNG"),
        "png_gray_33x80": _encode(Image.fromarray(noise(33, 80, 1), "L"), "PNG"),
        "gif_palette_48x36": _encode(Image.fromarray(noise(48, 36)).convert("P"), "GIF"),
        "jpeg_cmyk_50x70": _encode(Image.fromarray(noise(50, 70, 4), "CMYK"), "JPEG"),
        "png_1x1": _encode(Image.fromarray(noise(1, 1)), "PNG"),
        "png_panorama_20x300": _encode(Image.fromarray(noise(20, 300)), "PNG"),
        "webp_32x32": _encode(Image.fromarray(noise(32, 32)), "WEBP", lossless=True),
        "bmp_200x160": _encode(Image.fromarray(noise(200, 160)), "BMP"),
    }


def bad_images() -> dict[str, tuple[bytes | None, str]]:
    """name -> (value, the reason it must get)."""
    jpeg = good_images()["jpeg_rgb_120x90"]
    return {
        "null": (None, "missing_image"),
        "empty": (b"", "undecodable_image"),
        "junk": (b"definitely not an image" * 10, "undecodable_image"),
        "truncated_jpeg": (jpeg[: len(jpeg) // 2], "undecodable_image"),
        "png_header_only": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, "undecodable_image"),
    }


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory) -> str:
    from thresher.scorers.dfn.synthetic import random_clip

    return random_clip(tmp_path_factory.mktemp("clip") / "tiny", size="tiny", words=WORDS,
                       seed=1)


class Reference:
    """Scores as a user of transformers computes them: the model's image processor
    (PIL backend), tokenizer padded to the full context, ``get_image_features`` /
    ``get_text_features``, L2 normalisation, dot product."""

    def __init__(self, path: str):
        import torch
        from transformers import AutoTokenizer, CLIPModel
        from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

        self.torch = torch
        self.model = CLIPModel.from_pretrained(path).float().eval()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.processor = CLIPImageProcessorPil.from_pretrained(path)

    def pixels(self, images: list[bytes]) -> np.ndarray:
        pil = [Image.open(io.BytesIO(b)) for b in images]
        return self.processor(images=pil, return_tensors="np")["pixel_values"]

    def scores(self, images: list[bytes], texts: list[str]) -> np.ndarray:
        torch = self.torch
        tokens = self.tokenizer(texts, padding="max_length", truncation=True,
                                max_length=self.model.config.text_config.max_position_embeddings,
                                return_tensors="pt")
        with torch.no_grad():
            img = self.model.get_image_features(pixel_values=torch.from_numpy(self.pixels(images)))
            txt = self.model.get_text_features(**tokens)
        img = getattr(img, "pooler_output", img)
        txt = getattr(txt, "pooler_output", txt)
        img = img / img.norm(dim=-1, keepdim=True)
        txt = txt / txt.norm(dim=-1, keepdim=True)
        return (img * txt).sum(-1).double().numpy()


@pytest.fixture(scope="session")
def reference(clip_dir) -> Reference:
    return Reference(clip_dir)
