"""The 8x8 discrete cosine transform: the clean orthonormal one, and libjpeg's integer "islow" one.

Teaching path: ``dct_matrix()`` is the orthonormal DCT-II matrix C, so a block's coefficients are
``C @ X @ C.T`` and the inverse is ``C.T @ Y @ C``.

libjpeg-exact path: ``fdct_islow`` and ``idct_islow`` reproduce libjpeg(-turbo)'s accurate integer
transforms (Loeffler, Ligtenberg and Moschytz's factorisation, 13-bit fixed-point constants, two
passes with 2 extra bits of precision in between) operation for operation, vectorised over blocks.
The forward output is scaled by 8 relative to the orthonormal DCT; the inverse takes quantized
coefficients and the table, dequantizes, and returns clamped 8-bit samples exactly as libjpeg does.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["dct2", "dct_matrix", "fdct_islow", "idct2", "idct_islow"]

CONST_BITS = 13
PASS1_BITS = 2


def _fix(x: float) -> int:
    return int(x * (1 << CONST_BITS) + 0.5)


FIX_0_298631336 = _fix(0.298631336)
FIX_0_390180644 = _fix(0.390180644)
FIX_0_541196100 = _fix(0.541196100)
FIX_0_765366865 = _fix(0.765366865)
FIX_0_899976223 = _fix(0.899976223)
FIX_1_175875602 = _fix(1.175875602)
FIX_1_501321110 = _fix(1.501321110)
FIX_1_847759065 = _fix(1.847759065)
FIX_1_961570560 = _fix(1.961570560)
FIX_2_053119869 = _fix(2.053119869)
FIX_2_562915447 = _fix(2.562915447)
FIX_3_072711026 = _fix(3.072711026)


def dct_matrix(n: int = 8) -> np.ndarray:
    """Orthonormal DCT-II matrix ``C`` (``n x n``, float64): ``C[u, x] = a(u) cos((2x + 1) u pi / 2n)``."""
    u = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    c = np.cos((2 * x + 1) * u * np.pi / (2 * n)) * np.sqrt(2.0 / n)
    c[0] /= np.sqrt(2.0)
    return c


_C = dct_matrix()


def dct2(blocks: np.ndarray) -> np.ndarray:
    """Orthonormal 2-D DCT of ``(..., 8, 8)`` blocks (float64)."""
    return _C @ np.asarray(blocks, dtype=np.float64) @ _C.T


def idct2(coefficients: np.ndarray) -> np.ndarray:
    """Inverse of :func:`dct2`."""
    return _C.T @ np.asarray(coefficients, dtype=np.float64) @ _C


def _descale(x, n: int):
    return (x + (1 << (n - 1))) >> n


def _as_int64(a):
    """Integer arrays for the exact path: NumPy int64, or torch int64 on the tensor's device."""
    if isinstance(a, torch.Tensor):
        return a.to(torch.int64)
    return np.asarray(a, dtype=np.int64)


def _stack(parts, axis: int):
    return torch.stack(parts, axis) if isinstance(parts[0], torch.Tensor) else np.stack(parts, axis)


def _fdct_1d(d: list[np.ndarray], first_pass: bool) -> list[np.ndarray]:
    """One pass of jpeg_fdct_islow on 8 arrays (the 8 samples of each row or column)."""
    tmp0, tmp7 = d[0] + d[7], d[0] - d[7]
    tmp1, tmp6 = d[1] + d[6], d[1] - d[6]
    tmp2, tmp5 = d[2] + d[5], d[2] - d[5]
    tmp3, tmp4 = d[3] + d[4], d[3] - d[4]
    tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
    tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2
    out = [None] * 8
    shift = CONST_BITS - PASS1_BITS if first_pass else CONST_BITS + PASS1_BITS
    if first_pass:
        out[0] = (tmp10 + tmp11) << PASS1_BITS
        out[4] = (tmp10 - tmp11) << PASS1_BITS
    else:
        out[0] = _descale(tmp10 + tmp11, PASS1_BITS)
        out[4] = _descale(tmp10 - tmp11, PASS1_BITS)
    z1 = (tmp12 + tmp13) * FIX_0_541196100
    out[2] = _descale(z1 + tmp13 * FIX_0_765366865, shift)
    out[6] = _descale(z1 - tmp12 * FIX_1_847759065, shift)
    z1, z2, z3, z4 = tmp4 + tmp7, tmp5 + tmp6, tmp4 + tmp6, tmp5 + tmp7
    z5 = (z3 + z4) * FIX_1_175875602
    tmp4 = tmp4 * FIX_0_298631336
    tmp5 = tmp5 * FIX_2_053119869
    tmp6 = tmp6 * FIX_3_072711026
    tmp7 = tmp7 * FIX_1_501321110
    z1 = z1 * -FIX_0_899976223
    z2 = z2 * -FIX_2_562915447
    z3 = z3 * -FIX_1_961570560 + z5
    z4 = z4 * -FIX_0_390180644 + z5
    out[7] = _descale(tmp4 + z1 + z3, shift)
    out[5] = _descale(tmp5 + z2 + z4, shift)
    out[3] = _descale(tmp6 + z2 + z3, shift)
    out[1] = _descale(tmp7 + z1 + z4, shift)
    return out


