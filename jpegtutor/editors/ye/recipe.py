"""Training Ye et al.'s preprocessor: ``D + lambda R`` with their three parts (:mod:`.parts`).

    jpegtutor train ye --profile quick|cpu|full --out runs/ye [--set distortion=mse|ms-ssim|lpips]
                       [--set mask=adaptive|lowpass|none] [--set lam=content|<number>] [--set rate=network|log]

Per training crop ``x`` at quality ``q`` (drawn uniformly over the profile's low-rate range), with
the preprocessor's edit ``e``:

    cost = (D(JPEG_q(e), x) + lambda * R(e)) / (D(JPEG_q(x), x) + lambda * R(x))
    loss = mean(cost) + (log(1 + rate_net(e)) - log(1 + real_bits(e)))^2

``D`` through the masked simulator, ``R`` the rate network's bits per pixel (its weights held
fixed in this term), ``lambda`` the image's own RD slope at ``q`` (or one fixed number), the
denominator the plain encode of the original: a cost below 1 is an edit that beats libjpeg on
this crop at this slope. The second term refits the rate network, on its own, to the real bits
of the crops the preprocessor makes at this step. Both are ours: the paper's exact loss is not public.
"""

from __future__ import annotations

import torch
from torch import nn

from ...diff import dct_coefficients, quality_to_tables, simulate
from ...rate import log_proxy
from ..single_run import run_recipe
from .model import YeModel
from .parts import MASKS, SIMULATORS, content_lambda, real_bits, simulated_decode

__all__ = ["DISTORTIONS", "OPTIONS", "PROFILES", "PixelLoss", "YeLoss", "build", "distortion_function", "train"]

DISTORTIONS = ("mse", "ms-ssim", "lpips")
OPTIONS = {"distortion": "mse", "mask": "adaptive", "lam": "content", "rate": "network", "simulator": "soft", "channels": 32}
PROFILES = {
    "quick": {"limit_images": 64, "crop": 64, "batch": 4, "max_steps": 30, "lr": 1e-3, "qualities": (10, 50),
              "checkpoint_every": 10},
    "cpu": {"crop": 96, "batch": 8, "max_steps": 3000, "lr": 5e-4, "qualities": (10, 50), "ema": 0.99,
            "checkpoint_every": 250},
    "full": {"crop": 192, "batch": 16, "max_steps": 20000, "lr": 2e-4, "qualities": (10, 50), "ema": 0.999,
             "checkpoint_every": 1000, "num_workers": 6},
}


def distortion_function(name: str):
    """``d(decoded, original) -> (B,)`` for ``name`` in :data:`DISTORTIONS`: MSE on the 0-255
    scale, ``1 - MS-SSIM`` (crops of at least 161 pixels), or LPIPS (AlexNet)."""
    if name == "mse":
        return lambda a, b: 255.0**2 * ((a - b) ** 2).mean((1, 2, 3))
    if name == "ms-ssim":
        from ...metrics import ms_ssim

        return lambda a, b: 1.0 - ms_ssim(a, b)
    if name == "lpips":
        from ...metrics.lpips_network import LPIPS

        return LPIPS("alex")
    raise ValueError(f"distortion must be one of {DISTORTIONS}, got {name!r}")


def _frozen_call(module: nn.Module, *args):
    """``module(*args)`` with its parameters detached: the gradient reaches the inputs only."""
    params = {k: v.detach() for k, v in module.named_parameters()}
    return torch.func.functional_call(module, params, args)


