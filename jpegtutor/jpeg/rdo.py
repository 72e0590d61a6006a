"""Rate-distortion-optimized quantization inside the standard: the classical answer to pre-editing.

A JPEG encoder may store *any* integer for each coefficient; the decoder only multiplies it by the
table entry. Rounding ``c / Q`` minimises the distortion alone. These quantizers minimise the
Lagrangian ``J = D + lambda * R`` of each 8x8 block instead, where ``D`` is the squared error of
the orthonormal DCT coefficients (equal to the block's squared pixel error) and ``R`` the bits the
block's AC symbols take with the file's real Huffman code lengths (chapter 08a derives it):

- ``levels="threshold"``: each AC coefficient keeps its rounded level or becomes zero
  (Ramchandran and Vetterli's RD-optimal thresholding);
- ``levels="trellis"``: each coefficient may also drop to the largest level of a smaller size
  category (the candidate set of mozjpeg's trellis quantizer), chosen by dynamic programming over
  the zigzag positions of the nonzero coefficients, with the run-length symbols' exact costs;
- ``adaptive``: a lambda per block (adaptive quantization: busy blocks, where errors are masked,
  spend fewer bits; the idea behind jpegli's quantization field, here in its simplest form).

The DC coefficients keep their rounded values. Rates come from optimal Huffman tables of the
previous pass (``passes`` rounds, as mozjpeg re-derives its tables); the file is written with
optimized Huffman tables by :func:`jpegtutor.jpeg.write_coefficients`, so it is a baseline JPEG
any decoder reads. ``lambda_scale=0`` reproduces plain rounding: the bytes of ``libjpeg-optimized``.
"""

from __future__ import annotations

import math

import numpy as np

from .codec import (Coefficients, _check_image, dct_coefficients, entropy_plan, quantized_coefficients,
                    write_coefficients)
from .huffman import size_category
from .quant import quantize_libjpeg
from .zigzag import from_zigzag, to_zigzag

__all__ = ["DEFAULT_ADAPTIVE", "DEFAULT_LAMBDA_SCALE", "LAMBDA_PER_STEP2", "ac_code_lengths", "block_activity", "encode",
           "quantize_blocks", "rd_optimize", "table_lambda"]

# High-rate theory (chapter 06a): a uniform quantizer of step Q has D = Q^2 / 12 and dD/dR = -2 ln 2 D,
# so the slope of its RD curve is lambda = (ln 2 / 6) Q^2 squared-error units per bit.
LAMBDA_PER_STEP2 = math.log(2) / 6
# Measured on Kodak 01-03 (chapter 08a's sweep): the PSNR BD-rate is best near a fifth of the slope at the
# table's geometric-mean step (that step overstates the steps of the coefficients actually coded).
DEFAULT_LAMBDA_SCALE = 0.2
# Measured on Kodak 04-06: gamma = 0.3-0.6 trades PSNR for MS-SSIM and LPIPS (chapter 08a).
DEFAULT_ADAPTIVE = 0.5
_SIZES = 10  # AC levels are at most 1023: size categories 1-10
_UNSEEN_BITS = 16  # code length charged for a symbol the current Huffman table has no code for


def ac_code_lengths(coefs: Coefficients) -> list[np.ndarray]:
    """Per component: the AC Huffman code length (bits) of each of the 256 symbols in an optimal
    table for ``coefs`` (symbols that do not occur are charged ``_UNSEEN_BITS``)."""
    plan = entropy_plan(coefs, optimize=True)
    out = []
    for c in range(len(coefs.blocks)):
        lengths = plan.huffman[(1, int(plan.slot[c]))].codes()[1].astype(np.float64)
        out.append(np.where(lengths > 0, lengths, _UNSEEN_BITS))
    return out


def _candidates(dct8: np.ndarray, step: np.ndarray, levels: str):
    """Candidate magnitudes ``(N, 63, _SIZES)`` (0 = not a candidate) for AC coefficients ``dct8``
    ``(N, 63)`` (libjpeg's integer DCT, scaled by 8) and steps ``step`` ``(63,)``: the level libjpeg
    rounds to, plus with ``"trellis"`` the largest level of each smaller size category (1, 3, 7, ...)."""
    rounded = np.abs(quantize_libjpeg(dct8, step)).astype(np.int64)
    size = size_category(rounded)
    k = np.arange(1, _SIZES + 1)
    cand = np.where(k == size[..., None], rounded[..., None], 0)
    if levels == "trellis":
        cand = np.where(k < size[..., None], (1 << k) - 1, cand)
    return cand


