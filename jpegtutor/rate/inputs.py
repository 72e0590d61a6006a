"""What every rate proxy takes, beside the exact bits it is measured against, for one image."""

from __future__ import annotations

import numpy as np
import torch

from ..diff import dct_coefficients
from ..image import to_tensor
from ..jpeg.quant import tables_for_quality
from .exact import image_rate

__all__ = ["features"]


def features(image: np.ndarray, quality: int, subsampling: str = "4:2:0"):
    """``(coefficients [Y, Cb, Cr] (1, hb, wb, 64), tables (1, 2, 8, 8), ExactRate)`` of one ``uint8 (H, W, 3)`` image."""
    with torch.no_grad():
        coefficients = dct_coefficients(to_tensor(image), subsampling)
    tables = torch.from_numpy(tables_for_quality(quality)).float()[None]
    return coefficients, tables, image_rate(image, quality, subsampling)
