"""The training loop every model of the book goes through.

One :class:`Trainer` is handed a model and its loss (``loss(model, images, qualities)`` returning a
dict of named terms, the one called ``loss`` minimized; a loss that is an ``nn.Module`` holding
frozen networks moves to the device with the model). It names no model: the recipes of
:mod:`jpegtutor.editors` build their networks and hand them over. It runs them with Adam and a warm-up + cosine schedule, and takes care of the
rest: the fast path (bfloat16 autocast where the hardware has it, channels-last, the fused
simulator; see :mod:`.paths`; ``fast=False`` runs the eager fp32 reference), optional ``torch.compile``, gradient clipping and accumulation,
an EMA of the weights, periodic validation, JSONL logs and a progress bar (rank 0 only),
distributed data parallel under ``torchrun`` (NCCL on GPUs, gloo on CPU), and checkpoints that
resume a killed run exactly where it stopped (see :mod:`.checkpoint` and :mod:`.batches`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import time
from pathlib import Path

import torch

from ..files import write_with
from ..runtime import progress, seed_everything
from .checkpoint import latest_checkpoint, rng_state, save_checkpoint, set_rng_state
from .batches import CropDataset, StepBatches, step_loader
from .paths import StepPath

__all__ = ["PROFILES", "TrainConfig", "Trainer", "plot_log"]


@dataclasses.dataclass
class TrainConfig:
    """Everything a run depends on; saved as ``config.json`` in the run folder."""

    model: str = "model"  # a label for logs and config.json (the trainer is handed the model itself)
    options: dict = dataclasses.field(default_factory=dict)  # the model's build options, recorded in config.json
    init: tuple[str, ...] = ()  # weight files (state dicts) loaded into the model before step 0
    dataset: str = "train"
    limit_images: int | None = None
    crop: int = 64
    batch: int = 8  # global batch (split over processes), per optimizer step
    accumulate: int = 1  # micro-batches per process and step
    qualities: tuple[int, int] = (10, 50)
    lr: float = 1e-3
    warmup: int = 10
    max_steps: int = 100
    grad_clip: float = 1.0
    ema: float = 0.0  # 0: no EMA; else the decay, e.g. 0.999
    checkpoint_every: int = 50
    validate_every: int = 0
    validate_images: int = 8
    compile: bool = False
    fast: bool = True  # the fast path (see .paths); False: the eager fp32 reference path
    seed: int = 0
    device: str = "auto"
    num_workers: int = 0  # background processes building batches (0 on CPU; 4-8 on a GPU)


PROFILES = {
    "quick": {"limit_images": 64, "crop": 64, "batch": 8, "max_steps": 60, "checkpoint_every": 20, "validate_every": 20},
    "full": {"crop": 256, "batch": 32, "max_steps": 20000, "checkpoint_every": 1000, "validate_every": 1000,
             "ema": 0.999, "compile": True, "num_workers": 6},
}


# settings a resumed run may change: how long it runs and how it is watched, not what it learns
RESUMABLE = {"max_steps", "checkpoint_every", "validate_every", "validate_images", "num_workers", "device", "compile",
             "fast"}


def load_initial_weights(model: torch.nn.Module, paths) -> None:
    """Load state dicts (e.g. the ``final.pt`` of earlier stages) into ``model``, each covering a
    part of it; every key must belong to the model with the right shape."""
    own = model.state_dict()
    loaded = {}
    for path in paths:
        state = torch.load(path, map_location="cpu", weights_only=True)
        unknown = [k for k in state if k not in own or own[k].shape != state[k].shape]
        if unknown:
            raise ValueError(f"{path} does not fit model: {unknown[:3]} missing or of another shape")
        loaded.update(state)
    model.load_state_dict({**own, **loaded})


def _git_commit() -> str | None:
    try:
        root = Path(__file__).resolve().parents[2]
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


class Trainer:
    """``Trainer(model, loss, config, out).run()``: trains ``model`` (an ``nn.Module``) on ``loss``, logs to
    ``out/log.jsonl``, checkpoints to ``out/step-N.pt``, writes the final (EMA) weights to ``out/final.pt``."""

    def __init__(self, model: torch.nn.Module, loss, config: TrainConfig, out: str | os.PathLike, resume: bool = False,
                 echo=print, overwrite: bool = False):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not callable(loss):
            raise TypeError(f"loss must be callable as loss(model, images, qualities) -> dict, got {type(loss).__name__}")
        self.model, self.loss = model, loss
        self.config, self.out, self.resume, self.echo, self.overwrite = config, Path(out), resume, echo, overwrite
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        if config.batch % (self.world * config.accumulate):
            raise ValueError(f"batch {config.batch} must divide into {self.world} process(es) x {config.accumulate} micro-batches")
        if config.device == "auto":
            cuda = torch.cuda.is_available()
            self.device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if cuda else "cpu")
        else:
            self.device = torch.device(config.device)
        if self.world > 1 and not torch.distributed.is_initialized():
            torch.distributed.init_process_group("nccl" if self.device.type == "cuda" else "gloo")

    # -- pieces ---------------------------------------------------------------------------------
    def _schedule(self, step: int) -> float:
        c = self.config
        if step < c.warmup:
            return (step + 1) / c.warmup
        progress_ = (step - c.warmup) / max(1, c.max_steps - c.warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress_)))

    def _log(self, record: dict) -> None:
        if self.rank == 0:
            with open(self.out / "log.jsonl", "a") as handle:
                handle.write(json.dumps(record) + "\n")

    def _truncate_log(self, step: int) -> None:
        """Drop log lines past the checkpoint a run resumes from, so no step appears twice."""
        path = self.out / "log.jsonl"
        if self.rank == 0 and path.is_file():
            keep = [line for line in path.read_text().splitlines() if json.loads(line)["step"] <= step]
            path.write_text("".join(line + "\n" for line in keep))

    def _check_folder(self) -> None:
        """A new run never mixes with another one's files; a resumed run only continues its own."""
        old = sorted(self.out.glob("step-*.pt")) + [p for p in (self.out / "config.json", self.out / "final.pt") if p.exists()]
        if not self.resume and old:
            if not self.overwrite:
                raise ValueError(f"{self.out} holds another run ({', '.join(p.name for p in old[:3])}); continue it with "
                                 "--resume, choose another --out, or pass --overwrite to replace it")
            if self.rank == 0:
                for path in old + [self.out / "log.jsonl"]:
                    path.unlink(missing_ok=True)
        if self.resume and (self.out / "config.json").is_file():
            saved = json.loads((self.out / "config.json").read_text())
            mine = json.loads(json.dumps(dataclasses.asdict(self.config)))  # tuples as lists, as saved
            differ = sorted(k for k in mine if k not in RESUMABLE and k in saved and saved[k] != mine[k])
            if differ:
                raise ValueError(f"--resume: {self.out} holds a run with other settings ({', '.join(differ)}: "
                                 + ", ".join(f"{saved[k]!r} there, {mine[k]!r} now" for k in differ[:3])
                                 + "); use its settings, another --out, or --overwrite without --resume")

    # -- the loop -------------------------------------------------------------------------------
    def run(self) -> dict:
        c = self.config
        self.out.mkdir(parents=True, exist_ok=True)
        self._check_folder()
        seed_everything(c.seed)
        how = StepPath(c.fast, self.device)
        model, loss_fn = how.place(self.model), how.place(self.loss)  # a loss module holds frozen networks
        if c.init:  # a checkpoint found below (resume) replaces these weights
            load_initial_weights(model, c.init)
        ema = {k: v.detach().clone() for k, v in model.state_dict().items()} if c.ema else None
        optimizer = torch.optim.Adam(model.parameters(), lr=c.lr)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, self._schedule)
        step = 0
        found = latest_checkpoint(self.out) if self.resume else None
        if found:
            path, state = found
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            ema = state.get("ema")
            step = state["step"]
            set_rng_state(state["rng"])
            self._truncate_log(step)
            self.echo(f"resuming from {path} (step {step})")
        elif self.rank == 0:
            (self.out / "log.jsonl").unlink(missing_ok=True)
            (self.out / "config.json").write_text(json.dumps({**dataclasses.asdict(c), "git_commit": _git_commit(),
                                                               "world_size": self.world, "torch": torch.__version__}, indent=1))
        train_model = model
        if self.world > 1:
            train_model = torch.nn.parallel.DistributedDataParallel(model)
        if c.compile:
            train_model = torch.compile(train_model)
        dataset = CropDataset(c.dataset, c.crop, c.qualities, c.seed, c.limit_images)
        validation = None
        if c.validate_every:
            keys = [(0, i) for i in range(min(c.validate_images, len(dataset)))]
            validation = [dataset[k] for k in keys]
        batches = step_loader(StepBatches(dataset, c.batch, self.rank, self.world), step, c.max_steps, c.num_workers)
        bar = progress(range(step, c.max_steps), desc=f"train {c.model}", disable=None if self.rank == 0 else True)
        last = {}
        if step >= c.max_steps and (self.out / "log.jsonl").is_file():
            lines = (self.out / "log.jsonl").read_text().splitlines()
            last = json.loads(lines[-1]) if lines else {}
            self.echo(f"{self.out} is already trained to step {step} (max_steps {c.max_steps}); nothing to do")
        start = time.perf_counter()
        for step, (images, qualities) in zip(bar, batches):
            images, qualities = how.inputs(images), qualities.to(self.device)
            optimizer.zero_grad(set_to_none=True)
            terms_sum: dict[str, float] = {}
            for micro_images, micro_q in zip(images.chunk(c.accumulate), qualities.chunk(c.accumulate)):
                with how.context():
                    terms = loss_fn(train_model, micro_images, micro_q)
                (terms["loss"] / c.accumulate).backward()
                for k, v in terms.items():
                    terms_sum[k] = terms_sum.get(k, 0.0) + float(v.detach()) / c.accumulate
            if self.world > 1:  # log the global batch's terms, not rank 0's share
                names = sorted(terms_sum)
                packed = torch.tensor([terms_sum[k] for k in names], dtype=torch.float64, device=self.device)
                torch.distributed.all_reduce(packed)
                terms_sum = {k: float(v) / self.world for k, v in zip(names, packed)}
            if c.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), c.grad_clip)
            optimizer.step()
            scheduler.step()
            if ema is not None:
                with torch.no_grad():
                    for k, v in model.state_dict().items():
                        ema[k].mul_(c.ema).add_(v.detach(), alpha=1 - c.ema) if v.is_floating_point() else ema[k].copy_(v)
            seconds, start = time.perf_counter() - start, time.perf_counter()  # the whole step, data included
            last = {"step": step + 1, **terms_sum, "lr": scheduler.get_last_lr()[0], "images_per_s": c.batch / seconds}
            if validation is not None and (step + 1) % c.validate_every == 0:
                model.eval()  # batch norm uses (and does not update) its running statistics
                with torch.no_grad(), how.context():
                    v_images = how.inputs(torch.stack([v[0] for v in validation]))
                    v_q = torch.full((len(validation),), float(sum(c.qualities) // 2), device=self.device)
                    last.update({f"val_{k}": float(v) for k, v in loss_fn(model, v_images, v_q).items()})
                model.train()
            self._log(last)
            if self.rank == 0:
                bar.set_postfix({**{k: f"{v:.4g}" for k, v in terms_sum.items()}, "img/s": f"{last['images_per_s']:.0f}"})
            if (step + 1) % c.checkpoint_every == 0 or step + 1 == c.max_steps:
                if self.rank == 0:
                    save_checkpoint(self.out / f"step-{step + 1}.pt", {
                        "step": step + 1, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(), "ema": ema, "rng": rng_state(),
                        "config": dataclasses.asdict(c)})
                    for old in sorted(self.out.glob("step-*.pt"), key=lambda p: int(p.stem.split("-")[1]))[:-2]:
                        old.unlink()  # keep the newest two
                if self.world > 1:
                    torch.distributed.barrier()
        if self.rank == 0 and c.max_steps > 0:
            weights = ema if ema is not None else model.state_dict()
            final = self.out / "final.pt"
            write_with(final, lambda handle: torch.save(weights, handle))
        return last


# What the logged terms mean, for plot labels (a term not listed is shown by its key).
LOG_NAMES = {"loss": "training loss", "mse_255": "MSE (8-bit levels squared)", "distance": "distance term of the loss",
             "rate_bpp": "rate term (proxy bits per pixel)", "lr": "learning rate"}


def plot_log(run: str | os.PathLike, terms=("loss",), ax=None):
    """Plot the named terms of a run's ``log.jsonl`` (and their ``val_`` versions where logged),
    labelled with their meanings (:data:`LOG_NAMES`)."""
    import matplotlib.pyplot as plt

    records = [json.loads(line) for line in (Path(run) / "log.jsonl").read_text().splitlines()]
    ax = ax or plt.gca()
    for term in terms:
        name = LOG_NAMES.get(term, term)
        ax.plot([r["step"] for r in records], [r[term] for r in records], label=name)
        validated = [r for r in records if f"val_{term}" in r]
        if validated:
            ax.plot([r["step"] for r in validated], [r[f"val_{term}"] for r in validated], "o-",
                    label=f"{name}, validation")
    ax.set(xlabel="training step", ylabel=LOG_NAMES.get(terms[0], terms[0]) if len(terms) == 1 else "value")
    ax.legend(fontsize=8)
    return ax
