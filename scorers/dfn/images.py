"""Image decoding and CLIP preprocessing with PIL and numpy (no torchvision).

``Preprocess`` is OpenAI CLIP's and open_clip's transform (the one DataComp and DFN
score with): convert to RGB, resize the shortest side to ``size`` (bicubic, the long
side ``int(size * long / short)``), center-crop to ``crop`` with torchvision's offset
``round((h - crop_h) / 2)``, scale to [0, 1] and normalise with the model's mean and
std. Two deliberate details:

* RGB conversion comes first, as transformers' ``CLIPImageProcessor`` does it: PIL
  resizes palette (``P``) and 1-bit images with nearest-neighbour only, so
  open_clip's resize-then-convert order would give those images blockier pixels.
* transformers' processor puts the crop at ``(h - crop_h) // 2``; for a leftover
  ``h - crop_h`` of 3, 7, 11, ... pixels that is one pixel above torchvision's. The
  models were trained with torchvision's, so thresher uses it.
* Transparent pixels keep their colour (``convert("RGB")`` drops alpha), as in
  open_clip and OpenAI CLIP; transformers' processor composites them onto white.

``decode`` turns one image value (bytes, a local path or ``file:`` URI, a PIL image,
or None) into the cropped ``uint8`` array, or a reason it cannot:

* ``missing_image``: a null value, or a path that cannot be read (not found, no
  permission, a scheme other than ``file:``: load such images as a binary column,
  e.g. with ``spark.read.format("binaryFile")``);
* ``undecodable_image``: bytes PIL cannot decode (corrupt, truncated, not an image,
  more pixels than PIL's decompression-bomb limit).

Example::

    prep = Preprocess(size=224, crop=(224, 224), mean=CLIP_MEAN, std=CLIP_STD)
    array, reason, detail = decode(open("cat.jpg", "rb").read(), prep)  # (224, 224, 3) uint8
    pixels = prep.normalize(np.stack([array]))                          # (1, 3, 224, 224) float32
"""
from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import numpy as np

# PIL is imported where images are decoded: the operators' module (imported by every
# CLI run) must import without the `clip` extra.
BICUBIC = 3  # PIL.Image.Resampling.BICUBIC
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
MISSING = "missing_image"
UNDECODABLE = "undecodable_image"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
_STREAM = re.compile(r"<_io\.BytesIO object at 0x[0-9a-fA-F]+>")


@dataclass(frozen=True)
class Preprocess:
    """CLIP's image transform: shortest side to ``size``, center crop ``(h, w)``, normalise."""

    size: int
    crop: tuple[int, int]
    mean: tuple[float, float, float] = CLIP_MEAN
    std: tuple[float, float, float] = CLIP_STD
    resample: int = BICUBIC
    rescale: float = 1 / 255

    def __post_init__(self):
        if self.crop[0] > self.size or self.crop[1] > self.size:
            raise ValueError(f"crop {self.crop} is larger than the resized shortest side "
                             f"{self.size}: torchvision would pad, thresher does not")

    def crop_image(self, image) -> np.ndarray:
        """``(crop_h, crop_w, 3)`` uint8: RGB, resized and center-cropped."""
        image = image.convert("RGB")
        w, h = image.size
        if w <= h:
            new = (self.size, int(self.size * h / w))
        else:
            new = (int(self.size * w / h), self.size)
        if new != (w, h):
            image = image.resize(new, resample=self.resample)
        w, h = new
        ch, cw = self.crop
        top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
        return np.asarray(image.crop((left, top, left + cw, top + ch)), dtype=np.uint8)

    def normalize(self, arrays: np.ndarray):
        """``(n, h, w, 3)`` uint8 (numpy, or a torch tensor on any device) -> ``(n, 3, h,
        w)`` float32, scaled and normalised (torch in, torch out)."""
        if isinstance(arrays, np.ndarray):
            x = arrays.astype(np.float32) * np.float32(self.rescale)
            x = (x - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
            return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        import torch

        mean = torch.tensor(self.mean, dtype=torch.float32, device=arrays.device)
        std = torch.tensor(self.std, dtype=torch.float32, device=arrays.device)
        x = arrays.to(torch.float32) * self.rescale
        return ((x - mean) / std).permute(0, 3, 1, 2).contiguous()


def read_bytes(value, base_dir: str | None = None) -> bytes:
    """The bytes of an image value: bytes as they are, a path or ``file:`` URI read from
    the local filesystem (relative paths against ``base_dir``). ``OSError`` if not."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    path = os.fspath(value)
    if path.startswith("file:"):
        path = unquote(urlparse(path).path)
    elif _SCHEME.match(path):
        raise OSError(f"cannot read {path[:200]!r} on the executors: only local paths and "
                      "file: URIs are read; load such images as a binary column "
                      "(spark.read.format('binaryFile'))")
    if base_dir is not None:
        path = os.path.join(base_dir, path)
    with open(path, "rb") as f:
        return f.read()


def decode(value, prep: Preprocess, base_dir: str | None = None
           ) -> tuple[np.ndarray | None, str | None, str | None]:
    """``(array, None, None)`` for a usable image, else ``(None, reason, detail)``."""
    from PIL import Image

    if value is None:
        return None, MISSING, "image is null"
    if isinstance(value, Image.Image):
        image = value
    else:
        try:
            data = read_bytes(value, base_dir)
        except (OSError, TypeError) as exc:
            return None, MISSING, f"cannot read image: {_short(exc)}"
        if not data:
            return None, UNDECODABLE, "image has 0 bytes"
        try:
            image = Image.open(io.BytesIO(data))
            image.load()  # decoding is lazy: errors in the pixel data show here
        except Exception as exc:  # noqa: BLE001 - PIL raises many kinds; a bad image is data
            return None, UNDECODABLE, f"cannot decode {len(data)} bytes: {_short(exc)}"
    try:
        return prep.crop_image(image), None, None
    except Exception as exc:  # noqa: BLE001 - e.g. a 0-pixel image, an unconvertible mode
        return None, UNDECODABLE, f"cannot convert {image.mode} image {image.size}: {_short(exc)}"


def _short(exc: BaseException) -> str:
    # PIL names the stream object, whose address changes from run to run.
    text = _STREAM.sub("the image bytes", f"{type(exc).__name__}: {exc}")
    return text if len(text) <= 300 else text[:297] + "..."
