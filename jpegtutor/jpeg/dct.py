"""The 8x8 discrete cosine transform: the clean orthonormal one, and libjpeg's integer "islow" one.

Teaching path: ``dct_matrix()`` is the orthonormal DCT-II matrix C, so a block's coefficients are
``C @ X @ C.T`` and the inverse is ``C.T @ Y @ C``.

libjpeg-exact path: ``fdct_islow`` and ``idct_islow`` reproduce libjpeg(-turbo)'s accurate integer
transforms (Loeffler, Ligtenberg and Moschytz's factorisation, 13-bit fixed-point constants, two
passes with 2 extra bits of precision in between) operation for operation, vectorised over blocks.
The forward output is scaled by 8 relative to the orthonormal DCT; the inverse takes quantized
coefficients and the table, dequantizes, and returns clamped 8-bit samples exactly as libjpeg does.

Matrix form: every output of a pass is one integer linear combination of its 8 inputs, rounded by
one right shift. ``islow_matrices()`` reads those integer matrices off the butterflies, and
``fdct_islow_matmul`` / ``idct_islow_matmul`` compute the same integers as two matrix products and
two floors in float64 (exact: every intermediate stays far below 2^53). That is the fast path of
the differentiable simulator (Part II), tens of tensor operations fewer than the butterflies.
"""

from __future__ import annotations

import numpy as np
import torch

from . import _array as A

__all__ = ["dct2", "dct_matrix", "fdct_islow", "fdct_islow_matmul", "idct2", "idct_islow", "idct_islow_matmul",
           "islow_matrices"]

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
    """Round ``x / 2**n`` half up, as libjpeg's DESCALE (an arithmetic right shift)."""
    return (x + (1 << (n - 1))) >> n if n else x


def _odd_part(a, b, c, d):
    """The odd half of the Loeffler-Ligtenberg-Moschytz butterfly, shared by both transforms:
    four inputs (forward: the differences d3-d4, d2-d5, d1-d6, d0-d7; inverse: the odd
    coefficients 7, 5, 3, 1) to four outputs, with 13-bit fixed-point rotations."""
    z1, z2, z3, z4 = a + d, b + c, a + c, b + d
    z5 = (z3 + z4) * FIX_1_175875602
    z1 = z1 * -FIX_0_899976223
    z2 = z2 * -FIX_2_562915447
    z3 = z3 * -FIX_1_961570560 + z5
    z4 = z4 * -FIX_0_390180644 + z5
    return (a * FIX_0_298631336 + z1 + z3, b * FIX_2_053119869 + z2 + z4,
            c * FIX_3_072711026 + z2 + z3, d * FIX_1_501321110 + z1 + z4)


def _fdct_1d(d: list[np.ndarray], first_pass: bool) -> tuple[list[np.ndarray], list[int]]:
    """One pass of jpeg_fdct_islow on 8 arrays (the 8 samples of each row or column), before
    descaling: returns the 8 outputs times ``2**shift`` and the 8 shifts."""
    tmp0, tmp7 = d[0] + d[7], d[0] - d[7]
    tmp1, tmp6 = d[1] + d[6], d[1] - d[6]
    tmp2, tmp5 = d[2] + d[5], d[2] - d[5]
    tmp3, tmp4 = d[3] + d[4], d[3] - d[4]
    tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
    tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2
    out = [None] * 8
    shift = CONST_BITS - PASS1_BITS if first_pass else CONST_BITS + PASS1_BITS
    shifts = [shift] * 8
    if first_pass:  # the DC and middle outputs keep 2 extra bits, unrounded
        out[0] = (tmp10 + tmp11) << PASS1_BITS
        out[4] = (tmp10 - tmp11) << PASS1_BITS
        shifts[0] = shifts[4] = 0
    else:
        out[0], out[4] = tmp10 + tmp11, tmp10 - tmp11
        shifts[0] = shifts[4] = PASS1_BITS
    z1 = (tmp12 + tmp13) * FIX_0_541196100
    out[2] = z1 + tmp13 * FIX_0_765366865
    out[6] = z1 - tmp12 * FIX_1_847759065
    out[7], out[5], out[3], out[1] = _odd_part(tmp4, tmp5, tmp6, tmp7)
    return out, shifts


def _fdct_pass(d, first_pass: bool):
    out, shifts = _fdct_1d(d, first_pass)
    return [_descale(o, n) for o, n in zip(out, shifts)]


def fdct_islow(blocks):
    """libjpeg's integer forward DCT of level-shifted samples ``(..., 8, 8)`` (values -128..127).

    Works on NumPy arrays and on torch tensors (any device). Returns int64 ``(..., 8, 8)``, 8 times
    the orthonormal DCT, rounded as libjpeg rounds.
    """
    data = A.as_int64(blocks)
    rows = _fdct_pass([data[..., :, i] for i in range(8)], first_pass=True)  # each (..., 8): over rows
    data = A.stack(rows, -1)
    cols = _fdct_pass([data[..., i, :] for i in range(8)], first_pass=False)
    return A.stack(cols, -2)


def _idct_1d(d: list[np.ndarray]) -> list[np.ndarray]:
    """One pass of jpeg_idct_islow, before descaling (the caller shifts every output alike)."""
    z2, z3 = d[2], d[6]
    z1 = (z2 + z3) * FIX_0_541196100
    tmp2 = z1 - z3 * FIX_1_847759065
    tmp3 = z1 + z2 * FIX_0_765366865
    tmp0 = (d[0] + d[4]) << CONST_BITS
    tmp1 = (d[0] - d[4]) << CONST_BITS
    tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
    tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2
    tmp0, tmp1, tmp2, tmp3 = _odd_part(d[7], d[5], d[3], d[1])
    out = [tmp10 + tmp3, tmp11 + tmp2, tmp12 + tmp1, tmp13 + tmp0,
           tmp13 - tmp0, tmp12 - tmp1, tmp11 - tmp2, tmp10 - tmp3]
    return out


