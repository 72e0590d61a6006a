"""Peak signal-to-noise ratio, on RGB and on luma (Y)."""

from __future__ import annotations

import torch

from ..jpeg.color import rgb_to_y
from ._checks import check_pair

__all__ = ["mse", "psnr", "psnr_y"]


def mse(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error per image: ``(B, 3, H, W)`` pairs in ``[0, 1]`` to ``(B,)``."""
    x, y = check_pair(x, y, "mse")
    return (x.double() - y.double()).pow(2).flatten(1).mean(1).to(x.dtype)


def _psnr_from_mse(err: torch.Tensor) -> torch.Tensor:
    return 10.0 * torch.log10(1.0 / err)  # inf for identical images


def psnr(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """PSNR in dB over all three RGB channels, per image.

    ``x``, ``y``: ``(B, 3, H, W)`` (or ``(3, H, W)``) float in ``[0, 1]``; returns ``(B,)``.
    ``10 log10(1 / MSE)``: the same number as with 8-bit values and a peak of 255. Identical
    images give ``inf``. The MSE is accumulated in float64.
    """
    x, y = check_pair(x, y, "psnr")
    err = (x.double() - y.double()).pow(2).flatten(1).mean(1)
    return _psnr_from_mse(err).to(x.dtype)


def psnr_y(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """PSNR in dB on luma ``Y = 0.299 R + 0.587 G + 0.114 B`` (full range, as JPEG codes it).

    Same shapes and range as :func:`psnr`. Note: super-resolution papers often use the studio-range
    Y of MATLAB's ``rgb2ycbcr`` (16-235), which gives different numbers.
    """
    x, y = check_pair(x, y, "psnr_y")
    err = (rgb_to_y(x.double()) - rgb_to_y(y.double())).pow(2).flatten(1).mean(1)
    return _psnr_from_mse(err).to(x.dtype)
