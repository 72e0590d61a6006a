"""Training Talebi et al.'s editor: the denoising pre-training and the paper's four stages as trainer runs.

    jpegtutor train talebi --profile quick|cpu|full --out runs/talebi
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch
from torch import nn

from ...files import write_json, write_with
from ...runtime import seed_everything
from ...train import Trainer, TrainConfig
from ..loss import PreEditLoss
from .model import MAX_SIGMA, PARTS, TalebiEditor

__all__ = ["CHECKPOINT", "OPTIONS", "PROFILES", "RECIPE", "build", "denoise_loss", "stage_seconds", "train"]

CHECKPOINT = "talebi.pt"  # the recipe's output in its run folder, with its card talebi.json


def denoise_loss(model: nn.Module, images: torch.Tensor, qualities: torch.Tensor) -> dict:
    """Pre-training of the smoother: L2 between its output on ``images + sigma * noise`` and ``images``,
    sigma uniform in [0, 0.15] per image (torch's global generator, seeded and checkpointed by the trainer)."""
    smoother = model.module.smoother if hasattr(model, "module") else model.smoother
    sigma = torch.rand(images.shape[0], device=images.device) * MAX_SIGMA
    noisy = images + sigma.view(-1, 1, 1, 1) * torch.randn_like(images)
    mse = ((smoother(noisy, qualities, sigma) - images) ** 2).mean()
    return {"loss": 255.0**2 * mse / 100.0, "mse_255": 255.0**2 * mse}


class _EditLoss(nn.Module):
    """``loss(model, images, qualities) -> dict``: the editor's output through :class:`PreEditLoss`."""

    def __init__(self, **options):
        super().__init__()
        self.terms = PreEditLoss(**options)

    def forward(self, model, images, qualities):
        return self.terms(model(images, qualities), images, qualities)


def build(parts: str = "smoother,transformer", stage: str = "edit", quality_model: str = "noref",
          quality_weight: float = 0.02, tv_weight: float = 0.0, rate_weight: float = 1.0, distance: str = "vgg",
          simulator: str = "soft"):
    """``(editor, loss)`` for the trainer. ``stage``: ``"denoise"`` (the smoother's pre-training) or
    ``"edit"`` (Eq. 5 through the simulator)."""
    editor = TalebiEditor(parts)
    if stage == "denoise":
        if editor.smoother is None:
            raise ValueError("stage 'denoise' trains the smoother: parts must include 'smoother'")
        return editor, denoise_loss
    if stage != "edit":
        raise ValueError(f"stage must be 'denoise' or 'edit', got {stage!r}")
    return editor, _EditLoss(quality_model=quality_model, quality_weight=quality_weight, tv_weight=tv_weight,
                             rate_weight=rate_weight, distance=distance, simulator=simulator)


# The paper's recipe as trainer runs: (name, parts, stage, initialised from, share of the steps, lr factor)
RECIPE = (
    ("1-denoise", "smoother", "denoise", (), 0.2, 1.0),
    ("2-smoother", "smoother", "edit", ("1-denoise",), 0.25, 1.0),
    ("3-transformer", "transformer", "edit", (), 0.25, 1.0),
    ("4-joint", "smoother,transformer", "edit", ("2-smoother", "3-transformer"), 0.3, 0.3),
)
# the recipe's options (``--set KEY=VALUE``) and their defaults
OPTIONS = {"quality_weight": 0.02, "tv_weight": 0.0, "rate_weight": 1.0, "simulator": "soft", "quality_model": "noref"}
PROFILES = {
    "quick": {"limit_images": 64, "crop": 64, "batch": 4, "max_steps": 40, "lr": 1e-3, "qualities": (8, 25)},
    "cpu": {"crop": 64, "batch": 8, "max_steps": 1000, "lr": 5e-4, "qualities": (8, 25), "ema": 0.99},
    "full": {"crop": 256, "batch": 16, "max_steps": 40000, "lr": 1e-4, "qualities": (8, 25), "ema": 0.999,
             "compile": True, "num_workers": 6},
}


def stage_seconds(run) -> float:
    """Training time of one trainer run, from its log (sum of batch / images_per_s over the steps):
    the same whether the run went through in one go or was resumed."""
    run = Path(run)
    batch = json.loads((run / "config.json").read_text())["batch"]
    lines = (run / "log.jsonl").read_text().splitlines()
    return sum(batch / json.loads(line)["images_per_s"] for line in lines)


def train(out, profile: str = "quick", max_steps: int | None = None, quality_weight: float = 0.02,
          tv_weight: float = 0.0, rate_weight: float = 1.0, simulator: str = "soft", quality_model: str = "noref",
          seed: int | None = None, resume: bool = False, echo=print, overwrite: bool = False, **overrides) -> dict:
    """Run the paper's four stages (:data:`RECIPE`) in ``out/<stage>/`` and write ``out/talebi.pt``
    (the joint editor's weights) with its card ``out/talebi.json``. ``max_steps``: the total over
    the stages (default: the profile's). ``quality_model``: ``"noref"`` or a TorchScript NR model
    such as NIMA (see :func:`jpegtutor.metrics.noref.load_quality_model`). Returns the card."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
    seed = 0 if seed is None else seed
    settings = {**PROFILES[profile], **overrides}
    total = int(max_steps if max_steps is not None else settings.pop("max_steps"))
    settings.pop("max_steps", None)
    base_lr = settings.pop("lr")
    every = settings.pop("checkpoint_every", None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start, stages = time.perf_counter(), []
    for name, parts, stage, inits, share, lr_factor in RECIPE:
        steps = max(1, round(share * total))
        options = {"parts": parts, "stage": stage}
        if stage == "edit":
            options.update(quality_weight=quality_weight, tv_weight=tv_weight, rate_weight=rate_weight, simulator=simulator,
                           quality_model=quality_model)
        config = TrainConfig(**{"warmup": min(50, steps // 10 + 1), **settings}, model="talebi", options=options,
                             init=tuple(str(out / i / "final.pt") for i in inits), max_steps=steps, lr=base_lr * lr_factor,
                             seed=seed, checkpoint_every=every or max(1, min(500, steps)))
        echo(f"stage {name}: {parts}, {stage}, {steps} steps")
        t0 = time.perf_counter()
        seed_everything(seed)
        model, loss = build(**options)
        last = Trainer(model, loss, config, out / name, resume=resume and (out / name).is_dir(), echo=echo,
                       overwrite=overwrite).run()
        stages.append({"stage": name, "parts": parts, "loss": stage, "steps": steps,
                       "seconds": round(stage_seconds(out / name), 1), "wall_seconds": round(time.perf_counter() - t0, 1),
                       "last": last})
    weights = torch.load(out / RECIPE[-1][0] / "final.pt", map_location="cpu", weights_only=True)
    write_with(out / CHECKPOINT, lambda handle: torch.save(weights, handle))
    card = {"model": "talebi", "parts": list(PARTS), "profile": profile, "total_steps": total, "seed": seed,
            "quality_weight": quality_weight, "tv_weight": tv_weight, "rate_weight": rate_weight, "simulator": simulator,
            "quality_model": str(quality_model),
            "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()}, "base_lr": base_lr,
            "stages": stages, "seconds": round(sum(s["seconds"] for s in stages), 1),
            "wall_seconds": round(time.perf_counter() - start, 1), "torch": torch.__version__,
            "device": "cuda" if torch.cuda.is_available() else "cpu",
            "command": f"jpegtutor train talebi --profile {profile} --max-steps {total} --out {out}"}
    write_json(out / "talebi.json", card)
    return card


