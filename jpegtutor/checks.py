"""Input checks shared by the public functions: one message style, naming the argument, the value and what is allowed."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_image_u8", "check_quality"]


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
