"""SSIM and MS-SSIM, computed by ``pytorch-msssim`` (Gaussian window 11, sigma 1.5, as in Wang et al.).

We wrap the library rather than re-implementing it: it is differentiable, fast and widely used,
so numbers agree with other papers that use it. The wrapper adds input checks.
"""

from __future__ import annotations

import torch
from pytorch_msssim import ms_ssim as _ms_ssim
from pytorch_msssim import ssim as _ssim

from ._checks import check_pair

__all__ = ["MS_SSIM_MIN_SIDE", "ms_ssim", "ssim"]

WIN_SIZE = 11
# MS-SSIM downsamples 4 times by 2, and the coarsest scale still needs a full window.
MS_SSIM_MIN_SIDE = (WIN_SIZE - 1) * 2**4 + 1


def ssim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """SSIM per image, averaged over RGB channels: ``(B, 3, H, W)`` in ``[0, 1]`` to ``(B,)``.

    Needs images of at least 11x11 pixels.
    """
    x, y = check_pair(x, y, "ssim", min_side=WIN_SIZE)
    return _ssim(x, y, data_range=1.0, size_average=False, win_size=WIN_SIZE)


def ms_ssim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """MS-SSIM per image (5 scales, standard weights): ``(B, 3, H, W)`` in ``[0, 1]`` to ``(B,)``.

    Needs images of at least 161x161 pixels (crop larger, or use :func:`ssim`).
    """
    x, y = check_pair(x, y, "ms_ssim", min_side=MS_SSIM_MIN_SIDE)
    return _ms_ssim(x, y, data_range=1.0, size_average=False, win_size=WIN_SIZE)
