"""Differentiable stand-ins for rounding (and flooring).

Rounding has derivative zero almost everywhere, so a network trained through JPEG's quantizer
would receive no gradient. Each surrogate below keeps (or approximates) the forward value and
supplies a useful backward pass:

==================  ==============================  =====================================
name                forward                         backward (d out / d x)
==================  ==============================  =====================================
``hard``            ``round(x)``                    0
``ste``             ``round(x)``                    1 (straight-through, Bengio et al.)
``cubic``           ``round(x) + (x - round(x))^3`` ``3 (x - round(x))^2`` (Shin & Song)
``cubic-ste``       ``round(x)``                    ``3 (x - round(x))^2``
``noise``           ``x + u``, u ~ U(-1/2, 1/2)     1 (Balle et al.; ``round`` in eval)
``soft``            soft round with temperature     derivative of the soft round
==================  ==============================  =====================================

All functions take and return float tensors of any shape. JPEG rounds halves away from zero, so
"round" here is ``sign(x) * floor(|x| + 1/2)``, not torch's round-half-to-even.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

__all__ = [
    "ROUNDINGS",
    "cubic_round",
    "cubic_ste_round",
    "get_rounding",
    "hard_round",
    "noise_round",
    "round_half_away",
    "soft_round",
    "ste_round",
    "surrogate_floor",
]


def round_half_away(x: torch.Tensor) -> torch.Tensor:
    """Round to nearest, halves away from zero (as libjpeg's quantizer); no gradient.
    ``trunc(x + sign(x) / 2)``: the same floats as ``sign(x) floor(|x| + 1/2)`` in fewer operations."""
    return torch.trunc(x + 0.5 * torch.sign(x))


def hard_round(x: torch.Tensor) -> torch.Tensor:
    """Exact rounding; its gradient is zero everywhere (the problem the others solve)."""
    return round_half_away(x)


def ste_round(x: torch.Tensor) -> torch.Tensor:
    """Straight-through estimator: exact rounding forward, identity backward."""
    return x + (round_half_away(x) - x).detach()


def cubic_round(x: torch.Tensor) -> torch.Tensor:
    """Shin & Song (2017): ``round(x) + (x - round(x))^3``, a smooth curve through the staircase's
    centres. Its derivative ``3 (x - round x)^2`` is exactly 0 at integers."""
    r = round_half_away(x).detach()
    return r + (x - r) ** 3


def cubic_ste_round(x: torch.Tensor) -> torch.Tensor:
    """Exact rounding forward, the cubic surrogate's derivative backward."""
    r = round_half_away(x).detach()
    cubic = r + (x - r) ** 3
    return cubic + (r - cubic).detach()


def noise_round(x: torch.Tensor, training: bool = True, generator: torch.Generator | None = None) -> torch.Tensor:
    """Additive uniform noise (Balle et al., 2017) during training, exact rounding otherwise."""
    if not training:
        return round_half_away(x)
    noise = torch.rand(x.shape, generator=generator, device="cpu" if generator is not None else x.device,
                       dtype=x.dtype).to(x.device) - 0.5
    return x + noise


def soft_round(x: torch.Tensor, alpha: float = 5.0) -> torch.Tensor:
    """Agustsson & Theis (2020): ``m + tanh(alpha r) / (2 tanh(alpha / 2))``, ``m = floor(x) + 1/2``,
    ``r = x - m``. Tends to the identity as ``alpha -> 0`` and to rounding as ``alpha -> inf``."""
    if alpha <= 0:
        raise ValueError(f"alpha must be positive, got {alpha}")
    if alpha < 1e-3:
        return x
    m = torch.floor(x).detach() + 0.5
    r = x - m
    return m + torch.tanh(alpha * r) / (2 * math.tanh(alpha / 2))


ROUNDINGS: dict[str, Callable[..., torch.Tensor]] = {
    "hard": hard_round,
    "ste": ste_round,
    "cubic": cubic_round,
    "cubic-ste": cubic_ste_round,
    "noise": noise_round,
    "soft": soft_round,
}


def get_rounding(name: str, **options) -> Callable[[torch.Tensor], torch.Tensor]:
    """A rounding surrogate by name (see the module table); options go to the function (``alpha``)."""
    if name not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {sorted(ROUNDINGS)}, got {name!r}")
    fn = ROUNDINGS[name]
    return (lambda x: fn(x, **options)) if options else fn


def surrogate_floor(x: torch.Tensor, rounding: str | Callable = "ste", **options) -> torch.Tensor:
    """``floor(x)`` exactly in the forward pass, with the gradient of a rounding surrogate.

    Building floor as ``round(x - 1/2)`` is off by one at exact integers (``floor(3) = 3`` but
    ``round(2.5)`` may give 2 or 3): table entries computed by the IJG formula land on integers
    often, so the forward value is taken from ``torch.floor`` and only the backward pass comes from
    the surrogate, evaluated at ``x - 1/2``.
    """
    fn = get_rounding(rounding, **options) if isinstance(rounding, str) else rounding
    if fn is ste_round:  # the same values in three operations instead of eleven (the simulator's hot path)
        return x + (torch.floor(x) - x).detach()
    if fn is hard_round:
        return torch.floor(x).detach()
    smooth = fn(x - 0.5)
    return smooth + (torch.floor(x) - smooth).detach()
