"""Images at the file boundary: read and write files, convert between NumPy ``uint8`` and tensors.

Conventions: NumPy ``uint8`` arrays ``(H, W, 3)`` (or ``(H, W)`` greyscale) at file boundaries;
tensors ``(B, 3, H, W)`` float32 in ``[0, 1]`` inside the package.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .checks import check_image_u8
from .files import write_with

__all__ = ["ImageConversionWarning", "read_image", "to_tensor", "to_uint8", "write_image"]


LOSSLESS = {".png": "PNG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF", ".ppm": "PPM", ".pgm": "PPM", ".pnm": "PPM"}


class ImageConversionWarning(UserWarning):
    """``read_image`` changed the file's pixels to give 8-bit RGB (alpha composited, bit depth reduced, rotated)."""


def _to_8bit(img: Image.Image, path: Path) -> Image.Image:
    """16- and 32-bit greyscale scaled to 0-255 (Pillow's ``convert`` would clip them to white)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        values = np.asarray(img, dtype=np.int64)
        top = 65535 if img.mode.startswith("I;16") or values.max(initial=0) <= 65535 else int(values.max())
        warnings.warn(f"{path.name}: {img.mode} greyscale scaled from 0-{top} to 8 bits", ImageConversionWarning, stacklevel=3)
        return Image.fromarray(((np.clip(values, 0, top) * 255 + top // 2) // top).astype(np.uint8), "L")
    if img.mode == "F":
        raise ValueError(f"{path} holds floating-point pixels; save it as an 8- or 16-bit image first")
    return img


def read_image(path: str | os.PathLike, mode: str = "RGB") -> np.ndarray:
    """Read an image file into ``uint8 (H, W, 3)`` (``mode="RGB"``) or ``(H, W)`` (``mode="L"``);
    ``mode="auto"``: ``(H, W)`` for a greyscale file, ``(H, W, 3)`` otherwise.

    As Pillow-based tools do: the EXIF orientation is applied, palette images are expanded, 16-bit
    greyscale is scaled to 8 bits (not clipped), and transparency is composited over white; each
    change of the stored pixels is reported with an :class:`ImageConversionWarning`. Raises
    ``FileNotFoundError`` for a missing file, ``IsADirectoryError`` for a folder, and ``ValueError``
    naming the file for one that is not a readable image (corrupt, truncated, too large, another format).
    """
    if mode not in ("RGB", "L", "auto"):
        raise ValueError(f"mode must be 'RGB', 'L' or 'auto', got {mode!r}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not an image file")
    if not path.is_file():
        raise FileNotFoundError(f"no image file at {path}")
    try:
        with Image.open(path) as img:
            img.load()
            orientation = img.getexif().get(0x0112, 1)  # the EXIF Orientation tag
            if orientation not in (1, None):
                warnings.warn(f"{path.name}: EXIF orientation {orientation} applied", ImageConversionWarning, stacklevel=2)
            img = _to_8bit(ImageOps.exif_transpose(img), path)
            grey = img.mode in ("L", "LA", "La", "1")
            if img.mode == "P":
                img = img.convert("RGBA" if "transparency" in img.info else "RGB")
            if img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (img.mode in ("L", "RGB") and "transparency" in img.info):
                rgba = img.convert("RGBA")
                if rgba.getextrema()[3][0] < 255:
                    warnings.warn(f"{path.name}: transparency composited over white", ImageConversionWarning, stacklevel=2)
                white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(white, rgba).convert("RGB")
            if mode == "auto":
                mode = "L" if grey else "RGB"
            return np.asarray(img.convert(mode), dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"cannot read {path} as an image: {exc}") from exc


def write_image(path: str | os.PathLike, image: np.ndarray | torch.Tensor) -> Path:
    """Write an image losslessly and atomically (the format follows the suffix: .png, .bmp, .tif, .ppm/.pgm).

    ``image``: ``uint8 (H, W, 3)``/``(H, W)`` array, or a float tensor ``(3, H, W)``/``(1, 3, H, W)``
    in ``[0, 1]``. A lossy suffix (``.jpg``, ``.webp``) is refused: it would compress the image again.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in LOSSLESS:
        lossy = " (a lossy format: it would compress the image again)" if suffix in (".jpg", ".jpeg", ".webp", ".jxl") else ""
        raise ValueError(f"{path}: write a lossless image, one of {', '.join(sorted(LOSSLESS))}; got {suffix or 'no suffix'}{lossy}")
    if isinstance(image, torch.Tensor):
        image = to_uint8(image)
        if image.ndim == 4:
            if image.shape[0] != 1:
                raise ValueError(f"write_image takes one image, got a batch of {image.shape[0]}")
            image = image[0]
    _check_uint8_image(image, "image")
    picture = Image.fromarray(image)
    return write_with(path, lambda handle: picture.save(handle, format=LOSSLESS[suffix]))


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
    arr = np.ascontiguousarray(arr)
    if not arr.flags.writeable:  # e.g. np.asarray(PIL image): torch warns on read-only memory
        arr = arr.copy()
    tensor = torch.from_numpy(arr).permute(0, 3, 1, 2).float().div_(255.0)
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
