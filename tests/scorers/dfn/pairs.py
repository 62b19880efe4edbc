"""Image-caption pairs for the runs that score with the bundled tiny CLIP on a cluster
or a Connect server: 40 PNGs of random pixels (each its own size) and captions."""
from __future__ import annotations

import io
from pathlib import Path


def clip_pairs(path: Path) -> tuple[list[bytes], list[str]]:
    """Write ``(id, image, caption)`` to the Parquet file ``path``; the images and captions."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from PIL import Image

    rng = np.random.default_rng(1)
    images = []
    for i in range(40):
        buf = io.BytesIO()
        Image.fromarray((rng.random((24 + i, 40, 3)) * 255).astype(np.uint8)).save(buf, "PNG")
        images.append(buf.getvalue())
    captions = [f"a photo of a {c} {o}" for c, o in zip(["red", "blue", "green", "red"] * 10,
                                                       ["cat", "dog", "car", "tree", "house"] * 8)]
    pq.write_table(pa.table({"id": [f"p{i:02d}" for i in range(40)], "image": images,
                             "caption": captions}), path)
    return images, captions
