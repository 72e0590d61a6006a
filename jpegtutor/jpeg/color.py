"""The JFIF colour transform (ITU-T T.871): the float "teaching path" and libjpeg's fixed-point one.

Full-range YCbCr as JPEG files store it: Y in ``[0, 1]`` like the input, Cb and Cr centred on
0.5 (128/255). Tensors are ``(..., 3, H, W)``; every function works on batches.
"""

from __future__ import annotations

import torch

from . import _array as A

__all__ = ["RGB_TO_YCBCR", "rgb_to_y", "rgb_to_ycbcr", "rgb_to_ycbcr_libjpeg", "rgb_to_ycbcr_planes", "ycbcr_to_rgb",
           "ycbcr_to_rgb_libjpeg", "ycbcr_to_rgb_planes"]

# Rows: Y, Cb, Cr as weighted sums of R, G, B (T.871, section 7).
RGB_TO_YCBCR = torch.tensor(
    [
        [0.299, 0.587, 0.114],
        [-0.168735892, -0.331264108, 0.5],
        [0.5, -0.418687589, -0.081312411],
    ],
    dtype=torch.float64,
)
_OFFSET = torch.tensor([0.0, 128.0 / 255.0, 128.0 / 255.0], dtype=torch.float64)


def _check(image: torch.Tensor, name: str) -> None:
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(image).__name__}")
    if not image.is_floating_point():
        raise TypeError(f"{name} must be a float tensor in [0, 1], got dtype {image.dtype}")
    if image.ndim < 3 or image.shape[-3] != 3:
        raise ValueError(f"{name} must have shape (..., 3, H, W), got {tuple(image.shape)}")


def rgb_to_ycbcr(rgb: torch.Tensor) -> torch.Tensor:
    """RGB ``(..., 3, H, W)`` in ``[0, 1]`` to full-range YCbCr ``(..., 3, H, W)`` (Cb, Cr centred on 128/255)."""
    _check(rgb, "rgb")
    matrix = RGB_TO_YCBCR.to(rgb)
    return torch.einsum("ij,...jhw->...ihw", matrix, rgb) + _OFFSET.to(rgb)[:, None, None]


def ycbcr_to_rgb(ycbcr: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_ycbcr` (no clipping: out-of-gamut values stay out of ``[0, 1]``)."""
    _check(ycbcr, "ycbcr")
    inverse = torch.linalg.inv(RGB_TO_YCBCR).to(ycbcr)
    return torch.einsum("ij,...jhw->...ihw", inverse, ycbcr - _OFFSET.to(ycbcr)[:, None, None])


def rgb_to_y(rgb: torch.Tensor) -> torch.Tensor:
    """Luma only: ``(..., 3, H, W)`` to ``(..., 1, H, W)``, ``Y = 0.299 R + 0.587 G + 0.114 B``."""
    _check(rgb, "rgb")
    weights = RGB_TO_YCBCR[0].to(rgb)
    return torch.einsum("j,...jhw->...hw", weights, rgb).unsqueeze(-3)


# ---------------------------------------------------------------------------------------------
# libjpeg-exact integer path (jccolor.c / jdcolor.c): 16-bit fixed point, one table per term.

SCALEBITS = 16
ONE_HALF = 1 << (SCALEBITS - 1)
CBCR_OFFSET = 128 << SCALEBITS


def _fix16(x: float) -> int:
    return int(x * (1 << SCALEBITS) + 0.5)


def rgb_to_ycbcr_planes(r, g, b, floor=None):
    """libjpeg's RGB to YCbCr (jccolor.c) on three planes: 8-bit integers (``floor=None``) or float
    tensors with a surrogate ``floor`` (the simulator). Returns ``(y, cb, cr)``, already in 0-255."""
    y = A.floor_shift(_fix16(0.29900) * r + _fix16(0.58700) * g + _fix16(0.11400) * b + ONE_HALF, SCALEBITS, floor)
    cb = A.floor_shift(-_fix16(0.16874) * r - _fix16(0.33126) * g + _fix16(0.5) * b + (CBCR_OFFSET + ONE_HALF - 1),
                       SCALEBITS, floor)
    cr = A.floor_shift(_fix16(0.5) * r - _fix16(0.41869) * g - _fix16(0.08131) * b + (CBCR_OFFSET + ONE_HALF - 1),
                       SCALEBITS, floor)
    return y, cb, cr


def ycbcr_to_rgb_planes(y, cb, cr, floor=None):
    """libjpeg's YCbCr to RGB (jdcolor.c) on three planes (integers, or floats with a surrogate
    ``floor``); returns ``(r, g, b)`` before the final clamp to 0-255."""
    cb, cr = cb - 128, cr - 128
    r = y + A.floor_shift(_fix16(1.40200) * cr + ONE_HALF, SCALEBITS, floor)
    g = y + A.floor_shift(-_fix16(0.34414) * cb + ONE_HALF - _fix16(0.71414) * cr, SCALEBITS, floor)
    b = y + A.floor_shift(_fix16(1.77200) * cb + ONE_HALF, SCALEBITS, floor)
    return r, g, b


def rgb_to_ycbcr_libjpeg(rgb):
    """libjpeg's RGB to YCbCr on 8-bit ``(..., 3)`` (NumPy or torch); returns ``uint8 (..., 3)`` (Y, Cb, Cr)."""
    return A.clip_uint8(A.stack(list(rgb_to_ycbcr_planes(*(A.as_int64(rgb[..., i]) for i in range(3)))), -1))


def ycbcr_to_rgb_libjpeg(ycc):
    """libjpeg's YCbCr to RGB on 8-bit ``(..., 3)`` (NumPy or torch); returns ``uint8 (..., 3)``, clamped to 0-255."""
    return A.clip_uint8(A.stack(list(ycbcr_to_rgb_planes(*(A.as_int64(ycc[..., i]) for i in range(3)))), -1))
