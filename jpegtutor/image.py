"""Images at the file boundary: read and write files, convert between NumPy ``uint8`` and tensors.

Conventions: NumPy ``uint8`` arrays ``(H, W, 3)`` (or ``(H, W)`` greyscale) at file boundaries;
tensors ``(B, 3, H, W)`` float32 in ``[0, 1]`` inside the package.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .checks import check_image_u8

__all__ = ["read_image", "to_tensor", "to_uint8", "write_image"]


def read_image(path: str | os.PathLike, mode: str = "RGB") -> np.ndarray:
    """Read an image file into ``uint8 (H, W, 3)`` (``mode="RGB"``) or ``(H, W)`` (``mode="L"``).

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file for a file
    that is not a readable image (corrupt, truncated, or another format).
    """
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no image file at {path}")
    try:
        with Image.open(path) as img:
            img.load()
            return np.asarray(img.convert(mode), dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"cannot read {path} as an image: {exc}") from exc


def write_image(path: str | os.PathLike, image: np.ndarray | torch.Tensor) -> Path:
    """Write an image losslessly (the format follows the suffix; use ``.png``).

    ``image``: ``uint8 (H, W, 3)``/``(H, W)`` array, or a float tensor ``(3, H, W)``/``(1, 3, H, W)``
    in ``[0, 1]``.
    """
    path = Path(path)
    if isinstance(image, torch.Tensor):
        image = to_uint8(image)
        if image.ndim == 4:
            if image.shape[0] != 1:
                raise ValueError(f"write_image takes one image, got a batch of {image.shape[0]}")
            image = image[0]
    _check_uint8_image(image, "image")
    Image.fromarray(image).save(path)
    return path


def _check_uint8_image(image, name: str) -> None:
    check_image_u8(image, name)


def to_tensor(image: np.ndarray, device: torch.device | str | None = None) -> torch.Tensor:
    """``uint8 (H, W, 3)`` (or ``(B, H, W, 3)``) to float32 ``(1|B, 3, H, W)`` in ``[0, 1]``."""
    if isinstance(image, np.ndarray) and image.ndim == 4:
        for i in range(image.shape[0]):
            _check_uint8_image(image[i], f"image[{i}]")
        arr = image
    else:
        _check_uint8_image(image, "image")
        arr = image[None] if image.ndim == 3 else np.repeat(image[None, :, :, None], 3, axis=3)
    tensor = torch.from_numpy(np.ascontiguousarray(arr)).permute(0, 3, 1, 2).float().div_(255.0)
    return tensor.to(device) if device is not None else tensor


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """Float tensor in ``[0, 1]``, ``(3, H, W)`` or ``(B, 3, H, W)``, to ``uint8 (H, W, 3)`` or ``(B, H, W, 3)``.

    Values are clamped to ``[0, 1]`` and rounded to the nearest integer level.
    """
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"image must be a torch.Tensor, got {type(image).__name__}")
    if not image.is_floating_point():
        raise TypeError(f"image must be a float tensor in [0, 1], got dtype {image.dtype}")
    if image.ndim not in (3, 4) or image.shape[-3] != 3:
        raise ValueError(f"image must have shape (3, H, W) or (B, 3, H, W), got {tuple(image.shape)}")
    arr = (image.detach().clamp(0, 1) * 255.0).round().to(torch.uint8).cpu()
    return arr.movedim(-3, -1).contiguous().numpy()
