"""Published quantization tables, each read from where it is published: ``(n, 8, 8)`` int32
(luma, chroma), natural (row-major) order.

- :func:`annex_k`: the example tables of the JPEG standard (ITU-T T.81 Annex K) scaled by IJG
  quality, what libjpeg writes.
- :data:`MOZJPEG_SETS` and :func:`mozjpeg_base`: the nine base sets mozjpeg ships
  (``cjpeg -quant-table N``; its default is N = 3), read back from a file mozjpeg writes at quality
  50, where libjpeg's scaling is the identity. :func:`scaled` scales any base set as libjpeg scales
  Annex K.
- :func:`jpegli_tables`: the tables jpegli writes at a quality, read back from its file.

Nothing here types a table in: a table that a library ships is read from that library's output.
"""

from __future__ import annotations

import functools
import io

import numpy as np

from ..checks import check_quality
from ..jpeg import quant
from ..jpeg.encoders import MOZJPEG_VERSION, jpegli_missing, mozjpeg_missing

__all__ = ["MOZJPEG_SETS", "annex_k", "jpegli_tables", "mozjpeg_base", "scaled", "tables_of_file"]

# mozjpeg's names for its base sets (cjpeg's -quant-table option), by index
MOZJPEG_SETS = {
    0: "JPEG Annex K",
    1: "flat",
    2: "custom, tuned for MS-SSIM",
    3: "ImageMagick (N. Robidoux), mozjpeg's default",
    4: "custom, tuned for PSNR-HVS",
    5: "Klein, Silverstein and Carney (1992)",
    6: "Watson, Taylor and Borthwick (1997)",
    7: "Ahumada, Watson and Peterson (1993)",
    8: "Peterson, Ahumada and Watson (1993)",
}


def annex_k(quality: int) -> np.ndarray:
    """libjpeg's tables at IJG ``quality`` 1-100 (Annex K scaled)."""
    return quant.tables_for_quality(quality)


def scaled(base: np.ndarray, quality: int) -> np.ndarray:
    """A base set ``(2, 8, 8)`` (entries 1-32767) scaled by IJG ``quality`` as libjpeg scales Annex
    K, entries clipped to 1-255 for a baseline file."""
    base = np.asarray(base)
    if base.shape != (2, 8, 8) or base.min() < 1:
        raise ValueError(f"a base set is (2, 8, 8) with entries >= 1, got shape {base.shape}")
    scale = quant.quality_scale(quality)
    return np.stack([quant.scale_table(table, scale) for table in base])


def tables_of_file(data: bytes) -> np.ndarray:
    """The tables a JPEG file stores (its DQT segments; any process, progressive too): ``(n, 8, 8)``
    int32 in natural order, by table id (libjpeg: luma, chroma). The file stores them in zigzag order; Pillow's
    ``quantization`` has already put them back in natural order (older Pillows did not)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        stored = im.quantization  # {table id: 64 entries, natural order}
    return np.stack([np.asarray(stored[tid], np.int32).reshape(8, 8) for tid in sorted(stored)])


@functools.lru_cache(maxsize=None)
def _mozjpeg_base(index: int) -> bytes:
    import jpeglib

    problem = mozjpeg_missing()
    if problem:
        raise RuntimeError(f"mozjpeg is not available: {problem}")
    previous = jpeglib.version.get()
    jpeglib.version.set(MOZJPEG_VERSION)
    try:
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as folder:
            path = str(Path(folder) / "base.jpg")
            jpeglib.from_spatial(np.full((16, 16, 3), 128, np.uint8)).write_spatial(path, qt=50, base_quant_tbl_idx=index)
            return Path(path).read_bytes()
    finally:
        if previous:
            jpeglib.version.set(previous)


def mozjpeg_base(index: int) -> np.ndarray:
    """mozjpeg's base set ``index`` (0-8, :data:`MOZJPEG_SETS`), read back from its file at quality
    50. Some sets hold entries above 255 (the file then stores 16-bit tables); :func:`scaled` clips
    them for a baseline file, as libjpeg does."""
    if index not in MOZJPEG_SETS:
        raise ValueError(f"mozjpeg's base sets are numbered 0-8, got {index!r}")
    return tables_of_file(_mozjpeg_base(index))


@functools.lru_cache(maxsize=None)
def jpegli_tables(quality: int) -> np.ndarray:
    """The tables jpegli writes at ``quality`` 1-100 (4:2:0, through pyjpegli), read back from its
    file: ``(2, 8, 8)``."""
    quality = check_quality(quality)
    problem = jpegli_missing()
    if problem:
        raise RuntimeError(f"jpegli is not available: {problem}")
    import pyjpegli

    image = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    return tables_of_file(pyjpegli.encode(image.tobytes(), 16, 16, quality))
