"""The real JPEG codec, built step by step in Part I of the book."""

from .color import rgb_to_y, rgb_to_ycbcr, ycbcr_to_rgb
from .reference import pillow_decode, pillow_encode

__all__ = ["pillow_decode", "pillow_encode", "rgb_to_y", "rgb_to_ycbcr", "ycbcr_to_rgb"]
