"""The training loss every pre-editor shares (Part IV).

An editor maps ``(B, 3, H, W)`` images in [0, 1] and a JPEG quality ``(B,)`` to an edited image of
the same shape; a standard JPEG encoder then compresses the edit. It is trained through the
differentiable simulator (:mod:`jpegtutor.diff`) with a rate proxy (:mod:`jpegtutor.rate`):

    loss = distance(JPEG_q(edit(x)), x) + lambda * Q(JPEG_q(edit(x))) + tv * TV(JPEG_q(edit(x)))
           + mu * bits_q(edit(x)) / pixels

(Talebi et al.'s Eq. 5). :class:`PreEditLoss` computes these terms;
:func:`jpegtutor.editors.optimize.optimize_image` minimizes the same loss over the pixels of one
image instead of over network weights (their Eq. 4).
"""

from __future__ import annotations

import torch
from torch import nn

from ..diff import quality_to_tables, simulate, simulate_with_coefficients
from ..metrics.lpips_network import backbone_weights_path
from ..rate import log_proxy

# how the distance term sees JPEG: name -> (simulator mode, rounding surrogate)
SIMULATORS = {"ste": ("exact", "ste"), "noise": ("smooth", "noise"), "soft": ("smooth", "soft")}

__all__ = ["SIMULATORS", "PreEditLoss", "VGGFeatures", "total_variation"]


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Anisotropic total variation, mean absolute difference of neighbours: ``(B, C, H, W)`` -> ``(B,)``."""
    dy = (image[:, :, 1:] - image[:, :, :-1]).abs().mean((1, 2, 3))
    dx = (image[:, :, :, 1:] - image[:, :, :, :-1]).abs().mean((1, 2, 3))
    return dy + dx


class VGGFeatures(nn.Module):
    """VGG-16's activations after its second convolution (``conv1_2`` + ReLU, before the first pooling).

    ``(B, 3, H, W)`` in [0, 1] -> ``(B, 64, H, W)``. ImageNet weights (torchvision's, found as for
    LPIPS: ``$JPEGTUTOR_WEIGHTS``, ``../shared/weights``, torch hub cache, download); frozen.
    Talebi et al. took this layer from a VGG-16 fine-tuned for quality assessment (NIMA's), whose
    weights are not public; the ImageNet one is the closest we can load.
    """

    MEAN = (0.485, 0.456, 0.406)
    STD = (0.229, 0.224, 0.225)

    def __init__(self, weights=None):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, padding=1)
        self.conv2 = nn.Conv2d(64, 64, 3, padding=1)
        state = torch.load(backbone_weights_path("vgg", weights), map_location="cpu", weights_only=True)
        for i, conv in ((0, self.conv1), (2, self.conv2)):
            conv.weight.data.copy_(state[f"features.{i}.weight"])
            conv.bias.data.copy_(state[f"features.{i}.bias"])
        self.register_buffer("mean", torch.tensor(self.MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(self.STD).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv1((image - self.mean) / self.std))
        return torch.relu(self.conv2(h))


class PreEditLoss(nn.Module):
    """``loss(edited, original, quality) -> dict`` of the terms above (``loss`` is minimized).

    ``edited``, ``original``: ``(B, 3, H, W)`` in [0, 1]; ``quality``: ``(B,)`` float in [1, 100],
    the same quality in the simulator and the rate term. Terms are means over the batch:
    ``distance`` (L1 of :class:`VGGFeatures`, or ``"mse"``: MSE on the 0-255 scale / 100),
    ``quality`` (a no-reference penalty, lower is better, see
    :func:`jpegtutor.metrics.noref.load_quality_model`; ours, predicted LPIPS, x 10), ``tv``, ``rate_bpp`` (the factorized
    density of Part III on the noisy coefficients ``c / Q + U(-1/2, 1/2)``, in bits per pixel; or
    ``"log"``: ``log2(1 + |c| / Q)`` per pixel), and ``psnr_db`` of the simulated JPEG (logged only).
    Frozen networks (VGG, the quality model, the density) are not trained.
    """

    def __init__(self, distance: str = "vgg", quality_model: str | None = "noref", quality_weight: float = 0.02,
                 tv_weight: float = 0.0, rate: str = "density", rate_weight: float = 1.0, subsampling: str = "4:2:0",
                 simulator: str = "soft"):
        super().__init__()
        if distance not in ("vgg", "mse"):
            raise ValueError(f"distance must be 'vgg' or 'mse', got {distance!r}")
        if simulator not in SIMULATORS:
            raise ValueError(f"simulator must be one of {sorted(SIMULATORS)}, got {simulator!r}")
        if rate not in ("density", "log"):
            raise ValueError(f"rate must be 'density' or 'log', got {rate!r}")
        for name, value in (("quality_weight", quality_weight), ("tv_weight", tv_weight), ("rate_weight", rate_weight)):
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        self.distance, self.rate = distance, rate
        self.quality_weight, self.tv_weight, self.rate_weight = quality_weight, tv_weight, rate_weight
        self.subsampling, self.simulator = subsampling, simulator
        self.features = VGGFeatures() if distance == "vgg" else None
        self.quality_model = None
        if quality_model and quality_weight > 0:
            from ..metrics.noref import load_quality_model

            self.quality_model = load_quality_model(quality_model)
        # ours predicts LPIPS (0 to about 0.6); x10 puts it on NIMA's 10-point scale, for which lambda = 0.02 was chosen
        self.quality_scale = 10.0 if quality_model == "noref" else 1.0
        self.density = None
        if rate == "density":
            from ..rate import load_pretrained

            self.density = load_pretrained("density").requires_grad_(False)
        self.train()

    def train(self, mode: bool = True):
        """Frozen parts stay as they must: VGG and the quality model in eval mode, the density noisy."""
        super().train(mode)
        for part in (self.features, self.quality_model):
            if part is not None:
                part.eval()
        if self.density is not None:
            self.density.train()  # training mode = additive uniform noise (Balle et al.)
        return self

    def forward(self, edited: torch.Tensor, original: torch.Tensor, quality: torch.Tensor) -> dict:
        # the simulator, the rate and the no-reference term run in float32 outside any autocast; the
        # VGG features keep the caller's autocast (bfloat16 on the fast path: the distance moves by
        # about 0.1 %, its gradient's direction by a few degrees) and are compared in float32
        device = edited.device.type
        features_autocast = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else None
        with torch.autocast(device, enabled=False):
            return self._terms(edited.float(), original.float(), quality.float(), features_autocast)

    def feature_maps(self, image: torch.Tensor, autocast=None) -> torch.Tensor:
        """VGG features in float32, computed under ``autocast`` (a dtype, or None: float32)."""
        with torch.autocast(image.device.type, dtype=autocast or torch.float32, enabled=autocast is not None):
            return self.features(image).float()

    def _terms(self, edited, original, quality, features_autocast=None) -> dict:
        # libjpeg's pixels with straight-through gradients, and the coefficients for the rate term
        exact, coefficients = simulate_with_coefficients(edited, quality, self.subsampling)
        mode, rounding = SIMULATORS[self.simulator]
        decoded = exact if self.simulator == "ste" else simulate(edited, quality, subsampling=self.subsampling,
                                                                 mode=mode, rounding=rounding)
        terms = {}
        if self.features is not None:
            with torch.no_grad():
                target = self.feature_maps(original, features_autocast)
            terms["distance"] = (self.feature_maps(decoded, features_autocast) - target).abs().mean()
        else:
            terms["distance"] = 255.0**2 * ((decoded - original) ** 2).mean() / 100.0
        loss = terms["distance"]
        if self.quality_model is not None:
            terms["quality"] = self.quality_scale * self.quality_model(exact).mean()
            loss = loss + self.quality_weight * terms["quality"]
        if self.tv_weight:
            terms["tv"] = total_variation(exact).mean()
            loss = loss + self.tv_weight * terms["tv"]
        tables = quality_to_tables(quality)
        pixels = edited.shape[-1] * edited.shape[-2]
        bits = self.density(coefficients, tables) if self.density is not None else log_proxy(coefficients, tables)
        terms["rate_bpp"] = (bits / pixels).mean()
        loss = loss + self.rate_weight * terms["rate_bpp"]
        with torch.no_grad():
            mse = ((exact.detach() - original) ** 2).mean((1, 2, 3)).clamp_min(1e-12)
            terms["psnr_db"] = (10 * torch.log10(1 / mse)).mean()
        terms["loss"] = loss
        return terms
