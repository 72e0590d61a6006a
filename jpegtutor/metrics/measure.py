"""One measurement of a real JPEG file against its original: the last step of the data path.

Every number the book reports about a file comes from :func:`measure` (eval, preedit, the
experiments, the chapters), so bpp, the MS-SSIM size rule and the key names are defined once.
"""

from __future__ import annotations

import numpy as np
import torch

from ..checks import check_image_u8
from ..image import to_tensor
from ..jpeg.reference import pillow_decode
from .bpp import bpp
from .lpips_network import lpips
from .psnr import psnr, psnr_y
from .ssim import MS_SSIM_MIN_SIDE, WIN_SIZE, ms_ssim, ssim

__all__ = ["LPIPS_MIN_SIDE", "UNITS", "measure", "measure_pixels"]

LPIPS_MIN_SIDE = 32
UNITS = {"bytes": "bytes (file size)", "bpp": "bits per pixel (file size)", "psnr_db": "dB (RGB)", "psnr_y_db": "dB (luma)",
         "ssim": "unitless", "ms_ssim": "unitless (NaN below 161 px)", "lpips_alex": "unitless (lower is better)"}


def measure_pixels(original: np.ndarray, decoded: np.ndarray, use_lpips: bool = True) -> dict:
    """Quality of ``decoded`` against ``original`` (both ``uint8 (H, W, 3)``): ``psnr_db``, ``psnr_y_db``,
    ``ssim``, ``ms_ssim`` (NaN below 161 px), ``lpips_alex`` (with ``use_lpips``; NaN below 32 px)."""
    check_image_u8(original, "original", channels=(3,))
    check_image_u8(decoded, "decoded", channels=(3,))
    if decoded.shape != original.shape:
        raise ValueError(f"decoded image is {decoded.shape[:2]}, the original {original.shape[:2]} (H, W)")
    x, y = to_tensor(original), to_tensor(decoded)
    side = min(original.shape[:2])
    with torch.no_grad():
        out = {"psnr_db": float(psnr(y, x)), "psnr_y_db": float(psnr_y(y, x)),
               "ssim": float(ssim(y, x)) if side >= WIN_SIZE else float("nan"),
               "ms_ssim": float(ms_ssim(y, x)) if side >= MS_SSIM_MIN_SIDE else float("nan")}
        if use_lpips:
            out["lpips_alex"] = float(lpips(y, x, "alex")) if side >= LPIPS_MIN_SIDE else float("nan")
    return out


def measure(original: np.ndarray, data: bytes, decode=pillow_decode, use_lpips: bool = True) -> dict:
    """Measure the JPEG ``data`` (bytes) against ``original`` (``uint8 (H, W, 3)``).

    ``decode``: ``bytes -> uint8 (H, W, 3)`` (default libjpeg via Pillow). Returns flat, unit-named
    keys: ``bytes``, ``bpp`` (the whole file), then those of :func:`measure_pixels` (see ``UNITS``).
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be the JPEG file's bytes, got {type(data).__name__}")
    h, w = check_image_u8(original, "original", channels=(3,)).shape[:2]
    return {"bytes": len(data), "bpp": bpp(len(data), h, w), **measure_pixels(original, decode(bytes(data)), use_lpips)}
