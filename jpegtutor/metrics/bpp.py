"""Bits per pixel: the rate axis of every rate-distortion plot in the book."""

from __future__ import annotations

__all__ = ["bpp"]


def bpp(num_bytes: int, height: int, width: int) -> float:
    """``8 * num_bytes / (height * width)``: the whole file (headers included) per pixel."""
    if height <= 0 or width <= 0:
        raise ValueError(f"height and width must be positive, got {height}x{width}")
    if num_bytes < 0:
        raise ValueError(f"num_bytes must be non-negative, got {num_bytes}")
    return 8.0 * num_bytes / (height * width)