def quantize_blocks(dct8: np.ndarray, table: np.ndarray, lam: np.ndarray, lengths: np.ndarray,
                        levels: str) -> np.ndarray:
    """The RD-optimal AC levels of one component. ``dct8``: int ``(N, 8, 8)`` libjpeg DCT (scaled by 8);
    ``table``: ``(8, 8)``; ``lam``: ``(N,)`` lambda per block (squared error per bit); ``lengths``:
    ``(256,)`` AC code lengths. Returns int32 ``(N, 8, 8)``, the DC as libjpeg rounds it."""
    n = dct8.shape[0]
    zz8 = to_zigzag(dct8).astype(np.int64)
    zz = zz8 / 8  # orthonormal coefficients
    step = to_zigzag(table).astype(np.float64)
    x = np.abs(zz[:, 1:])
    cand = _candidates(zz8[:, 1:], to_zigzag(table)[1:], levels)
    valid = cand > 0
    dist = np.where(valid, (x[..., None] - cand * step[1:, None]) ** 2, np.inf)  # (N, 63, K)
    zero = np.concatenate([np.zeros((n, 1)), np.cumsum(x ** 2, axis=1)], axis=1)  # zero[:, i]: positions 1..i zeroed
    k = np.arange(1, _SIZES + 1)
    runs = np.arange(63)
    # bits of a nonzero coefficient of size k after a run r of zeros: ZRLs, the (run, size) code, the extra bits
    rate = (runs[:, None] // 16) * lengths[0xF0] + lengths[(runs[:, None] % 16) * 16 + k] + k  # (63, K)
    lam = lam[:, None, None]
    offset = np.zeros((n, 64))  # best J with the last nonzero at position j, minus zero[:, j]
    offset[:, 1:] = np.inf
    back = np.zeros((n, 64), dtype=np.int64)
    choice = np.zeros((n, 64), dtype=np.int64)
    reachable = np.zeros(64, dtype=bool)  # some block can have its last nonzero at position j
    reachable[0] = True
    for i in range(1, 64):
        rows = np.flatnonzero(valid[:, i - 1].any(axis=1))  # blocks that can be nonzero at position i
        if rows.size == 0:
            continue
        # predecessors j (0: the start of the block) that some block can reach; run i - j - 1
        j_all = np.flatnonzero(reachable[:i])
        terms = dist[rows, i - 1, None, :] + lam[rows] * rate[i - 1 - j_all][None]  # (n_i, len(j_all), K)
        best_k = terms.argmin(axis=2)
        total = offset[rows][:, j_all] + np.take_along_axis(terms, best_k[..., None], axis=2)[..., 0]
        j = total.argmin(axis=1)
        picked = np.arange(rows.size)
        offset[rows, i] = total[picked, j] + zero[rows, i - 1] - zero[rows, i]
        back[rows, i], choice[rows, i] = j_all[j], best_k[picked, j]
        reachable[i] = True
    eob = lam[:, 0, 0] * lengths[0x00]
    end = offset + zero[:, 63:64] + np.where(np.arange(64) < 63, eob[:, None], 0.0)
    last = end.argmin(axis=1)
    out = np.zeros((n, 64), dtype=np.int64)
    rows = np.arange(n)
    pos = last.copy()
    while (pos > 0).any():
        live = pos > 0
        r, p = rows[live], pos[live]
        out[r, p] = cand[r, p - 1, choice[r, p]]
        pos[live] = back[r, p]
    out = (out * np.sign(zz)).astype(np.int64)
    out[:, 0] = quantize_libjpeg(dct8.reshape(n, 64)[:, :1], table.reshape(64)[:1])[:, 0]
    return from_zigzag(out).astype(np.int32)


def block_activity(dct8: np.ndarray) -> np.ndarray:
    """AC energy per block (orthonormal units squared), ``(hb, wb)`` from ``(hb, wb, 8, 8)``."""
    d = np.asarray(dct8, dtype=np.float64) / 8
    return (d ** 2).sum(axis=(-1, -2)) - d[..., 0, 0] ** 2


def table_lambda(table: np.ndarray, lambda_scale: float) -> float:
    """lambda for one table: ``lambda_scale`` times the high-rate slope ``(ln 2 / 6) Q^2`` at the
    table's geometric-mean step ``Q``."""
    q2 = np.exp(np.mean(np.log(np.asarray(table, dtype=np.float64) ** 2)))
    return lambda_scale * LAMBDA_PER_STEP2 * q2


def rd_optimize(image: np.ndarray, quality: int, subsampling: str = "4:2:0", levels: str = "trellis",
                lambda_scale: float = DEFAULT_LAMBDA_SCALE, passes: int = 2, adaptive: float = 0.0) -> Coefficients:
    """RD-optimized quantized coefficients of ``uint8 (H, W, 3)`` (or ``(H, W)``) at IJG ``quality``.

    ``levels``: ``"trellis"`` or ``"threshold"``; ``lambda_scale``: lambda in units of the
    high-rate slope of the table (0: plain rounding); ``passes``: rounds of (Huffman lengths from
    the current levels, then re-quantize); ``adaptive``: exponent ``gamma`` of the per-block lambda
    weight ``(activity / median activity) ** gamma`` from the luma block's AC energy (0: off).
    """
    if levels not in ("trellis", "threshold"):
        raise ValueError(f"levels must be 'trellis' or 'threshold', got {levels!r}")
    if not (lambda_scale >= 0 and math.isfinite(lambda_scale)):
        raise ValueError(f"lambda_scale must be a finite number >= 0, got {lambda_scale!r}")
    if not isinstance(passes, int) or passes < 1:
        raise ValueError(f"passes must be a positive integer, got {passes!r}")
    image = _check_image(image)
    coefs = quantized_coefficients(image, quality, subsampling)
    if lambda_scale == 0:
        return coefs
    dcts = dct_coefficients(image, subsampling)
    weights = [np.ones(b.shape[:2]) for b in dcts]
    if adaptive:
        weights = _adaptive_weights(dcts, coefs.sampling, adaptive)
    for _ in range(passes):
        lengths = ac_code_lengths(coefs)
        blocks = []
        for c, dct8 in enumerate(dcts):
            table = coefs.tables[coefs.table_of[c]]
            lam = table_lambda(table, lambda_scale) * weights[c].reshape(-1)
            q = quantize_blocks(dct8.reshape(-1, 8, 8), table, lam, lengths[c], levels)
            blocks.append(q.reshape(dct8.shape).astype(np.int16))
        coefs = Coefficients(coefs.height, coefs.width, blocks, coefs.tables, coefs.table_of, coefs.sampling,
                             coefs.component_ids)
    return coefs


def _adaptive_weights(dcts, sampling, gamma: float) -> list[np.ndarray]:
    """Per-block lambda weights from the luma AC energy: ``(a / median a) ** gamma`` clipped to
    [1/4, 4]; chroma blocks take the mean weight of the luma blocks they cover."""
    activity = block_activity(dcts[0]) + 1.0
    luma = np.clip((activity / np.median(activity)) ** gamma, 0.25, 4.0)
    out = [luma]
    h0, v0 = sampling[0]
    for c in range(1, len(dcts)):
        h, v = sampling[c]
        fy, fx = v0 // v, h0 // h
        hb, wb = dcts[c].shape[:2]
        pad = np.pad(luma, ((0, max(0, hb * fy - luma.shape[0])), (0, max(0, wb * fx - luma.shape[1]))), mode="edge")
        out.append(pad[: hb * fy, : wb * fx].reshape(hb, fy, wb, fx).mean(axis=(1, 3)))
    return out


def encode(image: np.ndarray, quality: int, subsampling: str = "4:2:0", levels: str = "trellis",
           lambda_scale: float = DEFAULT_LAMBDA_SCALE, adaptive: float = 0.0) -> bytes:
    """:func:`rd_optimize` written as a baseline JPEG with optimized Huffman tables (any decoder reads it)."""
    return write_coefficients(rd_optimize(image, quality, subsampling, levels, lambda_scale, adaptive=adaptive),
                              optimize=True)
