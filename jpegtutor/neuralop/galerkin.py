"""Galerkin attention (Cao 2021) and the neural operator built from it (Wei & Zhang's SRNO, JPNeO's G_phi).

Softmax attention ``softmax(Q K^T / sqrt(d)) V`` costs ``n^2`` for ``n`` tokens. Galerkin attention
drops the softmax, normalises keys and values instead (a layer norm on each head's ``K`` and
``V``) and reassociates the product:

    attention(Q, K, V) = Q (K^T V) / n        # (n, d) (d, d): linear in n

so every token of a whole image (a function sampled on a grid) can attend to every other one. Read
as an integral operator, ``(K^T V) / n`` is a quadrature of ``int k(y) v(y) dy`` over the domain,
and ``Q`` projects onto that learned basis: a Petrov-Galerkin projection, hence the name.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["GalerkinAttention", "GalerkinBlock", "NeuralOperator", "galerkin_attention"]


def galerkin_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``q (K^T v) / n`` per head: ``(B, heads, n, d)`` each -> ``(B, heads, n, d)`` (no normalisation here)."""
    if not (q.shape == k.shape == v.shape) or q.ndim != 4:
        raise ValueError(f"q, k, v must share one (B, heads, n, d) shape, got {tuple(q.shape)}, {tuple(k.shape)}, "
                         f"{tuple(v.shape)}")
    return q @ (k.transpose(-2, -1) @ v) / q.shape[-2]


class GalerkinAttention(nn.Module):
    """Multi-head Galerkin attention on ``(B, n, dim)`` tokens: layer norm on each head's K and V."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be a multiple of heads ({heads})")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.norm_k = nn.LayerNorm(dim // heads)
        self.norm_v = nn.LayerNorm(dim // heads)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, dim = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        return self.out(galerkin_attention(q, self.norm_k(k), self.norm_v(v)).transpose(1, 2).reshape(b, n, dim))


class GalerkinBlock(nn.Module):
    """``x + attention(x)``, then ``+ MLP``: one kernel-integral iteration of the operator."""

    def __init__(self, dim: int, heads: int, expansion: int = 2):
        super().__init__()
        self.attention = GalerkinAttention(dim, heads)
        self.mlp = nn.Sequential(nn.Linear(dim, expansion * dim), nn.GELU(), nn.Linear(expansion * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(x)
        return x + self.mlp(x)


class NeuralOperator(nn.Module):
    """``(B, in_channels, H, W) -> (B, out_channels, H, W)``: lift (1x1), Galerkin blocks over all
    ``H W`` points, project (a two-layer 1x1 MLP). The last layer starts at zero (the operator
    first adds nothing to what it corrects)."""

    def __init__(self, in_channels: int, out_channels: int, width: int = 64, heads: int = 8, layers: int = 2):
        super().__init__()
        self.lift = nn.Linear(in_channels, width)
        self.blocks = nn.ModuleList(GalerkinBlock(width, heads) for _ in range(layers))
        self.project = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.Linear(width, out_channels))
        nn.init.zeros_(self.project[-1].weight)
        nn.init.zeros_(self.project[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        tokens = self.lift(x.flatten(2).transpose(1, 2))
        for block in self.blocks:
            tokens = block(tokens)
        return self.project(tokens).transpose(1, 2).reshape(b, -1, h, w)
