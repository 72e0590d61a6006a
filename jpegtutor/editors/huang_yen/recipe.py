"""Training Huang and Yen's editor at Q = 10 through a JPEG simulator, and the simulator ablation.

    jpegtutor train huang-yen --profile quick|cpu|full --out runs/huang-yen [--set simulator=smooth|exact|cubic|range-bug]

Per training crop ``x`` with the edit ``e`` and the simulated decode ``d = sim(e)`` at Q = 10, 4:2:0:

    loss = 0.8 * L1(d, x) + 0.01 * VGG(d, x) + 0.4 * LPIPS_vgg(d, x)

(their Eq. 1 and weights). ``VGG``: the mean squared difference of VGG-16's ``relu2_2``
activations, taken from the LPIPS network's own pass (ours: the paper does not name the layer).
The target is the original; the authors' code blurs it with a Gaussian first, which would teach the
editor to blur, and the evaluation compares with the original, so we do not.

``simulator`` is how JPEG is seen (the chapter's ablation):

- ``smooth``: our simulator's smooth mode (every rounding a soft rounding, clipping to 0-255 kept):
  the careful simulator of Reich et al. that the paper adopts;
- ``exact``: libjpeg's decoded pixels forward, straight-through gradients;
- ``cubic``: Shin and Song's approximation, ``round(x) + (x - round(x))^3``, everywhere;
- ``range-bug``: the smooth simulator fed 0-1 pixels where it expects 0-255 (the bug the authors'
  code fixed): after quantization almost nothing of the image is left.

Logged without gradient at every step: LPIPS (AlexNet, our benchmark's metric) and PSNR of
libjpeg's real decode of the edit, and of the plain JPEG of the original.
"""

from __future__ import annotations

import torch
from torch import nn

from ...diff import simulate
from ...metrics.lpips_network import LPIPS
from ..single_run import run_recipe
from .model import ColourReductionEditor

__all__ = ["OPTIONS", "PROFILES", "SIMULATORS", "HuangYenLoss", "build", "simulated_decode", "train"]

SIMULATORS = ("smooth", "exact", "cubic", "range-bug")
OPTIONS = {"simulator": "smooth", "l1": 0.8, "vgg": 0.01, "lpips": 0.4, "colours": 4}
TRAINED_QUALITY = 10
PROFILES = {
    "quick": {"limit_images": 32, "crop": 64, "batch": 4, "max_steps": 20, "lr": 1e-4, "checkpoint_every": 10},
    # ours: 3e-4, not the paper's 1e-4, as 800 steps are far fewer than 50 DIV2K epochs (about 2 s a step on one core)
    "cpu": {"crop": 96, "batch": 8, "max_steps": 800, "lr": 3e-4, "checkpoint_every": 100},
    "full": {"crop": 128, "batch": 16, "max_steps": 30000, "lr": 1e-4, "checkpoint_every": 1000, "num_workers": 6},
}


def simulated_decode(edited: torch.Tensor, quality, simulator: str = "smooth", subsampling: str = "4:2:0") -> torch.Tensor:
    """``(B, 3, H, W)`` in [0, 1] -> JPEG at ``quality`` as ``simulator`` (:data:`SIMULATORS`) sees it."""
    if simulator == "smooth":
        return simulate(edited, quality, subsampling=subsampling, mode="smooth", rounding="soft")
    if simulator == "exact":
        return simulate(edited, quality, subsampling=subsampling)
    if simulator == "cubic":
        return simulate(edited, quality, subsampling=subsampling, mode="smooth", rounding="cubic")
    if simulator == "range-bug":  # 0-1 values where 0-255 are expected, and the output read in the same units
        return 255.0 * simulate(edited / 255.0, quality, subsampling=subsampling, mode="smooth", rounding="soft")
    raise ValueError(f"simulator must be one of {list(SIMULATORS)}, got {simulator!r}")


