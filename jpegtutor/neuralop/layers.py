"""Small building blocks shared by JENO, JDNO and their CNN baselines."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["EDSR", "ResBlock", "count_parameters", "pad_to_multiple"]


class ResBlock(nn.Module):
    """EDSR's residual block: conv 3x3, ReLU, conv 3x3, scaled skip (no batch norm)."""

    def __init__(self, channels: int, scale: float = 1.0):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(channels, channels, 3, padding=1))
        self.scale = scale

    def forward(self, x):
        return x + self.scale * self.body(x)


class EDSR(nn.Module):
    """EDSR-baseline without its upsampler: ``(B, in, H, W) -> (B, channels, H, W)`` (head, blocks, conv, long skip)."""

    def __init__(self, in_channels: int = 3, channels: int = 64, blocks: int = 16):
        super().__init__()
        self.head = nn.Conv2d(in_channels, channels, 3, padding=1)
        self.body = nn.Sequential(*[ResBlock(channels) for _ in range(blocks)], nn.Conv2d(channels, channels, 3, padding=1))

    def forward(self, x):
        x = self.head(x)
        return x + self.body(x)


def pad_to_multiple(x: torch.Tensor, multiple_h: int, multiple_w: int | None = None) -> torch.Tensor:
    """Replicate-pad the bottom and right of ``(B, C, H, W)`` to multiples of ``(multiple_h, multiple_w)``."""
    multiple_w = multiple_w or multiple_h
    ph, pw = -x.shape[-2] % multiple_h, -x.shape[-1] % multiple_w
    return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
