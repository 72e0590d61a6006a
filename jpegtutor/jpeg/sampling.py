"""Chroma subsampling and upsampling.

Teaching path: ``box_downsample`` averages each ``fv x fh`` box; ``nearest_upsample`` repeats samples.

libjpeg-exact path (written once: integers for the codec, float tensors with a surrogate floor for
the simulator, see :func:`jpegtutor.jpeg._array.floor_shift`):

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

from . import _array as A

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


def downsample_libjpeg(plane, fh: int, fv: int, out_width: int, floor=None):
    """libjpeg's ``h2v1``/``h2v2``/full-size downsampling of 8-bit planes ``(..., H, W)``.

    NumPy arrays or torch tensors of integers (int64 out), or float tensors with a surrogate
    ``floor`` (the simulator; float out). ``H`` must already be a multiple of ``fv`` (libjpeg pads
    the row group first). ``out_width``: the component's padded width (``width_in_blocks * 8``).
    Returns ``(..., H // fv, out_width)``.
    """
    w = plane.shape[-1]
    full = out_width * fh
    wide = A.extend_edge(plane if floor is not None else A.as_int64(plane), full - w, -1)[..., :full]  # expand_right_edge
    if fh == 1 and fv == 1:
        return wide
    index = A.arange_like(out_width, wide)
    if fh == 2 and fv == 1:
        return A.floor_shift(wide[..., 0::2] + wide[..., 1::2] + (index & 1), 1, floor)  # bias 0, 1, 0, 1, ...
    if fh == 2 and fv == 2:
        total = wide[..., 0::2, 0::2] + wide[..., 0::2, 1::2] + wide[..., 1::2, 0::2] + wide[..., 1::2, 1::2]
        return A.floor_shift(total + 1 + (index & 1), 2, floor)  # bias 1, 2, 1, 2, ...
    raise ValueError(f"unsupported sampling ratio {fh}x{fv}; libjpeg's simple cases are 1x1, 2x1, 2x2")


def _fancy_h(x, floor=None):
    """h2v1 fancy upsampling of rows ``(..., w)`` (``w > 2``) to ``(..., 2w)``."""
    left, right = A.neighbours(x, -1)  # the first column's left neighbour is itself, the last's right one too
    three = 3 * x
    even = A.floor_shift(three + left + 1, 2, floor)
    odd = A.floor_shift(three + right + 2, 2, floor)
    return A.interleave(even, odd, -1)


def _fancy_hv(plane, floor=None):
    """h2v2 fancy upsampling of planes ``(..., h, w)`` (``w > 2``) to ``(..., 2h, 2w)``."""
    three = 3 * plane
    rows = []
    for other in A.neighbours(plane, -2):  # row above, row below
        colsum = three + other  # vertical 3:1 mix, scaled by 4
        left, right = A.neighbours(colsum, -1)
        three_colsum = 3 * colsum
        even = A.floor_shift(three_colsum + left + 8, 4, floor)
        odd = A.floor_shift(three_colsum + right + 7, 4, floor)
        rows.append(A.interleave(even, odd, -1))
    return A.interleave(rows[0], rows[1], -2)


def upsample_libjpeg(plane, fh: int, fv: int, height: int, width: int, floor=None):
    """libjpeg-turbo's default upsampling of decoded components to the image size.

    ``plane``: the component's real samples ``(..., ceil(height * v / vmax), ceil(width * h / hmax))``
    (``fh = hmax / h``, ``fv = vmax / v``): NumPy or torch integers (int64 out), or float tensors
    with a surrogate ``floor`` (the simulator). Returns ``(..., height, width)``.
    """
    if floor is None:
        plane = A.as_int64(plane)
    if (fh, fv) == (1, 1):
        return plane[..., :height, :width]
    if (fh, fv) == (1, 2):  # h1v2: vertical triangle filter, bias 1 (above) and 2 (below)
        above, below = A.neighbours(plane, -2)
        up = A.floor_shift(3 * plane + above + 1, 2, floor)
        down = A.floor_shift(3 * plane + below + 2, 2, floor)
        return A.interleave(up, down, -2)[..., :height, :width]
    if (fh, fv) in ((2, 1), (2, 2)) and plane.shape[-1] > 2:
        return (_fancy_h(plane, floor) if fv == 1 else _fancy_hv(plane, floor))[..., :height, :width]
    return _repeat(plane, fh, fv)[..., :height, :width]  # libjpeg replicates in the other cases


def _repeat(plane, fh: int, fv: int):
    if A.is_torch(plane):
        return plane.repeat_interleave(fv, dim=-2).repeat_interleave(fh, dim=-1)
    return np.repeat(np.repeat(plane, fv, axis=-2), fh, axis=-1)