class HuangYenLoss(nn.Module):
    """``loss(editor, images (B, 3, H, W) in [0, 1], qualities (B,)) -> dict`` for the trainer.

    The training quality is fixed at Q = 10 (the qualities drawn by the trainer are ignored)."""

    def __init__(self, simulator: str = "smooth", l1: float = 0.8, vgg: float = 0.01, lpips: float = 0.4,
                 subsampling: str = "4:2:0", quality: int = TRAINED_QUALITY):
        super().__init__()
        if simulator not in SIMULATORS:
            raise ValueError(f"simulator must be one of {list(SIMULATORS)}, got {simulator!r}")
        self.simulator, self.subsampling, self.quality = simulator, subsampling, quality
        self.weights = {"l1": float(l1), "vgg": float(vgg), "lpips": float(lpips)}
        self.lpips_vgg = LPIPS("vgg")
        self.lpips_alex = LPIPS("alex")

    def train(self, mode: bool = True):
        super().train(mode)
        self.lpips_vgg.eval()
        self.lpips_alex.eval()
        return self

    def distortion(self, decoded: torch.Tensor, original: torch.Tensor) -> dict:
        """The three terms of Eq. 1 (means over the batch) and their weighted sum ``loss``."""
        terms = {"l1": (decoded - original).abs().mean()}
        taps = self.lpips_vgg.stages(decoded)
        with torch.no_grad():
            target = self.lpips_vgg.stages(original)
        terms["vgg"] = ((taps[1] - target[1]) ** 2).mean()
        total = decoded.new_zeros(decoded.shape[0])
        for lin, fx, fy in zip(self.lpips_vgg.lins, taps, target):
            fx = fx / (fx.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            fy = fy / (fy.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            total = total + lin((fx - fy).pow(2)).mean((1, 2, 3))
        terms["lpips"] = total.mean()
        terms["loss"] = sum(self.weights[k] * terms[k] for k in ("l1", "vgg", "lpips"))
        return terms

    def forward(self, editor, images: torch.Tensor, qualities: torch.Tensor) -> dict:
        with torch.autocast(images.device.type, enabled=False):
            images = images.float()
            q = torch.full((images.shape[0],), float(self.quality), device=images.device)
            edited = editor(images, q)
            terms = self.distortion(simulated_decode(edited, q, self.simulator, self.subsampling), images)
            with torch.no_grad():
                real = simulate(edited.detach(), q, subsampling=self.subsampling)  # libjpeg's decoded pixels
                plain = simulate(images, q, subsampling=self.subsampling)
                terms["real_lpips"] = self.lpips_alex(real, images).mean()
                terms["plain_lpips"] = self.lpips_alex(plain, images).mean()
                terms["real_psnr_db"] = (-10 * torch.log10(((real - images) ** 2).mean((1, 2, 3)).clamp_min(1e-12))).mean()
                terms["plain_psnr_db"] = (-10 * torch.log10(((plain - images) ** 2).mean((1, 2, 3)).clamp_min(1e-12))).mean()
        return terms


def build(simulator: str = "smooth", l1: float = 0.8, vgg: float = 0.01, lpips: float = 0.4, colours: int = 4):
    """``(ColourReductionEditor, HuangYenLoss)`` for the trainer."""
    return ColourReductionEditor(int(colours)), HuangYenLoss(simulator, l1, vgg, lpips)


def train(out, profile: str = "quick", max_steps: int | None = None, seed: int | None = None, resume: bool = False,
          echo=print, overwrite: bool = False, **settings) -> dict:
    """One trainer run in ``out``; writes ``out/huang-yen.pt`` and the card ``out/huang-yen.json``.
    ``settings``: :data:`OPTIONS` and any TrainConfig field. Returns the card."""
    return run_recipe("huang-yen", build, OPTIONS, PROFILES, out, profile, max_steps, seed, resume, echo, overwrite,
                      fixed={"qualities": (TRAINED_QUALITY, TRAINED_QUALITY)}, **settings)
