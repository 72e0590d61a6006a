"""Running a trained pixel editor on one image: the ``edit`` function an :class:`~jpegtutor.registry.Editor` loads.

    edit = network_editor(network)                  # network(image (B,3,H,W) in [0,1], quality (B,)) -> same shape
    edited = edit(image_u8, quality, "4:2:0")       # uint8 (H, W, 3), handed to any registered encoder
    edited = edit(image_u8, quality, "4:2:0", per_image_steps=40)   # + Talebi's Eq. 4 on this image

The network runs without gradients in eval mode; per-image optimization continues from its output
with the training loss (:func:`jpegtutor.editors.optimize.optimize_image`).
"""

from __future__ import annotations

import numpy as np
import torch

from ..checks import check_image_u8, check_quality
from ..image import to_tensor, to_uint8
from ..jpeg.codec import normalize_subsampling

__all__ = ["MIN_SIDE", "network_editor"]

MIN_SIDE = 8  # one JPEG block; the editors' reflect padding needs more than one pixel


def network_editor(network: torch.nn.Module, name: str = "editor", per_image_loss=None):
    """``edit(image uint8 (H, W, 3), quality, subsampling, per_image_steps=0, lr=0.005, loss_options=None) -> uint8 (H, W, 3)``.

    ``per_image_loss(subsampling, **loss_options) -> loss(edited, original, quality) -> dict``: the
    loss the per-image steps minimize (default: :class:`~jpegtutor.editors.loss.PreEditLoss`)."""
    network = network.requires_grad_(False).eval()

    def edit(image: np.ndarray, quality: int, subsampling: str = "4:2:0", per_image_steps: int = 0, lr: float = 0.005,
             loss_options: dict | None = None) -> np.ndarray:
        check_image_u8(image, "image", channels=(3,))
        quality = check_quality(quality)
        subsampling = normalize_subsampling(subsampling)
        if min(image.shape[:2]) < MIN_SIDE:
            raise ValueError(f"{name} needs images of at least {MIN_SIDE}x{MIN_SIDE} pixels, got {image.shape[0]}x{image.shape[1]}")
        if isinstance(per_image_steps, bool) or not isinstance(per_image_steps, int) or per_image_steps < 0:
            raise ValueError(f"per_image_steps must be an integer >= 0, got {per_image_steps!r}")
        x = to_tensor(image)
        q = torch.full((1,), float(quality))
        with torch.no_grad():
            edited = network(x, q)
        if per_image_steps:
            from .loss import PreEditLoss
            from .optimize import optimize_image

            make = per_image_loss or (lambda s, **options: PreEditLoss(subsampling=s, **options))
            loss = make(subsampling, **(loss_options or {}))
            edited = optimize_image(x, q, loss, per_image_steps, lr=lr, start=edited,
                                    progress_desc=f"{name}: per-image steps")
        return to_uint8(edited[0])

    return edit
