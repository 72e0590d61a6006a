"""Training throughput: the fast path against the eager fp32 reference path, one interleaved run.

    jpegtutor bench train [--recipe talebi] [--device cpu|cuda] [--repeats 5] [--loss-steps 200] [--json] [--out F]

Speed: a fresh model, loss and Adam per path (same seed, same batch of training crops); warm-up
steps, then ``repeats`` rounds in which each path takes ``steps`` optimizer steps in turn, so a
noisy machine slows both alike. The ratio is the median of the per-round ratios. Loss: each path
trains ``loss_steps`` steps through :class:`~jpegtutor.train.Trainer` from the same seed on the
same batches; the loss of both over the last tenth of the steps (mean) and its relative difference.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from .loop import Trainer, TrainConfig
from .paths import StepPath

__all__ = ["TrainingStep", "compare_paths"]


class TrainingStep:
    """``TrainingStep(build, fast, device, images, qualities, lr)``: a fresh ``build() -> (model, loss)``
    (seed 0) and Adam on one path (:class:`~jpegtutor.train.paths.StepPath`), placed with one batch;
    ``step()`` takes one optimizer step on it (gradient norm clipped to ``grad_clip`` when given)."""

    def __init__(self, build, fast: bool, device, images, qualities, lr: float, grad_clip: float = 0.0):
        torch.manual_seed(0)
        self.path = StepPath(fast, device)
        model, loss = build()
        self.model, self.loss = self.path.place(model), self.path.place(loss)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.images, self.qualities = self.path.inputs(images), qualities.to(self.path.device)
        self.grad_clip = grad_clip

    def step(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        with self.path.context():
            value = self.loss(self.model, self.images, self.qualities)["loss"]
        value.backward()
        if self.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
        self.optimizer.step()
        if self.path.device.type == "cuda":
            torch.cuda.synchronize()


def compare_paths(build, settings: dict, device: str = "cpu", dataset: str = "train", repeats: int = 5, steps: int = 2,
                  warmup: int = 2, loss_steps: int = 200) -> dict:
    """Images/s of ``build() -> (model, loss)`` on the fast and the reference path, and their losses after
    ``loss_steps`` trainer steps (0: skip). ``settings``: :class:`TrainConfig` fields (crop, batch, lr, qualities)."""
    from ..datasets import locate_or_samples
    from .batches import CropDataset, StepBatches

    fields = {k: v for k, v in settings.items() if k in TrainConfig.__dataclass_fields__}
    config = TrainConfig(**{**fields, "dataset": str(locate_or_samples(dataset)) if dataset == "train" else dataset})
    images, qualities = StepBatches(CropDataset(config.dataset, config.crop, config.qualities, 0), config.batch)[0]
    setups = {name: TrainingStep(build, name == "fast", torch.device(device), images, qualities, config.lr)
              for name in ("reference", "fast")}
    for setup in setups.values():
        for _ in range(warmup):
            setup.step()
    rates = {name: [] for name in setups}
    for _ in range(repeats):
        for name, setup in setups.items():
            start = time.perf_counter()
            for _ in range(steps):
                setup.step()
            rates[name].append(config.batch * steps / (time.perf_counter() - start))
    result = {"device": device, "batch": config.batch, "crop": config.crop, "repeats": repeats, "steps_per_repeat": steps,
              "threads": torch.get_num_threads(), "torch": torch.__version__,
              "fast_path": setups["fast"].path.describe()}
    if torch.device(device).type == "cuda":
        result["gpu"] = torch.cuda.get_device_name(device)
    for name in setups:
        result[f"{name}_img_per_s"] = statistics.median(rates[name])
    result["fast_vs_reference"] = statistics.median(f / r for f, r in zip(rates["fast"], rates["reference"]))
    if loss_steps:
        tail = max(1, loss_steps // 10)
        for name in setups:
            with tempfile.TemporaryDirectory() as folder:
                run = TrainConfig(**{**fields, "dataset": config.dataset, "max_steps": loss_steps, "seed": 0,
                                     "checkpoint_every": loss_steps, "validate_every": 0, "fast": name == "fast",
                                     "device": device, "warmup": min(config.warmup, loss_steps)})
                torch.manual_seed(0)
                model, loss = build()
                start = time.perf_counter()
                Trainer(model, loss, run, folder, echo=lambda *a: None).run()  # its progress bar shows the steps
                seconds = time.perf_counter() - start
                log = [json.loads(line) for line in (Path(folder) / "log.jsonl").read_text().splitlines()]
            result[f"{name}_loss_last_{tail}_steps"] = statistics.fmean(r["loss"] for r in log[-tail:])
            result[f"{name}_train_seconds"] = seconds
        ref, fast = result[f"reference_loss_last_{tail}_steps"], result[f"fast_loss_last_{tail}_steps"]
        result["loss_steps"] = loss_steps
        result["loss_relative_difference"] = (fast - ref) / abs(ref)
    return result

