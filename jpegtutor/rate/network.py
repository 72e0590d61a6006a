"""A learned rate network: predicts the exact bits of every 8x8 block.

In the spirit of Ye et al.'s rate estimation network: a small CNN trained to regress the real
bits (here per block, from :func:`jpegtutor.rate.exact_rate`, standard Huffman tables) from
what the quantizer sees. Input per block: ``log(1 + |c / Q|)`` of its 64 coefficients and the
component (one-hot); a 3x3 convolution over neighbouring blocks supplies the context the DC
difference coding and the run-lengths depend on. Output: bits per block (softplus, >= 0).
"""

from __future__ import annotations

import torch

from .proxies import scaled_coefficients

__all__ = ["RateNetwork"]


class RateNetwork(torch.nn.Module):
    """``forward(coefficients, tables) -> bits (B,)``; :meth:`block_bits` gives ``[(B, hb, wb)]`` per component."""

    def __init__(self, width: int = 64):
        super().__init__()
        self.width = width
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(64 + 3, width, 1), torch.nn.GELU(),
            torch.nn.Conv2d(width, width, 3, padding=1), torch.nn.GELU(),
            torch.nn.Conv2d(width, width, 1), torch.nn.GELU(),
            torch.nn.Conv2d(width, 1, 1),
        )

    def block_bits(self, coefficients, tables) -> list[torch.Tensor]:
        out = []
        for k, s in enumerate(scaled_coefficients(coefficients, tables)):
            b, hb, wb, _ = s.shape
            features = torch.log1p(s.abs()).permute(0, 3, 1, 2)
            onehot = torch.zeros(b, 3, hb, wb, dtype=s.dtype, device=s.device)
            onehot[:, k] = 1.0
            out.append(torch.nn.functional.softplus(self.net(torch.cat([features, onehot], 1)))[:, 0] * 8.0)
        return out

    def forward(self, coefficients, tables) -> torch.Tensor:
        return sum(bits.sum((1, 2)) for bits in self.block_bits(coefficients, tables))
