"""The trainer's demo editor: a deliberately small residual CNN, trained through the simulator.

Three 3x3 convolutions, 16 channels, the last one zero-initialised so the editor starts as the
identity, trained through the differentiable simulator (exact mode, straight-through) with the
closed-form rate proxy of Part III: ``loss = MSE(JPEG(edit(x)), x) + rate_weight * log2(1 + |c| / Q)``
per pixel. It exists so that the trainer, the appendix and the tests have a real model before the
editors of Part IV; no weights ship with it (train it: ``jpegtutor train tiny --out runs/tiny``).
"""

from __future__ import annotations

import functools

import torch

from .. import registry
from ..diff import quality_to_tables, simulate_with_coefficients
from ..rate import log_proxy
from ..runtime import seed_everything
from ..train import PROFILES, Trainer, TrainConfig

__all__ = ["OPTIONS", "TinyEditor", "build", "tiny_loss", "train"]

OPTIONS = {"channels": 16, "rate_weight": 0.02}


class TinyEditor(torch.nn.Module):
    """``(B, 3, H, W)`` in [0, 1] (and an ignored quality ``(B,)``) -> edited image, same shape, in [0, 1]."""

    def __init__(self, channels: int = 16):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(3, channels, 3, padding=1, padding_mode="reflect"), torch.nn.LeakyReLU(0.2),
            torch.nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect"), torch.nn.LeakyReLU(0.2),
            torch.nn.Conv2d(channels, 3, 3, padding=1, padding_mode="reflect"),
        )
        torch.nn.init.zeros_(self.body[-1].weight)
        torch.nn.init.zeros_(self.body[-1].bias)

    def forward(self, x: torch.Tensor, quality: torch.Tensor | None = None) -> torch.Tensor:
        return (x + self.body(x)).clamp(0, 1)


def tiny_loss(model: torch.nn.Module, images: torch.Tensor, qualities: torch.Tensor, rate_weight: float = 0.02) -> dict:
    """Loss terms of the tiny editor; ``loss`` is what is minimized (means over the batch)."""
    edited = model(images)
    decoded, coefficients = simulate_with_coefficients(edited, qualities)
    distortion = ((decoded - images) ** 2).mean()
    tables = quality_to_tables(qualities)
    pixels = images.shape[-1] * images.shape[-2]
    rate = (log_proxy(coefficients, tables) / pixels).mean()
    return {"loss": 255.0**2 * distortion / 100.0 + rate_weight * rate, "mse_255": 255.0**2 * distortion, "rate_proxy_bpp": rate}


def build(channels: int = 16, rate_weight: float = 0.02):
    """``(model, loss)`` for the trainer."""
    return TinyEditor(channels), functools.partial(tiny_loss, rate_weight=rate_weight)


def train(out, profile: str = "quick", max_steps: int | None = None, seed: int | None = None, resume: bool = False,
          echo=print, overwrite: bool = False, **settings) -> dict:
    """One trainer run in ``out`` (``final.pt``: the weights). ``settings``: :data:`OPTIONS` and any
    :class:`~jpegtutor.train.TrainConfig` field. Returns the last log record."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)} for tiny, got {profile!r}")
    options = {k: settings.pop(k) for k in list(settings) if k in OPTIONS}
    config = {**PROFILES[profile], **settings}
    if max_steps is not None:
        config["max_steps"] = max_steps
    if seed is not None:
        config["seed"] = seed
    config = TrainConfig(model="tiny", options=options, **config)
    seed_everything(config.seed)
    model, loss = build(**options)
    return Trainer(model, loss, config, out, resume=resume, echo=echo, overwrite=overwrite).run()


def load(checkpoint=None):
    """The ``edit`` function of a trained tiny editor (``checkpoint``: a ``final.pt`` of ``jpegtutor train tiny``)."""
    from .. import zoo
    from .run import network_editor

    if checkpoint is None:
        raise ValueError("no weights ship with the tiny editor: train it (jpegtutor train tiny --out runs/tiny) "
                         "and pass --checkpoint runs/tiny/final.pt")
    state = zoo.load_state(file=checkpoint)
    channels = state["body.0.weight"].shape[0] if "body.0.weight" in state else None
    if channels is None:
        raise ValueError(f"{checkpoint} holds no tiny editor weights (keys like {sorted(state)[:2]})")
    model = TinyEditor(channels)
    model.load_state_dict(state)
    return network_editor(model, "tiny")

registry.register_editor(registry.Editor(
    "tiny", "the trainer's demo editor (3 convolutions); no shipped weights: pass --checkpoint", load=load,
    points=(10, 20, 30, 40, 50), trained_range=(10, 50), train=train,
    missing=lambda: "no weights ship with the tiny editor: train it (jpegtutor train tiny --out runs/tiny) and pass --checkpoint", profiles=tuple(PROFILES), options=dict(OPTIONS), build=build,
    step_settings={k: v for k, v in PROFILES["quick"].items() if k in ("crop", "batch", "lr", "qualities")}))
