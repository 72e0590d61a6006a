"""Chroma subsampling and upsampling.

Teaching path: ``box_downsample`` averages each ``fv x fh`` box; ``nearest_upsample`` repeats samples.

libjpeg-exact path:

- ``downsample_libjpeg`` replicates the right edge out to the padded width, averages 2x1 or 2x2
  boxes and rounds with an alternating bias (0, 1, 0, 1... for 2x1; 1, 2, 1, 2... for 2x2) so
  that rounding does not drift upwards on average;
- ``upsample_libjpeg`` is libjpeg's default "fancy" upsampling: each output sample is a 3:1
  weighted mix of the nearest and the next-nearest input sample (triangle filter), in one or both
  directions, with its own alternating rounding; the first and last row and column reuse the edge
  sample. Components 1 or 2 samples wide are upsampled by replication, as libjpeg does.
"""

from __future__ import annotations

import numpy as np

__all__ = ["box_downsample", "downsample_libjpeg", "nearest_upsample", "upsample_libjpeg"]


def box_downsample(plane: np.ndarray, fh: int, fv: int) -> np.ndarray:
    """Mean of each ``fv x fh`` box of a ``(H, W)`` float plane (edges replicated to whole boxes)."""
    plane = np.asarray(plane, dtype=np.float64)
    h, w = plane.shape
    padded = np.pad(plane, ((0, -h % fv), (0, -w % fh)), mode="edge")
    return padded.reshape(padded.shape[0] // fv, fv, padded.shape[1] // fh, fh).mean(axis=(1, 3))


def nearest_upsample(plane: np.ndarray, fh: int, fv: int, height: int, width: int) -> np.ndarray:
    """Repeat each sample ``fv x fh`` times and crop to ``(height, width)``."""
    return np.repeat(np.repeat(plane, fv, axis=0), fh, axis=1)[:height, :width]


def downsample_libjpeg(plane: np.ndarray, fh: int, fv: int, out_width: int) -> np.ndarray:
    """libjpeg's ``h2v1``/``h2v2``/full-size downsampling of a ``uint8 (H, W)`` plane.

    ``H`` must already be a multiple of ``fv`` (libjpeg pads the row group first).
    ``out_width``: the component's padded width (``width_in_blocks * 8``). Returns ``int32 (H // fv, out_width)``.
    """
    h, w = plane.shape
    full = out_width * fh
    wide = np.empty((h, max(full, w)), dtype=np.int32)
    wide[:, :w] = plane
    wide[:, w:] = plane[:, -1:]  # expand_right_edge
    wide = wide[:, :full]
    if fh == 1 and fv == 1:
        return wide
    if fh == 2 and fv == 1:
        bias = np.tile([0, 1], out_width // 2 + 1)[:out_width]
        return (wide[:, 0::2] + wide[:, 1::2] + bias) >> 1
    if fh == 2 and fv == 2:
        bias = np.tile([1, 2], out_width // 2 + 1)[:out_width]
        return (wide[0::2, 0::2] + wide[0::2, 1::2] + wide[1::2, 0::2] + wide[1::2, 1::2] + bias) >> 2
    raise ValueError(f"unsupported sampling ratio {fh}x{fv}; libjpeg's simple cases are 1x1, 2x1, 2x2")


def _fancy_h(rows: np.ndarray, width: int) -> np.ndarray:
    """h2v1 fancy upsampling of int rows ``(R, w)`` (``w > 2``) to ``(R, 2w)``."""
    x = rows
    out = np.empty((x.shape[0], 2 * x.shape[1]), dtype=np.int32)
    left = np.concatenate([x[:, :1], x[:, :-1]], axis=1)
    right = np.concatenate([x[:, 1:], x[:, -1:]], axis=1)
    out[:, 0::2] = (3 * x + left + 1) >> 2
    out[:, 1::2] = (3 * x + right + 2) >> 2
    out[:, 0] = x[:, 0]  # first and last columns: the edge sample itself
    out[:, -1] = x[:, -1]
    return out


def _fancy_hv(plane: np.ndarray) -> np.ndarray:
    """h2v2 fancy upsampling of an int plane ``(h, w)`` (``w > 2``) to ``(2h, 2w)``."""
    above = np.concatenate([plane[:1], plane[:-1]], axis=0)
    below = np.concatenate([plane[1:], plane[-1:]], axis=0)
    out = np.empty((2 * plane.shape[0], 2 * plane.shape[1]), dtype=np.int32)
    for v, other in ((0, above), (1, below)):
        colsum = 3 * plane + other  # vertical 3:1 mix, scaled by 4
        left = np.concatenate([colsum[:, :1], colsum[:, :-1]], axis=1)
        right = np.concatenate([colsum[:, 1:], colsum[:, -1:]], axis=1)
        rows = out[v::2]
        rows[:, 0::2] = (3 * colsum + left + 8) >> 4
        rows[:, 1::2] = (3 * colsum + right + 7) >> 4
        rows[:, 0] = (4 * colsum[:, 0] + 8) >> 4
        rows[:, -1] = (4 * colsum[:, -1] + 7) >> 4
    return out


def upsample_libjpeg(plane: np.ndarray, fh: int, fv: int, height: int, width: int) -> np.ndarray:
    """libjpeg-turbo's default upsampling of a decoded component to the image size.

    ``plane``: the component's real samples ``(ceil(height * v / vmax), ceil(width * h / hmax))``
    (``fh = hmax / h``, ``fv = vmax / v``). Returns ``int32 (height, width)``.
    """
    plane = np.asarray(plane, dtype=np.int32)
    if (fh, fv) == (1, 1):
        return plane[:height, :width]
    if (fh, fv) == (1, 2):  # h1v2: vertical triangle filter, bias 1 (above) and 2 (below)
        above = np.concatenate([plane[:1], plane[:-1]], axis=0)
        below = np.concatenate([plane[1:], plane[-1:]], axis=0)
        out = np.empty((2 * plane.shape[0], plane.shape[1]), dtype=np.int32)
        out[0::2] = (3 * plane + above + 1) >> 2
        out[1::2] = (3 * plane + below + 2) >> 2
        return out[:height, :width]
    if (fh, fv) in ((2, 1), (2, 2)) and plane.shape[1] > 2:
        return (_fancy_h(plane, width) if fv == 1 else _fancy_hv(plane))[:height, :width]
    return nearest_upsample(plane, fh, fv, height, width)  # libjpeg replicates in the other cases
