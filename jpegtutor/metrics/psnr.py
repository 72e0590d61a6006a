"""Peak signal-to-noise ratio, on RGB and on luma (Y)."""

from __future__ import annotations

import torch

from ..jpeg.color import rgb_to_y
from ._checks import check_pair

__all__ = ["blocking_effect", "mse", "psnr", "psnr_b", "psnr_y"]


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


def blocking_effect(x: torch.Tensor, block: int = 8) -> torch.Tensor:
    """Yim and Bovik's blocking effect factor of decoded images ``(B, C, H, W)`` in [0, 1], per image
    and channel ``(B, C)``: ``eta (D_B - D_Bc)`` where ``D_B`` is the mean squared step across block
    boundaries, ``D_Bc`` across the other neighbour pairs, ``eta = log2(block) / log2(min(H, W))``
    (zero when the boundaries are no sharper than the rest)."""
    x = x.double()
    h, w = x.shape[-2:]
    dh = (x[..., :, 1:] - x[..., :, :-1]).pow(2)  # step between columns j and j + 1
    dv = (x[..., 1:, :] - x[..., :-1, :]).pow(2)
    at_h = torch.zeros(w - 1, dtype=torch.bool, device=x.device)
    at_h[block - 1::block] = True
    at_v = torch.zeros(h - 1, dtype=torch.bool, device=x.device)
    at_v[block - 1::block] = True
    boundary = torch.cat([dh[..., at_h].flatten(2), dv[..., at_v, :].flatten(2)], dim=2).mean(2)
    inner = torch.cat([dh[..., ~at_h].flatten(2), dv[..., ~at_v, :].flatten(2)], dim=2).mean(2)
    eta = torch.log2(torch.tensor(float(block))) / torch.log2(torch.tensor(float(min(h, w))))
    return torch.where(boundary > inner, eta * (boundary - inner), torch.zeros_like(boundary))


def psnr_b(decoded: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """PSNR-B (Yim and Bovik 2011) in dB per image: ``10 log10(1 / (MSE + BEF))`` per channel (the
    blocking effect factor of ``decoded``, :func:`blocking_effect`), averaged over the channels.
    Same shapes and range as :func:`psnr`; lower than PSNR when block edges show."""
    decoded, original = check_pair(decoded, original, "psnr_b")
    err = (decoded.double() - original.double()).pow(2).flatten(2).mean(2) + blocking_effect(decoded)
    return _psnr_from_mse(err).mean(1).to(decoded.dtype)
