"""Image quality metrics. Every metric takes ``(B, 3, H, W)`` (or ``(3, H, W)``) float tensors in
``[0, 1]`` and returns one value per image, ``(B,)``; mismatched shapes, wrong dtypes and
out-of-range values raise a ``TypeError``/``ValueError`` that says what was wrong. The
no-reference quality model of chapter 09 is :mod:`jpegtutor.metrics.noref`."""

from .bpp import bpp
from .lpips_network import LPIPS, lpips
from .measure import measure, measure_pixels
from .psnr import mse, psnr, psnr_y
from .ssim import ms_ssim, ssim

__all__ = ["LPIPS", "bpp", "lpips", "measure", "measure_pixels", "ms_ssim", "mse", "psnr", "psnr_y", "ssim"]
