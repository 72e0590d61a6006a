"""Input validation shared by every metric: clear errors instead of failures deep in torch."""

from __future__ import annotations

import torch

from ..checks import check_image_tensor


def check_pair(x: torch.Tensor, y: torch.Tensor, metric: str, *, min_side: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate two image batches and return them as ``(B, 3, H, W)`` float tensors.

    Accepts ``(3, H, W)`` (one image) or ``(B, 3, H, W)``, float, values in ``[0, 1]``, equal shapes,
    sides of at least ``min_side`` pixels.
    """
    for name, t in (("x", x), ("y", y)):
        check_image_tensor(t, metric, name)
    if x.shape != y.shape:
        raise ValueError(f"{metric}: x and y must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    if x.device != y.device:
        raise ValueError(f"{metric}: x and y are on different devices ({x.device} and {y.device})")
    h, w = x.shape[-2:]
    if min(h, w) < min_side:
        raise ValueError(f"{metric} needs images of at least {min_side}x{min_side} pixels, got {h}x{w}")
    if x.ndim == 3:
        x, y = x.unsqueeze(0), y.unsqueeze(0)
    return x, y
