"""Training JENO, JDNO and their same-size CNN baselines with the book's trainer.

    jpegtutor train jdno --profile cpu --out runs/jdno          # also jdno-cnn, jeno, jeno-cnn

**JDNO** (and ``jdno-cnn``): each training crop is JPEG-compressed with libjpeg's exact arithmetic
(:func:`jpegtutor.diff.simulate`, byte-identical coefficients to a real file), its quantized
coefficients dequantized, and the network asked for the original: ``L1(D(spectra), X)`` (Eq. 23).
The tables: the trainer draws a number ``q`` from 1-100 per crop; ``q <= 81`` means the standard
tables at quality ``9 + q`` (10-90, the paper's range in steps of 1 instead of 10), larger ``q`` a
Q_psi pair of the shipped lookup table (the paper mixes both; here about one crop in five).

**JENO** (and ``jeno-cnn``): distortion blind (Eq. 15): ``L1(RGB(X_Y, U(E(X))), X)`` with no
quantization; 4:2:0 or 4:2:2 per step (even or odd of the first drawn number).

Logged at every step: the network's PSNR and that of the ordinary path on the same crops
(``plain_psnr_db``: libjpeg's decode for JDNO, libjpeg's averaging for JENO).
"""

from __future__ import annotations

import torch
from torch import nn

from ..diff import simulate
from ..diff.simulator import quality_to_tables
from ..editors.single_run import run_recipe
from ..jpeg.color import rgb_to_ycbcr
from .jdno import JDNO, DecoderCNN, Spectra
from .jeno import JENO, ChromaCNN, box_subsample, reconstruct

__all__ = ["MODELS", "PROFILES", "JDNOLoss", "JENOLoss", "build", "spectra_of", "train", "training_tables"]

QPSI_FROM = 82  # drawn numbers from here to 100 pick a Q_psi pair
PROFILES = {
    "quick": {"limit_images": 32, "crop": 48, "batch": 4, "max_steps": 20, "lr": 5e-4, "checkpoint_every": 10},
    "cpu": {"crop": 64, "batch": 8, "max_steps": 700, "lr": 5e-4, "checkpoint_every": 100},
    "full": {"crop": 112, "batch": 32, "max_steps": 100000, "lr": 1e-4, "checkpoint_every": 2000, "num_workers": 6},
}
# name -> (network class, its options and defaults, side)
MODELS = {
    "jdno": (JDNO, {"channels": 64, "depth": 4, "heads": 4, "window": 8, "cosines": 32, "width": 48, "op_heads": 4,
                    "layers": 2, "pixel_head": 0}, "decoder"),
    "jdno-cnn": (DecoderCNN, {"channels": 19}, "decoder"),
    "jeno": (JENO, {"features": 32, "blocks": 4, "width": 64, "heads": 8, "layers": 2}, "encoder"),
    "jeno-cnn": (ChromaCNN, {"features": 37, "blocks": 5}, "encoder"),
}


def _qpsi_tables() -> torch.Tensor:
    from ..tables import lookup_table

    return torch.tensor(lookup_table("qpsi")["tables"], dtype=torch.float32)


def training_tables(draws: torch.Tensor) -> torch.Tensor:
    """``(B,)`` numbers in 1-100 -> ``(B, 2, 8, 8)`` tables: standard at quality ``9 + q`` for ``q < 82``,
    else Q_psi pair ``(q - 82) mod N`` of the shipped lookup table."""
    draws = draws.float()
    standard = quality_to_tables((draws + 9).clamp(10, 90))
    if bool((draws >= QPSI_FROM).any()):
        bank = _qpsi_tables().to(standard)
        pick = ((draws - QPSI_FROM).clamp_min(0).long() % len(bank))
        standard = torch.where((draws >= QPSI_FROM)[:, None, None, None], bank[pick], standard)
    return standard


def spectra_of(images: torch.Tensor, tables: torch.Tensor, subsampling: str = "4:2:0"):
    """``(Spectra, libjpeg's decode)`` of ``(B, 3, H, W)`` crops compressed with ``tables`` (exact, no gradient)."""
    with torch.no_grad():
        decoded, coefficients = simulate(images, tables=tables, subsampling=subsampling, return_coefficients=True)
        parts = []
        for c, coefs in enumerate(coefficients):
            step = tables[:, min(c, 1)].reshape(-1, 1, 1, 64)
            quantized = torch.sign(coefs) * torch.floor(coefs.abs() / step + 0.5)  # libjpeg's rounding, half away
            parts.append(quantized * step)
    return Spectra(*parts, tables, images.shape[-2:]), decoded


def _psnr_db(x, y):
    """PSNR of a whole batch (its pooled MSE; a mean of per-crop PSNRs is dominated by flat crops
    where the plain path is near-exact), the output clipped to [0, 1] as a decoder writes it."""
    return -10 * torch.log10(((x.clamp(0, 1) - y) ** 2).mean().clamp_min(1e-10))


class JDNOLoss(nn.Module):
    """``loss(decoder, images (B, 3, H, W) in [0, 1], draws (B,)) -> dict``: L1 to the original (4:2:0)."""

    def __init__(self, subsampling: str = "4:2:0"):
        super().__init__()
        self.subsampling = subsampling

    def forward(self, decoder, images, draws):
        with torch.autocast(images.device.type, enabled=False):
            images = images.float()
            spectra, plain = spectra_of(images, training_tables(draws), self.subsampling)
            out = decoder(spectra)
            terms = {"loss": (out - images).abs().mean()}
            with torch.no_grad():
                terms["psnr_db"] = _psnr_db(out, images)
                terms["plain_psnr_db"] = _psnr_db(plain, images)
                terms["gain_db"] = terms["psnr_db"] - terms["plain_psnr_db"]
        return terms


class JENOLoss(nn.Module):
    """``loss(encoder, images, draws) -> dict``: L1 between the image and its reconstruction from
    luma and the upsampled chroma the encoder chose (no quantization)."""

    def forward(self, encoder, images, draws):
        with torch.autocast(images.device.type, enabled=False):
            images = images.float()
            subsampling = "4:2:0" if int(draws[0]) % 2 == 0 else "4:2:2"
            luma = rgb_to_ycbcr(images)[:, :1]
            out = reconstruct(luma, encoder(images, subsampling))
            terms = {"loss": (out - images).abs().mean()}
            with torch.no_grad():
                plain = reconstruct(luma, box_subsample(rgb_to_ycbcr(images)[:, 1:], subsampling))
                terms["psnr_db"] = _psnr_db(out, images)
                terms["plain_psnr_db"] = _psnr_db(plain, images)
                terms["gain_db"] = terms["psnr_db"] - terms["plain_psnr_db"]
        return terms


def build(name: str):
    """``build(**options) -> (network, loss)`` of model ``name`` (:data:`MODELS`)."""
    network, _, side = MODELS[name]

    def make(**options):
        return network(**{k: int(v) for k, v in options.items()}), JDNOLoss() if side == "decoder" else JENOLoss()
    return make


def train(name: str, out, profile: str = "quick", max_steps: int | None = None, seed: int | None = None,
          resume: bool = False, echo=print, overwrite: bool = False, **settings) -> dict:
    """One trainer run of ``name`` in ``out``; writes ``out/<name>.pt`` and its card. Returns the card."""
    if name not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}, got {name!r}")
    return run_recipe(name, build(name), MODELS[name][1], PROFILES, out, profile, max_steps, seed, resume, echo,
                      overwrite, fixed={"qualities": (1, 100)}, **settings)
