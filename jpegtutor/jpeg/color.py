"""The JFIF colour transform (ITU-T T.871): the float "teaching path" and libjpeg's fixed-point one.

Full-range YCbCr as JPEG files store it: Y in ``[0, 1]`` like the input, Cb and Cr centred on
0.5 (128/255). Tensors are ``(..., 3, H, W)``; every function works on batches.
"""

from __future__ import annotations

import torch

from . import _array as A

__all__ = ["RGB_TO_YCBCR", "RGB_TO_YCBCR_FIXED", "RGB_TO_YCBCR_OFFSETS", "YCBCR_TO_RGB_FIXED", "rgb_to_y", "rgb_to_ycbcr", "rgb_to_ycbcr_libjpeg", "rgb_to_ycbcr_planes", "rgb_to_ycbcr_tensor", "ycbcr_to_rgb",
           "ycbcr_to_rgb_libjpeg", "ycbcr_to_rgb_planes", "ycbcr_to_rgb_tensor"]

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


# The fixed-point coefficients, written once: the codec and the simulator (which also needs them
# as matrices, for its gradients) read them from here.
RGB_TO_YCBCR_FIXED = ((_fix16(0.29900), _fix16(0.58700), _fix16(0.11400)),
                      (-_fix16(0.16874), -_fix16(0.33126), _fix16(0.5)),
                      (_fix16(0.5), -_fix16(0.41869), -_fix16(0.08131)))
RGB_TO_YCBCR_OFFSETS = (ONE_HALF, CBCR_OFFSET + ONE_HALF - 1, CBCR_OFFSET + ONE_HALF - 1)
# R, G, B = Y + (row . (Cb - 128, Cr - 128) + ONE_HALF) >> 16
YCBCR_TO_RGB_FIXED = ((0, _fix16(1.40200)), (-_fix16(0.34414), -_fix16(0.71414)), (_fix16(1.77200), 0))


def rgb_to_ycbcr_planes(r, g, b, floor=None):
    """libjpeg's RGB to YCbCr (jccolor.c) on three planes: 8-bit integers (``floor=None``) or float
    tensors with a surrogate ``floor`` (the simulator). Returns ``(y, cb, cr)``, already in 0-255."""
    return tuple(A.floor_shift(m_r * r + m_g * g + m_b * b + offset, SCALEBITS, floor)
                 for (m_r, m_g, m_b), offset in zip(RGB_TO_YCBCR_FIXED, RGB_TO_YCBCR_OFFSETS))


def ycbcr_to_rgb_planes(y, cb, cr, floor=None):
    """libjpeg's YCbCr to RGB (jdcolor.c) on three planes (integers, or floats with a surrogate
    ``floor``); returns ``(r, g, b)`` before the final clamp to 0-255."""
    cb, cr = cb - 128, cr - 128
    (_, r_cr), (g_cb, g_cr), (b_cb, _) = YCBCR_TO_RGB_FIXED
    r = y + A.floor_shift(r_cr * cr + ONE_HALF, SCALEBITS, floor)
    g = y + A.floor_shift(g_cb * cb + g_cr * cr + ONE_HALF, SCALEBITS, floor)
    b = y + A.floor_shift(b_cb * cb + ONE_HALF, SCALEBITS, floor)
    return r, g, b


def rgb_to_ycbcr_tensor(rgb: torch.Tensor, floor) -> torch.Tensor:
    """:func:`rgb_to_ycbcr_planes` on a float tensor ``(B, 3, H, W)`` of 8-bit values, as one matrix
    product with the ``>> 16`` folded into the matrix (exact: every product and partial sum is an
    integer below 2**24 times 2**-16) and one surrogate ``floor``. Returns ``(B, 3, H, W)``: Y, Cb, Cr in 0-255."""
    scale = 2.0**-SCALEBITS
    weight = torch.tensor(RGB_TO_YCBCR_FIXED, dtype=rgb.dtype, device=rgb.device) * scale
    bias = torch.tensor(RGB_TO_YCBCR_OFFSETS, dtype=rgb.dtype, device=rgb.device)[:, None] * scale
    mixed = torch.baddbmm(bias.expand(rgb.shape[0], 3, 1), weight.expand(rgb.shape[0], 3, 3), rgb.flatten(2))
    return floor(mixed).view(rgb.shape)


def ycbcr_to_rgb_tensor(y: torch.Tensor, cb: torch.Tensor, cr: torch.Tensor, floor) -> torch.Tensor:
    """:func:`ycbcr_to_rgb_planes` on float planes ``(B, H, W)`` of 8-bit values, the chroma terms
    as one matrix product with the ``- 128`` folded into its bias and the ``>> 16`` into the matrix.
    Returns ``(B, 3, H, W)``, unclipped."""
    scale = 2.0**-SCALEBITS
    weight = torch.tensor(YCBCR_TO_RGB_FIXED, dtype=y.dtype, device=y.device)
    bias = (ONE_HALF - 128.0 * weight.sum(1))[:, None] * scale
    b = y.shape[0]
    chroma = torch.baddbmm(bias.expand(b, 3, 1), (weight * scale).expand(b, 3, 2), torch.stack([cb, cr], 1).flatten(2))
    return y[:, None] + floor(chroma).view(b, 3, *y.shape[1:])


def rgb_to_ycbcr_libjpeg(rgb):
    """libjpeg's RGB to YCbCr on 8-bit ``(..., 3)`` (NumPy or torch); returns ``uint8 (..., 3)`` (Y, Cb, Cr)."""
    return A.clip_uint8(A.stack(list(rgb_to_ycbcr_planes(*(A.as_int64(rgb[..., i]) for i in range(3)))), -1))


def ycbcr_to_rgb_libjpeg(ycc):
    """libjpeg's YCbCr to RGB on 8-bit ``(..., 3)`` (NumPy or torch); returns ``uint8 (..., 3)``, clamped to 0-255."""
    return A.clip_uint8(A.stack(list(ycbcr_to_rgb_planes(*(A.as_int64(ycc[..., i]) for i in range(3)))), -1))
