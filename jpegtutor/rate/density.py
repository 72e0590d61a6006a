"""Balle et al.'s factorized density: a learned probability model for each (component, frequency).

Balle, Minnen, Singh, Hwang and Johnston ("Variational image compression with a scale hyperprior",
ICLR 2018, appendix 6.1) model each channel's density by its cumulative distribution, a small
monotone network ``R -> (0, 1)``. The probability of an integer symbol ``q`` is
``cdf(q + 1/2) - cdf(q - 1/2)`` and its cost ``-log2`` of that. During training the rounding is
replaced by additive uniform noise, so that the expected cost is differentiable. Talebi et al.
use this rate term on ``c / Q``, the coefficients divided by the table, one density per
frequency; here there is one per (component, frequency): 3 x 64 = 192 densities.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..diff.rounding import round_half_away
from .proxies import scaled_coefficients

__all__ = ["FactorizedDensity"]


class FactorizedDensity(torch.nn.Module):
    """``forward(coefficients, tables) -> bits (B,)``; see the module docstring.

    ``training`` (the module's mode) adds uniform noise to ``c / Q``; in eval mode the symbols are
    rounded with a straight-through gradient, so the cost is that of the real symbols.
    """

    def __init__(self, channels: int = 192, filters=(3, 3, 3), init_scale: float = 10.0, likelihood_bound: float = 1e-9):
        super().__init__()
        self.channels, self.likelihood_bound = channels, likelihood_bound
        sizes = (1, *filters, 1)
        scale = init_scale ** (1 / (len(filters) + 1))
        self.matrices = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        self.factors = torch.nn.ParameterList()
        for i in range(len(filters) + 1):
            init = torch.log(torch.expm1(torch.tensor(1 / scale / sizes[i + 1])))
            self.matrices.append(torch.nn.Parameter(torch.full((channels, sizes[i + 1], sizes[i]), float(init))))
            self.biases.append(torch.nn.Parameter(torch.rand(channels, sizes[i + 1], 1) - 0.5))
            if i < len(filters):
                self.factors.append(torch.nn.Parameter(torch.zeros(channels, sizes[i + 1], 1)))

    def forward(self, coefficients, tables) -> torch.Tensor:
        scaled = scaled_coefficients(coefficients, tables)
        if len(scaled) * 64 != self.channels:
            raise ValueError(f"this density has {self.channels} channels, the input has {len(scaled)} components x 64")
        total = 0
        for k, s in enumerate(scaled):
            b = s.shape[0]
            if self.training:
                values = s + torch.rand_like(s) - 0.5
            else:
                values = s + (round_half_away(s.detach()) - s).detach()
            channel_values = values.reshape(b, -1, 64).permute(2, 0, 1).reshape(64, -1)  # (64, B * blocks)
            bits = self.symbol_bits(k, channel_values).reshape(64, b, -1)
            total = total + bits.sum((0, 2))
        return total

    def symbol_bits(self, component: int, values: torch.Tensor) -> torch.Tensor:
        """Bits of each value (noisy or integer) for the 64 densities of one component:
        ``values``: ``(64, N)`` -> ``(64, N)``."""
        x = values[:, None, :]
        sl = slice(64 * component, 64 * component + 64)
        lower, upper = x - 0.5, x + 0.5
        for i, (matrix, bias) in enumerate(zip(self.matrices, self.biases)):
            m, bb = F.softplus(matrix[sl]), bias[sl]
            lower, upper = torch.matmul(m, lower) + bb, torch.matmul(m, upper) + bb
            if i < len(self.factors):
                f = torch.tanh(self.factors[i][sl])
                lower, upper = lower + f * torch.tanh(lower), upper + f * torch.tanh(upper)
        sign = -torch.sign(lower + upper).detach()
        likelihood = (torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower)).abs()
        return -torch.log2(likelihood.clamp_min(self.likelihood_bound))[:, 0, :]
