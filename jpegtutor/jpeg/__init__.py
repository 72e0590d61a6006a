"""The real JPEG codec, built step by step in Part I of the book.

Two paths share one structure: the teaching path (float colour transform, box subsampling,
orthonormal DCT, plain rounding) and the libjpeg-exact path (libjpeg-turbo's integer arithmetic),
which makes :func:`encode` byte-identical to Pillow and :func:`decode` pixel-identical to it.
"""

from .codec import SAMPLING, Coefficients, component_planes, decode, encode, encode_planes, read_coefficients, write_coefficients
from .color import rgb_to_y, rgb_to_ycbcr, rgb_to_ycbcr_libjpeg, ycbcr_to_rgb, ycbcr_to_rgb_libjpeg
from .errors import JPEGError, JPEGWarning
from .inspect import inspect
from .quant import STD_CHROMA, STD_LUMA, quality_scale, tables_for_quality
from .reference import pillow_decode, pillow_encode

__all__ = [
    "Coefficients", "JPEGError", "JPEGWarning", "SAMPLING", "STD_CHROMA", "STD_LUMA", "component_planes", "decode", "encode", "encode_planes", "inspect",
    "pillow_decode", "pillow_encode", "quality_scale", "read_coefficients", "rgb_to_y", "rgb_to_ycbcr",
    "rgb_to_ycbcr_libjpeg", "tables_for_quality", "write_coefficients", "ycbcr_to_rgb", "ycbcr_to_rgb_libjpeg",
]
