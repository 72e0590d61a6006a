"""Training Struempler et al.'s model: one model per operating point lambda (their Eq. 8-10).

    loss = lambda * (255^2 MSE + gamma * LPIPS) + alpha * (||1/Q_L||_1 + ||1/Q_C||_1) + beta * (mean A_L + mean A_C)

through the simulator at 4:4:4 (masks on the DCT coefficients, the learned tables as the
quantization tables). The paper: alpha = 10, beta = 1, gamma = 500, Adam at 1e-6, batch 8, 256 crops,
20,000 steps per lambda, lambda in [1e-4, 1e-1], Shin and Song's cubic rounding.

    jpegtutor train struempler --profile quick|cpu|full --out runs/struempler [--set lambdas=0.1,0.3] [--set rate=density]
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
from torch import nn

from ...diff import simulate
from ...files import write_json, write_with
from ...metrics.lpips_network import lpips
from ...rate import load_pretrained, log_proxy
from ...runtime import seed_everything
from ...train import Trainer, TrainConfig
from .model import StruemplerModel, file_tables, trainable_state

__all__ = ["LAMBDAS", "OPTIONS", "PROFILES", "RATES", "StruemplerLoss", "build", "checkpoint_name", "refine", "train"]

LAMBDAS = (0.01, 0.03, 0.1, 0.2, 0.3, 1.0, 3.0)  # the operating points: one model each (our MSE is on the 0-255 scale)
OPTIONS = {"alpha": 10.0, "beta": 1.0, "gamma": 500.0, "rounding": "cubic", "mode": "smooth", "attention": True,
           "tables": True, "train_vgg": False, "table_step": 0.5, "lambdas": LAMBDAS, "rate": "regularizer",
           "rate_weight": 10.0}
RATES = ("regularizer", "density", "network", "log")  # the paper's regularizer, or a rate proxy of Part III
PROFILES = {
    "quick": {"limit_images": 32, "crop": 64, "batch": 4, "max_steps": 20, "lr": 1e-4, "table_step": 2.0},
    "cpu": {"crop": 128, "batch": 8, "max_steps": 1200, "lr": 1e-4, "table_step": 0.5, "ema": 0.0},
    "full": {"crop": 256, "batch": 8, "max_steps": 20000, "lr": 1e-6, "table_step": 0.1, "train_vgg": True,
             "num_workers": 6},
}


class StruemplerLoss(nn.Module):
    """``loss(model, images, qualities) -> dict``: Eq. 8-10 for one ``lam``; ``qualities`` is unused
    (the tables are the model's). ``rounding``/``mode``: how the simulator rounds (the paper: cubic)."""

    def __init__(self, lam: float, alpha: float = 10.0, beta: float = 1.0, gamma: float = 500.0,
                 rounding: str = "cubic", mode: str = "smooth", rate: str = "regularizer", rate_weight: float = 10.0):
        super().__init__()
        if not lam > 0:
            raise ValueError(f"lambda must be > 0, got {lam!r}")
        if rate not in RATES:
            raise ValueError(f"rate must be one of {RATES}, got {rate!r}")
        self.lam, self.alpha, self.beta, self.gamma, self.rounding, self.mode = lam, alpha, beta, gamma, rounding, mode
        self.rate, self.rate_weight = rate, rate_weight
        # a learned proxy (Part III) instead of the regularizer: rate_weight * its bits per pixel
        self.proxy = load_pretrained(rate).requires_grad_(False) if rate in ("density", "network") else None

    def forward(self, model, images, qualities=None) -> dict:
        core = model.module if hasattr(model, "module") else model
        masks, tables = model(images)
        batch_tables = tables.expand(images.shape[0], 2, 8, 8)
        decoded, coefficients = simulate(images, tables=batch_tables, subsampling="4:4:4", rounding=self.rounding,
                                         mode=self.mode, masks=core.component_masks(masks), return_coefficients=True)
        mse = 255.0**2 * ((decoded - images.float()) ** 2).mean()
        perceptual = lpips(decoded, images.float(), "alex").mean() if self.gamma else decoded.new_zeros(())
        zero = decoded.new_zeros(())
        if self.rate == "regularizer":
            table_term = self.alpha * (1.0 / tables).sum()
            mask_term = self.beta * masks.float().mean(dim=(0, 2, 3, 4)).sum() if masks is not None else zero
            rate_term, bpp = table_term + mask_term, zero
        else:
            pixels = images.shape[2] * images.shape[3]
            bits = self.proxy(coefficients, batch_tables) if self.proxy is not None else log_proxy(coefficients, batch_tables)
            bpp = (bits / pixels).mean()
            table_term, mask_term, rate_term = zero, zero, self.rate_weight * bpp
        return {"loss": self.lam * (mse + self.gamma * perceptual) + rate_term, "mse_255": mse,
                "lpips": perceptual, "table_term": table_term, "mask_term": mask_term, "proxy_bpp": bpp,
                "mean_table": tables.mean()}


def build(lam: float = 0.3, alpha: float = 10.0, beta: float = 1.0, gamma: float = 500.0, rounding: str = "cubic",
          mode: str = "smooth", attention: bool = True, tables: bool = True, train_vgg: bool = False,
          table_step: float = 0.5, lr: float = 1e-4, seed: int = 0, rate: str = "regularizer", rate_weight: float = 10.0):
    """``(model, loss)`` for the trainer at one operating point ``lam``."""
    model = StruemplerModel(attention=attention, tables=tables, train_vgg=train_vgg, table_step=table_step, lr=lr,
                            seed=seed)
    return model, StruemplerLoss(lam, alpha, beta, gamma, rounding, mode, rate, rate_weight)


def checkpoint_name(lam: float) -> str:
    return f"struempler-lambda{lam:g}.pt"


def train(out, profile: str = "quick", max_steps: int | None = None, seed: int | None = None, resume: bool = False,
          echo=print, overwrite: bool = False, **options) -> dict:
    """Train one model per lambda in ``out/lambda<L>/`` and write ``out/struempler-lambda<L>.pt`` with
    the card ``out/struempler.json`` (each model's integer tables, steps and seconds)."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
    unknown = set(options) - set(OPTIONS) - set(PROFILES[profile]) - set(TrainConfig.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}; struempler takes {sorted(OPTIONS)}")
    seed = 0 if seed is None else seed
    settings = {**PROFILES[profile], **{k: v for k, v in options.items() if k not in OPTIONS or k in PROFILES[profile]}}
    model_options = {k: options.get(k, settings.get(k, v)) for k, v in OPTIONS.items()}
    lambdas = tuple(float(v) for v in (model_options.pop("lambdas") if not isinstance(model_options["lambdas"], str)
                                         else model_options.pop("lambdas").split(",")))
    for key in ("table_step", "train_vgg"):
        settings.pop(key, None)
    steps = int(max_steps if max_steps is not None else settings.pop("max_steps"))
    settings.pop("max_steps", None)
    lr = settings.pop("lr")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    models, start = [], time.perf_counter()
    for lam in lambdas:
        run = out / f"lambda{lam:g}"
        config = TrainConfig(**{"warmup": min(50, steps // 10 + 1), **settings}, model="struempler",
                             options={**model_options, "lam": lam}, max_steps=steps, lr=lr, seed=seed,
                             checkpoint_every=max(1, min(200, steps)))
        echo(f"struempler lambda {lam:g}: {steps} steps")
        seed_everything(seed)
        model, loss = build(lam, lr=lr, seed=seed, **model_options)
        t0 = time.perf_counter()
        last = Trainer(model, loss, config, run, resume=resume and run.is_dir(), echo=echo, overwrite=overwrite).run()
        weights = torch.load(run / "final.pt", map_location="cpu", weights_only=True)
        model.load_state_dict(weights)
        kept = trainable_state(model)  # a frozen VGG is ImageNet's: not stored again
        write_with(out / checkpoint_name(lam), lambda handle, w=kept: torch.save(w, handle))
        models.append({"lambda": lam, "file": checkpoint_name(lam), "steps": steps,
                       "seconds": round(time.perf_counter() - t0, 1), "last": last,
                       "tables": file_tables(model(torch.zeros(1, 3, 8, 8))[1]).tolist()})
    earlier = out / "struempler.json"
    if earlier.is_file():  # a later run for more lambdas keeps the models already in the folder
        import json

        done = {m["lambda"] for m in models}
        models = sorted([m for m in json.loads(earlier.read_text())["models"] if m["lambda"] not in done] + models,
                        key=lambda m: m["lambda"])
    card = {"model": "struempler", "profile": profile, "seed": seed, "options": {k: v for k, v in model_options.items()},
            "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()}, "lr": lr,
            "models": models, "wall_seconds": round(time.perf_counter() - start, 1), "torch": torch.__version__,
            "device": "cuda" if torch.cuda.is_available() else "cpu",
            "command": f"jpegtutor train struempler --profile {profile} --max-steps {steps} --out {out}"}
    write_json(out / "struempler.json", card)
    return card


class _Features(nn.Module):
    """Stands in for a frozen VGG while one image is refined: its features, computed once."""

    def __init__(self, features: torch.Tensor):
        super().__init__()
        self.features = features

    def forward(self, x):
        return self.features


def refine(model, image, lam: float, steps: int = 50, lr: float = 1e-4, show_progress: bool | None = None,
           **loss_options):
    """A copy of ``model`` trained further on one ``uint8 (H, W, 3)`` image alone (the paper's
    single-image optimization, Sec. 4.8: batch 1, the full image, the training loss at ``lam``),
    started from the global model. Adam at ``lr`` on everything the model trains (a frozen VGG
    stays frozen, and its features are computed once). Returns the refined model in eval mode."""
    import copy

    import numpy as np

    from ...runtime import progress

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be uint8 (H, W, 3), got {getattr(image, 'dtype', type(image))} {getattr(image, 'shape', '')}")
    refined = copy.deepcopy(model).train()
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255.0
    defaults = {k: v for k, v in OPTIONS.items() if k in ("alpha", "beta", "gamma", "rounding", "mode")}
    loss = StruemplerLoss(lam, **{**defaults, **loss_options})
    attention = refined.attention
    frozen_vgg = attention is not None and not attention.train_vgg
    if frozen_vgg:  # the same image every step: VGG's features once (exactly what it would compute)
        vgg = attention.vgg
        with torch.no_grad():
            hb, wb = -(-x.shape[2] // 8), -(-x.shape[3] // 8)
            padded = nn.functional.pad(x, (0, wb * 8 - x.shape[3], 0, hb * 8 - x.shape[2]), mode="replicate")
            attention.vgg = _Features(vgg((padded - attention.mean) / attention.std))
    parameters = [p for p in refined.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(parameters, lr=lr)
    try:
        for _ in progress(range(steps), desc="refine struempler", disable=None if show_progress is None else not show_progress):
            optimizer.zero_grad(set_to_none=True)
            loss(refined, x)["loss"].backward()
            optimizer.step()
    finally:
        if frozen_vgg:
            attention.vgg = vgg
    return refined.eval()
