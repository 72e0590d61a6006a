"""Input checks shared by the public functions: one message style, naming the argument, the value and what is allowed."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["RANGE_TOLERANCE", "check_image_tensor", "check_image_u8", "check_quality"]

RANGE_TOLERANCE = 1e-3  # float noise around [0, 1] is fine; 255-scaled input is not


def check_image_u8(image, name: str = "image", channels: tuple = (1, 3)) -> np.ndarray:
    """``image`` must be a NumPy ``uint8`` array ``(H, W, 3)`` (or ``(H, W)`` when 1 is in ``channels``), H, W >= 1.

    A float array or tensor in [0, 1] gets the hint to convert it; one that looks 0-255 scaled says so.
    """
    if not isinstance(image, np.ndarray):
        hint = " (convert a float tensor in [0, 1] with jpegtutor.image.to_uint8)" if type(image).__name__ == "Tensor" else ""
        raise TypeError(f"{name} must be a uint8 NumPy array (H, W, 3), got {type(image).__name__}{hint}")
    if image.dtype != np.uint8:
        hint = ""
        if image.dtype.kind == "f" and image.size:
            hint = (" (values look 0-255 scaled: use image.round().astype(np.uint8))" if float(np.nanmax(image)) > 2
                    else " (values look like [0, 1]: use (image * 255).round().astype(np.uint8))")
        raise TypeError(f"{name} must have dtype uint8, got {image.dtype}{hint}")
    shapes = " or ".join(s for c, s in ((3, "(H, W, 3)"), (1, "(H, W)")) if c in channels)
    if not ((image.ndim == 3 and image.shape[2] == 3 and 3 in channels) or (image.ndim == 2 and 1 in channels)):
        raise ValueError(f"{name} must have shape {shapes}, got {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {image.shape}")
    return image


def check_quality(quality, name: str = "quality") -> int:
    """A JPEG quality: an integer 1-100 (``numpy`` integers too; not bools, not 50.5)."""
    if isinstance(quality, bool) or not isinstance(quality, numbers.Integral) or not 1 <= quality <= 100:
        raise ValueError(f"{name} must be an integer from 1 to 100, got {quality!r}")
    return int(quality)


def check_image_tensor(x, who: str, name: str = "x", min_side: int = 1):
    """``x`` must be a float tensor ``(B, 3, H, W)`` or ``(3, H, W)`` in [0, 1] (within 1e-3), finite,
    sides >= ``min_side``; returns it 4-D. ``who`` names the caller in the message; a tensor that
    looks 0-255 scaled, or a uint8 array, gets the hint that fixes it."""
    import torch

    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{who}: {name} must be a torch.Tensor, got {type(x).__name__} "
                        "(convert uint8 arrays with jpegtutor.image.to_tensor)")
    if not x.is_floating_point():
        raise TypeError(f"{who}: {name} must be a float tensor in [0, 1], got dtype {x.dtype} "
                        "(convert uint8 images with jpegtutor.image.to_tensor)")
    if x.ndim not in (3, 4) or x.shape[-3] != 3:
        raise ValueError(f"{who}: {name} must have shape (B, 3, H, W) or (3, H, W), got {tuple(x.shape)}")
    h, w = x.shape[-2:]
    if min(h, w) < min_side:
        raise ValueError(f"{who} needs images of at least {min_side}x{min_side} pixels, got {h}x{w}")
    if x.numel():
        lo, hi = float(x.detach().min()), float(x.detach().max())
        if not np.isfinite([lo, hi]).all():
            raise ValueError(f"{who}: {name} contains NaN or infinite values")
        if lo < -RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
            hint = " (it looks 0-255 scaled: divide by 255)" if hi > 2 else ""
            raise ValueError(f"{who}: {name} must hold values in [0, 1], got range [{lo:.4g}, {hi:.4g}]{hint}")
    return x.unsqueeze(0) if x.ndim == 3 else x