IDCT_SHIFTS = (CONST_BITS - PASS1_BITS, CONST_BITS + PASS1_BITS + 3)  # columns pass, rows pass


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
    data = A.as_int64(coefficients) * A.as_int64(table)
    cols = [_descale(o, IDCT_SHIFTS[0]) for o in _idct_1d([data[..., i, :] for i in range(8)])]  # columns first
    data = A.stack(cols, -2)
    rows = [_descale(o, IDCT_SHIFTS[1]) for o in _idct_1d([data[..., :, i] for i in range(8)])]
    centred = A.stack(rows, -1)
    return _range_limit(centred, wrap)


def _range_limit(centred, wrap: bool):
    if isinstance(centred, torch.Tensor):
        if wrap:
            return torch.from_numpy(_RANGE_LIMIT).to(centred.device)[centred & 1023]
        return (centred + 128).clamp(0, 255).to(torch.uint8)
    if wrap:
        return _RANGE_LIMIT[centred & 1023]
    return np.clip(centred + 128, 0, 255).astype(np.uint8)


def islow_matrices() -> dict:
    """libjpeg's integer DCTs as integer matrices and shifts, read off the butterflies.

    Returns int64 arrays: ``fdct_rows``, ``fdct_cols`` (8 x 8 each) with shifts ``fdct_rows_shift``,
    ``fdct_cols_shift`` (8,), and ``idct`` (8 x 8, the same matrix for both passes) with
    ``idct_shifts`` (columns pass, rows pass). One pass computes ``out[i] = (M[i] . x + 2**(s[i]-1)) >> s[i]``
    (no rounding term where ``s[i] = 0``).
    """
    unit = [np.eye(8, dtype=np.int64)[j] for j in range(8)]  # d[j][b] = 1 if b == j: outputs are M's rows
    rows, rows_shift = _fdct_1d(unit, first_pass=True)
    cols, cols_shift = _fdct_1d(unit, first_pass=False)
    return {"fdct_rows": np.stack(rows), "fdct_rows_shift": np.array(rows_shift),
            "fdct_cols": np.stack(cols), "fdct_cols_shift": np.array(cols_shift),
            "idct": np.stack(_idct_1d(unit)), "idct_shifts": np.array(IDCT_SHIFTS)}


_MATRICES = islow_matrices()


_SCALED: dict = {}


def _scaled_matrices(device) -> dict:
    """The matmul passes' float64 matrices with each output row's ``2**-s`` folded in (exact: powers
    of two), and their rounding offsets ``1/2`` (0 where ``s = 0``); cached per device."""
    if device not in _SCALED:
        m = {k: torch.from_numpy(v).to(device, torch.float64) for k, v in _MATRICES.items()}
        first, second = IDCT_SHIFTS
        _SCALED[device] = {
            "fdct_rows": m["fdct_rows"] * torch.exp2(-m["fdct_rows_shift"])[:, None],
            "fdct_rows_half": torch.where(m["fdct_rows_shift"] > 0, 0.5, 0.0),
            "fdct_cols": m["fdct_cols"] * torch.exp2(-m["fdct_cols_shift"])[:, None],
            "fdct_cols_half": torch.where(m["fdct_cols_shift"] > 0, 0.5, 0.0)[:, None],
            "idct_cols": m["idct"] * 2.0**-first, "idct_rows_t": m["idct"].T * 2.0**-second,
        }
    return _SCALED[device]


def fdct_islow_matmul(blocks: torch.Tensor) -> torch.Tensor:
    """:func:`fdct_islow` as two float64 matrix products and floors (same integers, much faster on
    tensors). ``blocks``: ``(..., 8, 8)`` level-shifted samples (integers -128..127, any dtype);
    returns float64 ``(..., 8, 8)``. Each pass is ``floor(M x * 2**-s + 1/2)``, the descaling
    of :func:`fdct_islow` (``(v + 2**(s-1)) >> s``), with ``2**-s`` folded into ``M``."""
    m = _scaled_matrices(blocks.device)
    x = blocks.to(torch.float64) @ m["fdct_rows"].T  # pass 1 over each row: output index is the last axis
    x = x.add_(m["fdct_rows_half"]).floor_()
    x = m["fdct_cols"] @ x  # pass 2 over each column
    return x.add_(m["fdct_cols_half"]).floor_()


def idct_islow_matmul(coefficients: torch.Tensor, table: torch.Tensor, clamp: bool = True) -> torch.Tensor:
    """:func:`idct_islow` as two float64 matrix products and floors. ``coefficients``: quantized
    ``(..., 8, 8)`` integers (any dtype); ``table``: broadcastable ``(..., 8, 8)``. Returns float64
    samples ``(..., 8, 8)``, saturated to [0, 255] (libjpeg-turbo's SIMD behaviour) unless
    ``clamp=False``."""
    m = _scaled_matrices(coefficients.device)
    x = coefficients.to(torch.float64, copy=True).mul_(table)
    x = (m["idct_cols"] @ x).add_(0.5).floor_()  # columns pass
    x = (x @ m["idct_rows_t"]).add_(128.5).floor_()  # rows pass, plus the level shift
    return x.clamp_(0.0, 255.0) if clamp else x
