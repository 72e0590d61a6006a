"""Run a trained pre-editor on an image and write a standard JPEG; editors as ``eval`` methods.

    jpegtutor preedit talebi IN.png OUT.jpg --quality 15 [--checkpoint CKPT] [--per-image-steps 50]

The edited image is rounded to 8 bits and handed to Pillow's (libjpeg's) encoder at the same
quality, so the output is an ordinary baseline JPEG any decoder reads.
"""

from __future__ import annotations

import numpy as np
import torch

from ..image import to_tensor, to_uint8
from ..jpeg.codec import normalize_subsampling
from ..jpeg.reference import pillow_encode

__all__ = ["EDITORS", "edit", "eval_method", "load", "preedit"]

def _load_talebi(checkpoint=None) -> torch.nn.Module:
    from .talebi import load_editor

    return load_editor(checkpoint)


# editor name -> loader(checkpoint or None) -> nn.Module with forward(image (B,3,H,W), quality (B,))
EDITORS = {"talebi": _load_talebi}
_LOADED: dict = {}


def load(name: str, checkpoint=None) -> torch.nn.Module:
    """The trained editor ``name`` (cached per checkpoint), eval mode, no gradients."""
    if name not in EDITORS:
        raise ValueError(f"unknown editor {name!r}; available: {sorted(EDITORS)}")
    key = (name, None if checkpoint is None else str(checkpoint))
    if key not in _LOADED:
        _LOADED[key] = EDITORS[name](checkpoint)
    return _LOADED[key]


def _check(image: np.ndarray, quality) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ValueError(f"image must be a uint8 array (H, W, 3), got {got}")
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
        raise ValueError(f"quality must be an integer in 1-100, got {quality!r}")


def edit(name: str, image: np.ndarray, quality: int, subsampling: str = "4:2:0", checkpoint=None,
         per_image_steps: int = 0, lr: float = 0.005, loss_options: dict | None = None) -> np.ndarray:
    """The edited image, ``uint8 (H, W, 3)``: the editor's output for ``quality``, then optionally
    ``per_image_steps`` of per-image optimization of the same loss starting from it
    (:func:`jpegtutor.editors.blocks.optimize_image`)."""
    _check(image, quality)
    subsampling = normalize_subsampling(subsampling)
    editor = load(name, checkpoint)
    x = to_tensor(image)
    q = torch.full((1,), float(quality))
    with torch.no_grad():
        edited = editor(x, q)
    if per_image_steps:
        from .blocks import PreEditLoss, optimize_image

        loss = PreEditLoss(subsampling=subsampling, **(loss_options or {}))
        edited = optimize_image(x, q, loss, per_image_steps, lr=lr, start=edited, progress_desc=f"{name}: per-image steps")
    return to_uint8(edited[0])


def preedit(name: str, image: np.ndarray, quality: int, subsampling: str = "4:2:0", checkpoint=None,
            per_image_steps: int = 0, **options) -> bytes:
    """Edit ``image`` (uint8 (H, W, 3)) with editor ``name`` and encode it with libjpeg at ``quality``."""
    edited = edit(name, image, quality, subsampling, checkpoint, per_image_steps, **options)
    return pillow_encode(edited, quality, normalize_subsampling(subsampling))


def eval_method(name: str, checkpoint=None, per_image_steps: int = 0):
    """``encode(image, quality, subsampling) -> bytes`` for :func:`jpegtutor.eval.evaluate`."""
    load(name, checkpoint)  # fail early, before a long evaluation starts

    def encode(image, quality, subsampling):
        return preedit(name, image, quality, subsampling, checkpoint, per_image_steps)

    return encode
