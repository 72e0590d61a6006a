"""Quantization tables, the IJG quality scaling, and quantization itself.

Two paths:

- teaching: ``quantize(coefficients, table)`` on the orthonormal DCT, ``round(c / Q)``;
- libjpeg-exact: ``quantize_libjpeg(dct8, table)`` on the integer DCT, which is scaled by 8: the
  divisor is ``8 Q`` and halves round away from zero, ``sign(c) * floor((|c| + 4Q) / (8Q))``.
  (libjpeg-turbo computes the same numbers with a multiply by a fixed-point reciprocal; the tests
  check the two agree for every input.)

Tables are ``(8, 8)`` integer arrays in natural (row-major) order, as Pillow's ``qtables`` takes them.
"""

from __future__ import annotations

import numpy as np
import torch

from . import _array as A

__all__ = [
    "STD_CHROMA",
    "STD_LUMA",
    "dequantize",
    "quality_scale",
    "quantize",
    "quantize_libjpeg",
    "scale_table",
    "tables_for_quality",
    "validate_tables",
]

# ITU-T T.81 Annex K, tables K.1 and K.2 (natural order).
STD_LUMA = np.array([
    [16, 11, 10, 16, 24, 40, 51, 61],
    [12, 12, 14, 19, 26, 58, 60, 55],
    [14, 13, 16, 24, 40, 57, 69, 56],
    [14, 17, 22, 29, 51, 87, 80, 62],
    [18, 22, 37, 56, 68, 109, 103, 77],
    [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101],
    [72, 92, 95, 98, 112, 100, 103, 99],
], dtype=np.int32)
STD_CHROMA = np.array([
    [17, 18, 24, 47, 99, 99, 99, 99],
    [18, 21, 26, 66, 99, 99, 99, 99],
    [24, 26, 56, 99, 99, 99, 99, 99],
    [47, 66, 99, 99, 99, 99, 99, 99],
    [99, 99, 99, 99, 99, 99, 99, 99],
    [99, 99, 99, 99, 99, 99, 99, 99],
    [99, 99, 99, 99, 99, 99, 99, 99],
    [99, 99, 99, 99, 99, 99, 99, 99],
], dtype=np.int32)


def _check_quality(quality) -> int:
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)):
        raise TypeError(f"quality must be an int from 1 to 100, got {quality!r}")
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be from 1 to 100, got {quality}")
    return int(quality)


def quality_scale(quality: int) -> int:
    """The IJG percentage scale for a quality: ``5000 / q`` below 50, ``200 - 2 q`` from 50 (integer)."""
    q = _check_quality(quality)
    return 5000 // q if q < 50 else 200 - 2 * q


def scale_table(base: np.ndarray, scale: int, force_baseline: bool = True) -> np.ndarray:
    """libjpeg's ``jpeg_add_quant_table``: ``(base * scale + 50) // 100`` clipped to [1, 32767]
    (and to 255 with ``force_baseline``, as Pillow asks for)."""
    table = (np.asarray(base, dtype=np.int64) * scale + 50) // 100
    table = np.clip(table, 1, 255 if force_baseline else 32767)
    return table.astype(np.int32)


def tables_for_quality(quality: int) -> np.ndarray:
    """The luma and chroma tables libjpeg uses at ``quality``: ``(2, 8, 8)`` int32."""
    scale = quality_scale(quality)
    return np.stack([scale_table(STD_LUMA, scale), scale_table(STD_CHROMA, scale)])


def validate_tables(tables) -> np.ndarray:
    """Check custom tables: one or more ``(8, 8)`` integer tables with entries 1-255. Returns ``(n, 8, 8)`` int32."""
    arr = np.asarray(tables)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1:] != (8, 8) or not 1 <= arr.shape[0] <= 4:
        raise ValueError(f"quantization tables must be (8, 8) or (n, 8, 8) with n <= 4, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise TypeError(f"quantization tables must hold integers, got dtype {arr.dtype}")
    if arr.min() < 1 or arr.max() > 255:
        raise ValueError(f"quantization table entries must be from 1 to 255, got range [{arr.min()}, {arr.max()}]")
    return arr.astype(np.int32)


def quantize(coefficients: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Teaching path: orthonormal DCT coefficients ``(..., 8, 8)`` to integers ``round(c / Q)``.

    Halves round away from zero (``sign(x) * floor(|x| + 1/2)``), as libjpeg's quantizer and the
    teaching encoder do; NumPy's ``np.round`` would round them to even.
    """
    ratio = np.asarray(coefficients, dtype=np.float64) / table
    return (np.sign(ratio) * np.floor(np.abs(ratio) + 0.5)).astype(np.int32)


def quantize_libjpeg(dct8, table):
    """libjpeg-exact: integer DCT output ``(..., 8, 8)`` (scaled by 8) to quantized coefficients.

    NumPy (returns int32) or torch (returns int64); ``table`` broadcasts against ``dct8``.
    """
    dct8 = A.as_int64(dct8)
    divisor = A.as_int64(table) * 8
    magnitude = (abs(dct8) + (divisor >> 1)) // divisor
    signed = (dct8 > 0).to(torch.int64) - (dct8 < 0).to(torch.int64) if A.is_torch(dct8) else np.sign(dct8)
    out = signed * magnitude
    return out if A.is_torch(out) else out.astype(np.int32)


def dequantize(quantized: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``q * Q``: the coefficients the decoder reconstructs (int32)."""
    return (np.asarray(quantized, dtype=np.int32) * np.asarray(table, dtype=np.int32)).astype(np.int32)
