"""Layers the editors share."""

from __future__ import annotations

import torch

__all__ = ["constant_channels"]


def constant_channels(image: torch.Tensor, *values: torch.Tensor) -> torch.Tensor:
    """Append one constant channel per value: ``(B, C, H, W)`` and ``(B,)`` tensors -> ``(B, C + n, H, W)``."""
    b, _, h, w = image.shape
    planes = [v.to(image.dtype).reshape(b, 1, 1, 1).expand(b, 1, h, w) for v in values]
    return torch.cat([image, *planes], dim=1)
