"""JPNeO's learned quantization matrix Q_psi (Han et al. 2025, Sec. 4 and 5.1), trained as a bank.

The paper: one ``Linear(128 -> 128)`` applied to the quality-50 tables (luma and chroma,
flattened), ``Q_psi = 254 sigmoid(.) + 1``, the coefficient rounding replaced by a cubic
surrogate, and the loss ``lambda ||X - X~||_2 + ||1 / Q_psi||_1`` for lambdas sampled from
[1e-4, 1e6]; after training the network is dropped, the tables are stored as integers and the 17
distinct ones are kept, a lookup table indexed like a quality setting.

Here one :class:`QPsiBank` holds one such linear layer per lambda of a log-spaced grid and trains
them all in one run (the layers share nothing, so this is the paper's set of independent models,
trained on the same batches). Two choices the paper leaves open, and ours:

- the input is ``Q50 / 255`` (the raw tables, entries up to 121, would saturate the sigmoid of a
  default-initialised layer at 1 or 255 with no gradient);
- ``||X - X~||_2`` is the L2 norm of each image's error (RGB in [0, 1]), averaged over the batch.

The paper writes the cubic surrogate as ``round(x) + (round(x) - x)^3``, whose gradient has the
wrong sign; we use Shin and Song's ``round(x) + (x - round(x))^3`` (``rounding="cubic"``).

    lut = qpsi.train("runs/qpsi", "cpu")    # -> the distinct integer tables, coarse to fine
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..diff import simulate
from ..files import write_json
from ..jpeg import quant
from ..runtime import seed_everything
from ..train import TrainConfig, Trainer

__all__ = ["LAMBDAS", "PROFILES", "QPsiBank", "QPsiLoss", "distinct_tables", "integer_tables", "train"]

LAMBDAS = tuple(float(f"{10 ** (e / 4):.4g}") for e in range(-16, 25))  # 1e-4 ... 1e6, four per decade
PROFILES = {
    "quick": {"limit_images": 32, "crop": 112, "batch": 2, "max_steps": 5, "lr": 0.05},
    "cpu": {"crop": 112, "batch": 4, "max_steps": 400, "lr": 0.005},
    "full": {"crop": 112, "batch": 16, "max_steps": 5000, "lr": 0.001},
}


class QPsiBank(nn.Module):
    """One ``Linear(128 -> 128)`` per lambda on ``Q50 / 255``: ``forward() -> (K, 2, 8, 8)`` in (1, 255)."""

    def __init__(self, lambdas=LAMBDAS, seed: int = 0):
        super().__init__()
        self.register_buffer("lambdas", torch.tensor([float(v) for v in lambdas]))
        if not len(self.lambdas) or not bool((self.lambdas > 0).all()):
            raise ValueError(f"lambdas must be a non-empty list of positive numbers, got {lambdas!r}")
        k = len(self.lambdas)
        generator = torch.Generator().manual_seed(seed)
        bound = 1.0 / math.sqrt(128)  # nn.Linear's default initialisation, per layer
        self.weight = nn.Parameter((torch.rand(k, 128, 128, generator=generator) * 2 - 1) * bound)
        self.bias = nn.Parameter((torch.rand(k, 128, generator=generator) * 2 - 1) * bound)
        self.register_buffer("q50", torch.from_numpy(quant.tables_for_quality(50)).float().reshape(128) / 255.0)

    def forward(self) -> torch.Tensor:
        out = torch.einsum("koi,i->ko", self.weight, self.q50) + self.bias
        return (254.0 * torch.sigmoid(out) + 1.0).view(-1, 2, 8, 8)


class QPsiLoss(nn.Module):
    """``loss(bank, images, qualities) -> dict``: the sum over the bank's lambdas of
    ``lambda ||X - X~||_2 + ||1/Q||_1`` (the qualities are unused: the tables are the model's)."""

    def __init__(self, subsampling: str = "4:2:0", rounding: str = "cubic", mode: str = "smooth"):
        super().__init__()
        self.subsampling, self.rounding, self.mode = subsampling, rounding, mode

    def forward(self, bank, images, qualities=None) -> dict:
        core = bank.module if hasattr(bank, "module") else bank
        tables = bank()  # (K, 2, 8, 8)
        k, b = tables.shape[0], images.shape[0]
        x = images.float().repeat(k, 1, 1, 1)  # every table sees every image: (K B, 3, H, W)
        decoded = simulate(x, tables=tables.repeat_interleave(b, dim=0), subsampling=self.subsampling,
                           rounding=self.rounding, mode=self.mode)
        distance = (decoded - x).flatten(1).norm(dim=1).view(k, b).mean(dim=1)  # (K,)
        rate = (1.0 / tables).flatten(1).sum(dim=1)  # (K,)
        per_model = core.lambdas * distance + rate
        return {"loss": per_model.sum(), "distance": distance.mean(), "inverse_q": rate.mean(),
                "mean_table": tables.mean()}


def integer_tables(bank: QPsiBank) -> np.ndarray:
    """The tables as a file stores them: ``floor(Q + 1/2)`` in [1, 255], ``(K, 2, 8, 8)`` int32."""
    with torch.no_grad():
        q = bank().double().numpy()
    return np.clip(np.floor(q + 0.5), 1, 255).astype(np.int32)


def distinct_tables(tables: np.ndarray, lambdas) -> tuple[np.ndarray, list]:
    """Drop repeated integer tables (the paper's "excluding duplicate values") and order the rest
    coarse to fine (by the sum of ``1/Q``, the rate term): ``(N, 2, 8, 8)`` and each one's lambdas."""
    groups: dict[bytes, list] = {}
    kept = {}
    for table, lam in zip(tables, lambdas):
        key = table.tobytes()
        kept.setdefault(key, table)
        groups.setdefault(key, []).append(float(lam))
    order = sorted(kept, key=lambda key: (1.0 / kept[key]).sum())
    return np.stack([kept[key] for key in order]), [groups[key] for key in order]


def train(out, profile: str = "cpu", max_steps: int | None = None, seed: int = 0, resume: bool = False,
          lambdas=LAMBDAS, subsampling: str = "4:2:0", rounding: str = "cubic", echo=print,
          overwrite: bool = False) -> dict:
    """Train the bank in ``out/`` and write ``out/qpsi.json``: the distinct integer tables (the
    lookup table, coarse to fine), the lambdas that gave each, steps and seconds. ``rounding``:
    the coefficient rounding's surrogate, ``"cubic"`` (the paper's, smooth mode) or ``"ste"``
    (straight-through, exact mode: the forward pass is the real file's)."""
    mode = "exact" if rounding == "ste" else "smooth"
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
    settings = dict(PROFILES[profile])
    steps = int(max_steps if max_steps is not None else settings.pop("max_steps"))
    settings.pop("max_steps", None)
    lr = settings.pop("lr")
    out = Path(out)
    seed_everything(seed)
    bank = QPsiBank(lambdas, seed)
    config = TrainConfig(**settings, model="qpsi", options={"lambdas": list(bank.lambdas.tolist()),
                                                              "subsampling": subsampling, "rounding": rounding},
                         max_steps=steps, lr=lr,
                         seed=seed, warmup=min(20, steps // 10 + 1), grad_clip=0.0,
                         checkpoint_every=max(1, min(100, steps)))
    t0 = time.perf_counter()
    last = Trainer(bank, QPsiLoss(subsampling, rounding, mode), config, out, resume=resume and out.is_dir(), echo=echo,
                   overwrite=overwrite).run()
    bank.load_state_dict(torch.load(out / "final.pt", map_location="cpu", weights_only=True))
    lut, groups = distinct_tables(integer_tables(bank), bank.lambdas.tolist())
    card = {"model": "qpsi", "profile": profile, "subsampling": subsampling, "rounding": rounding, "mode": mode,
            "steps": steps, "lr": lr,
            "settings": settings, "seed": seed, "seconds": round(time.perf_counter() - t0, 1), "last": last,
            "tables": lut.tolist(), "lambdas": groups, "torch": torch.__version__,
            "command": f"python -m jpegtutor.experiments.tables train-qpsi --profile {profile} --rounding {rounding}"}
    write_json(out / "qpsi.json", card)
    return card
