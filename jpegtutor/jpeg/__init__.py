"""The real JPEG codec, built step by step in Part I of the book."""

from .color import rgb_to_ycbcr, rgb_to_y, ycbcr_to_rgb

__all__ = ["rgb_to_y", "rgb_to_ycbcr", "ycbcr_to_rgb"]
