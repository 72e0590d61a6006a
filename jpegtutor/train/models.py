"""Models the trainer knows by name: ``MODELS[name](**options) -> (network, loss)``, where
``loss(network, images, qualities) -> dict`` of named terms (``loss`` is minimized); a loss that
is an ``nn.Module`` (holding frozen networks) is moved to the training device with the network.
Options come from ``TrainConfig.options``; :func:`build_model` checks them by name.

``tiny``: a deliberately small residual editor (three 3x3 convolutions, 16 channels, the last one
zero-initialised so the editor starts as the identity), trained through the differentiable
simulator (exact mode, straight-through) with the closed-form rate proxy of Part III:
``loss = MSE(JPEG(edit(x)), x) + rate_weight * log2(1 + |c| / Q) per pixel``. It exists so that the
trainer, the appendix and the tests have a real model before the editors of Part IV.
"""

from __future__ import annotations

import functools
import inspect

import torch

from ..diff import dct_coefficients, quality_to_tables, simulate
from ..editors.talebi import build as build_talebi
from ..rate import log_proxy

__all__ = ["MODELS", "TinyEditor", "build_model", "tiny_loss"]


class TinyEditor(torch.nn.Module):
    """``(B, 3, H, W)`` in [0, 1] -> edited image, same shape, clamped to [0, 1]."""

    def __init__(self, channels: int = 16):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(3, channels, 3, padding=1, padding_mode="reflect"), torch.nn.LeakyReLU(0.2),
            torch.nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect"), torch.nn.LeakyReLU(0.2),
            torch.nn.Conv2d(channels, 3, 3, padding=1, padding_mode="reflect"),
        )
        torch.nn.init.zeros_(self.body[-1].weight)
        torch.nn.init.zeros_(self.body[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x + self.body(x)).clamp(0, 1)


def tiny_loss(model: torch.nn.Module, images: torch.Tensor, qualities: torch.Tensor, rate_weight: float = 0.02) -> dict:
    """Loss terms of the tiny editor; ``loss`` is what is minimized (means over the batch)."""
    edited = model(images)
    decoded = simulate(edited, qualities)
    distortion = ((decoded - images) ** 2).mean()
    tables = quality_to_tables(qualities)
    pixels = images.shape[-1] * images.shape[-2]
    rate = (log_proxy(dct_coefficients(edited), tables) / pixels).mean()
    return {"loss": 255.0**2 * distortion / 100.0 + rate_weight * rate, "mse_255": 255.0**2 * distortion, "rate_proxy_bpp": rate}


def _tiny(channels: int = 16, rate_weight: float = 0.02):
    return TinyEditor(channels), functools.partial(tiny_loss, rate_weight=rate_weight)


# name -> builder(**options) -> (model, loss(model, images, qualities) -> dict of terms)
MODELS = {"tiny": _tiny, "talebi": build_talebi}


def build_model(name: str, options: dict | None = None, check_only: bool = False):
    """``(model, loss)`` of a named model; unknown names or options raise a ValueError listing the valid ones."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; available: {sorted(MODELS)}")
    options = dict(options or {})
    builder = MODELS[name]
    allowed = list(inspect.signature(builder).parameters)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"model {name!r} has no option(s) {unknown}; its options: {allowed}")
    return None if check_only else builder(**options)