class YeLoss(nn.Module):
    """``loss(model, images (B, 3, H, W) in [0, 1], qualities (B,)) -> dict`` (module docstring).

    ``distortion``: :data:`DISTORTIONS`; ``mask``: :data:`~.parts.MASKS`; ``lam``: ``"content"``
    or a fixed multiplier (a number, in the distortion's units per bit per pixel); ``simulator``:
    ``"soft"`` or ``"exact"`` (:func:`~.parts.simulated_decode`); ``rate``:
    ``"network"`` (the refitted rate network) or ``"log"`` (Part III's ``log2(1 + |c| / Q)``, no
    network: an ablation)."""

    def __init__(self, distortion: str = "mse", mask: str = "adaptive", lam="content", rate: str = "network",
                 simulator: str = "soft", subsampling: str = "4:2:0", step: int = 2):
        super().__init__()
        if mask not in MASKS:
            raise ValueError(f"mask must be one of {MASKS}, got {mask!r}")
        if simulator not in SIMULATORS:
            raise ValueError(f"simulator must be one of {sorted(SIMULATORS)}, got {simulator!r}")
        if rate not in ("network", "log"):
            raise ValueError(f"rate must be 'network' or 'log', got {rate!r}")
        if lam != "content":
            try:
                lam = float(lam)
            except (TypeError, ValueError):
                raise ValueError(f"lam must be 'content' or a positive number, got {lam!r}") from None
            if not lam > 0:
                raise ValueError(f"lam must be 'content' or a positive number, got {lam!r}")
        self.distortion_name, self.mask, self.lam, self.rate, self.simulator = distortion, mask, lam, rate, simulator
        self.subsampling, self.step = subsampling, step
        self.distortion = distortion_function(distortion)

    def forward(self, model, images, qualities) -> dict:
        core = model.module if hasattr(model, "module") else model
        with torch.autocast(images.device.type, enabled=False):
            images, qualities = images.float(), qualities.float()
            return self.terms(core.preprocessor(images, qualities), images, qualities, core.rate)

    def plain(self, images, qualities) -> dict:
        """The plain encode of the originals: :func:`~.parts.content_lambda` in this loss's distortion."""
        return content_lambda(images, qualities, self.distortion, self.subsampling, self.step)

    def terms(self, edited, images, qualities, rate_net=None, plain=None) -> dict:
        """The terms for an ``edited`` image (a network's output, or pixels optimized directly);
        ``rate_net``: the rate network (needed for ``rate="network"``; refitted where it has
        trainable weights); ``plain``: :meth:`plain` of the originals, when already known."""
        pixels = images.shape[-1] * images.shape[-2]
        decoded = simulated_decode(edited, qualities, self.subsampling, self.mask, self.simulator)
        distortion = self.distortion(decoded, images)
        plain = plain or self.plain(images, qualities)
        lam = plain["lambda"] if self.lam == "content" else torch.full_like(plain["lambda"], self.lam)
        coefficients = dct_coefficients(edited, self.subsampling)
        tables = quality_to_tables(qualities)
        real = real_bits(edited, qualities, self.subsampling)
        rate_fit = torch.zeros((), device=images.device)
        if self.rate == "network":
            if rate_net is None:
                raise ValueError("rate='network' needs the rate network")
            predicted = _frozen_call(rate_net, coefficients, tables)
            if any(p.requires_grad for p in rate_net.parameters()):
                fitted = rate_net([c.detach() for c in coefficients], tables)
                rate_fit = ((torch.log1p(fitted) - torch.log1p(real)) ** 2).mean()
        else:
            predicted = log_proxy(coefficients, tables)
        rate_bpp = predicted / pixels
        cost = (distortion + lam * rate_bpp) / (plain["distortion"] + lam * plain["bpp"]).clamp_min(1e-9)
        with torch.no_grad():  # what the files would give: libjpeg's decoded pixels and real bits
            error = ((predicted - real) / real.clamp_min(1.0)).abs().mean()
            real_distortion = self.distortion(simulate(edited.detach(), qualities, subsampling=self.subsampling), images)
            real_cost = (real_distortion + lam * real / pixels) / (plain["distortion"] + lam * plain["bpp"]).clamp_min(1e-9)
        return {"loss": cost.mean() + rate_fit, "rd_cost": cost.mean(), "real_rd_cost": real_cost.mean(),
                "real_distortion": real_distortion.mean(), "distortion": distortion.mean(),
                "plain_distortion": plain["distortion"].mean(), "rate_bpp": rate_bpp.mean(),
                "real_bpp": (real / pixels).mean(), "plain_bpp": plain["bpp"].mean(), "lambda": lam.mean(),
                "rate_fit": rate_fit, "rate_error": error}


class PixelLoss:
    """:class:`YeLoss` over the pixels of one image (per-image optimization): ``loss(edited,
    original, quality) -> dict``, with a frozen rate network and the plain encode computed once."""

    def __init__(self, loss: YeLoss, rate_net: nn.Module | None):
        self.loss, self.rate_net, self._plain = loss, rate_net, None

    def __call__(self, edited, original, quality) -> dict:
        if self._plain is None:
            self._plain = self.loss.plain(original, quality)
        return self.loss.terms(edited, original, quality, self.rate_net, self._plain)


def build(distortion: str = "mse", mask: str = "adaptive", lam="content", rate: str = "network", simulator: str = "soft",
          channels: int = 32):
    """``(YeModel, YeLoss)`` for the trainer; the rate network starts from the shipped ``rate-network``."""
    from ... import zoo

    model = YeModel(int(channels))
    model.rate.load_state_dict(zoo.load_state("rate-network"))
    return model, YeLoss(distortion, mask, lam, rate, simulator)


def train(out, profile: str = "quick", max_steps: int | None = None, seed: int | None = None, resume: bool = False,
          echo=print, overwrite: bool = False, **settings) -> dict:
    """One trainer run in ``out``; writes ``out/ye.pt`` (the preprocessor and its rate network) and
    the card ``out/ye.json``. ``settings``: :data:`OPTIONS` and any TrainConfig field. Returns the card."""
    return run_recipe("ye", build, OPTIONS, PROFILES, out, profile, max_steps, seed, resume, echo, overwrite,
                      **settings)
