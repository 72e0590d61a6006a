"""Input validation shared by every metric: clear errors instead of failures deep in torch."""

from __future__ import annotations

import torch

RANGE_TOLERANCE = 1e-3  # float noise around [0, 1] is fine; 255-scaled input is not


def check_pair(x: torch.Tensor, y: torch.Tensor, metric: str, *, min_side: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate two image batches and return them as ``(B, 3, H, W)`` float tensors.

    Accepts ``(3, H, W)`` (one image) or ``(B, 3, H, W)``, float, values in ``[0, 1]``, equal shapes,
    sides of at least ``min_side`` pixels.
    """
    for name, t in (("x", x), ("y", y)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(
                f"{metric}: {name} must be a torch.Tensor, got {type(t).__name__} "
                "(convert uint8 arrays with jpegtutor.image.to_tensor)"
            )
        if not t.is_floating_point():
            raise TypeError(
                f"{metric}: {name} must be a float tensor in [0, 1], got dtype {t.dtype} "
                "(convert uint8 images with jpegtutor.image.to_tensor)"
            )
        if t.ndim not in (3, 4) or t.shape[-3] != 3:
            raise ValueError(f"{metric}: {name} must have shape (B, 3, H, W) or (3, H, W), got {tuple(t.shape)}")
    if x.shape != y.shape:
        raise ValueError(f"{metric}: x and y must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    if x.device != y.device:
        raise ValueError(f"{metric}: x and y are on different devices ({x.device} and {y.device})")
    h, w = x.shape[-2:]
    if min(h, w) < min_side:
        raise ValueError(f"{metric} needs images of at least {min_side}x{min_side} pixels, got {h}x{w}")
    for name, t in (("x", x), ("y", y)):
        lo, hi = float(t.detach().min()), float(t.detach().max())
        if not (torch.isfinite(torch.tensor([lo, hi])).all()):
            raise ValueError(f"{metric}: {name} contains NaN or infinite values")
        if lo < -RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
            hint = " (it looks 0-255 scaled: divide by 255)" if hi > 2 else ""
            raise ValueError(f"{metric}: {name} must hold values in [0, 1], got range [{lo:.4g}, {hi:.4g}]{hint}")
    if x.ndim == 3:
        x, y = x.unsqueeze(0), y.unsqueeze(0)
    return x, y
