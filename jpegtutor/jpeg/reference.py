"""The reference JPEG codec: libjpeg(-turbo) through Pillow.

Every result in the book is judged on files written and read by this codec, so that "JPEG" means
the same thing as in any viewer. Part I builds our own codec and holds it to these functions bit
for bit.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from ..checks import check_image_u8, check_quality
from .codec import normalize_subsampling

__all__ = ["SUBSAMPLINGS", "pillow_decode", "pillow_encode"]

# Pillow's codes for chroma subsampling: 0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0.
SUBSAMPLINGS = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}


def pillow_encode(image: np.ndarray, quality: int, subsampling: str = "4:2:0", optimize: bool = False) -> bytes:
    """Encode ``uint8 (H, W, 3)`` (or ``(H, W)`` greyscale) to baseline JPEG bytes with libjpeg.

    ``quality``: int 1-100 (IJG scaling of the standard tables). ``subsampling``: "4:4:4", "4:2:2"
    or "4:2:0" (greyscale: recorded in the header only). ``optimize``: optimized Huffman tables.
    """
    check_image_u8(image)
    quality = check_quality(quality)
    code = SUBSAMPLINGS[normalize_subsampling(subsampling)]
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=int(quality), subsampling=code, optimize=bool(optimize))
    return buffer.getvalue()


def pillow_decode(data: bytes, mode: str = "RGB") -> np.ndarray:
    """Decode JPEG bytes with libjpeg to ``uint8 (H, W, 3)`` (or ``(H, W)`` with ``mode="L"``)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != "JPEG":
                raise ValueError(f"not a JPEG file (Pillow sees {img.format})")
            img.load()
            return np.asarray(img.convert(mode)).copy()
    except OSError as exc:
        raise ValueError(f"cannot decode JPEG data: {exc}") from exc