def fdct_islow(blocks):
    """libjpeg's integer forward DCT of level-shifted samples ``(..., 8, 8)`` (values -128..127).

    Works on NumPy arrays and on torch tensors (any device). Returns int64 ``(..., 8, 8)``, 8 times
    the orthonormal DCT, rounded as libjpeg rounds.
    """
    data = _as_int64(blocks)
    rows = _fdct_1d([data[..., :, i] for i in range(8)], first_pass=True)  # each (..., 8): over rows
    data = _stack(rows, -1)
    cols = _fdct_1d([data[..., i, :] for i in range(8)], first_pass=False)
    return _stack(cols, -2)


def _idct_1d(d: list[np.ndarray], shift: int) -> list[np.ndarray]:
    """One pass of jpeg_idct_islow, before descaling: returns the 8 outputs scaled by 2**shift."""
    z2, z3 = d[2], d[6]
    z1 = (z2 + z3) * FIX_0_541196100
    tmp2 = z1 - z3 * FIX_1_847759065
    tmp3 = z1 + z2 * FIX_0_765366865
    tmp0 = (d[0] + d[4]) << CONST_BITS
    tmp1 = (d[0] - d[4]) << CONST_BITS
    tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
    tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2
    tmp0, tmp1, tmp2, tmp3 = d[7], d[5], d[3], d[1]
    z1, z2, z3, z4 = tmp0 + tmp3, tmp1 + tmp2, tmp0 + tmp2, tmp1 + tmp3
    z5 = (z3 + z4) * FIX_1_175875602
    tmp0 = tmp0 * FIX_0_298631336
    tmp1 = tmp1 * FIX_2_053119869
    tmp2 = tmp2 * FIX_3_072711026
    tmp3 = tmp3 * FIX_1_501321110
    z1 = z1 * -FIX_0_899976223
    z2 = z2 * -FIX_2_562915447
    z3 = z3 * -FIX_1_961570560 + z5
    z4 = z4 * -FIX_0_390180644 + z5
    tmp0 = tmp0 + z1 + z3
    tmp1 = tmp1 + z2 + z4
    tmp2 = tmp2 + z2 + z3
    tmp3 = tmp3 + z1 + z4
    out = [tmp10 + tmp3, tmp11 + tmp2, tmp12 + tmp1, tmp13 + tmp0,
           tmp13 - tmp0, tmp12 - tmp1, tmp11 - tmp2, tmp10 - tmp3]
    return [_descale(o, shift) for o in out]


def _range_limit_table() -> np.ndarray:
    # libjpeg's post-IDCT range limiting: index = (value) & 1023 of the centred sample.
    idx = np.arange(1024)
    table = np.zeros(1024, dtype=np.uint8)
    table[:128] = idx[:128] + 128  # 0..127 -> 128..255
    table[128:512] = 255  # large positive
    table[512:896] = 0  # large negative (wrapped)
    table[896:] = idx[896:] - 896  # -128..-1 -> 0..127
    return table


_RANGE_LIMIT = _range_limit_table()


def idct_islow(coefficients, table, wrap: bool = False):
    """libjpeg's integer inverse DCT with dequantization and range limiting.

    ``coefficients``: quantized ``(..., 8, 8)`` integers; ``table``: ``(8, 8)`` quantization table
    (or any shape that broadcasts, e.g. ``(B, 1, 1, 8, 8)``). NumPy arrays or torch tensors.
    Returns ``uint8 (..., 8, 8)`` samples, equal to what libjpeg(-turbo) decodes.

    Range limiting: libjpeg's C code looks the centred result up in a table indexed by
    ``value & 1023`` (``wrap=True``), so absurd values from corrupt data wrap around;
    libjpeg-turbo's SIMD code, which Pillow runs on x86-64 and Arm, saturates instead (the
    default). Both agree for every value within [-512, 511], which covers all data an encoder
    writes.
    """
    data = _as_int64(coefficients) * _as_int64(table)
    cols = _idct_1d([data[..., i, :] for i in range(8)], CONST_BITS - PASS1_BITS)  # columns first
    data = _stack(cols, -2)
    rows = _idct_1d([data[..., :, i] for i in range(8)], CONST_BITS + PASS1_BITS + 3)
    centred = _stack(rows, -1)
    if isinstance(centred, torch.Tensor):
        if wrap:
            return torch.from_numpy(_RANGE_LIMIT).to(centred.device)[centred & 1023]
        return (centred + 128).clamp(0, 255).to(torch.uint8)
    if wrap:
        return _RANGE_LIMIT[centred & 1023]
    return np.clip(centred + 128, 0, 255).astype(np.uint8)
