"""Classical JPEG encoders as registered methods: what a practitioner would use instead of a learned pre-editor.

Every one writes a file any decoder reads; they differ in tables, Huffman coding, scan structure
and (mozjpeg) trellis quantization. Each records its settings in ``Encoder.settings`` so every
result says exactly what was run.

| method | library | what it does |
|---|---|---|
| ``libjpeg`` | libjpeg-turbo via Pillow | baseline, standard (Annex K) Huffman tables: the papers' baseline |
| ``libjpeg-optimized`` | libjpeg-turbo via Pillow | baseline, optimized Huffman tables: same pixels, fewer bits; the default reference from now on |
| ``libjpeg-progressive`` | libjpeg-turbo via Pillow | progressive scans (libjpeg optimizes their Huffman tables) |
| ``mozjpeg`` | mozjpeg 4.0.3 bundled by ``jpeglib`` | its defaults: trellis quantization, progressive, optimized Huffman, its own tables |
| ``jpegli`` | jpegli via ``pyjpegli`` (quality only) | 4:2:0 sequential, the tables jpegli chooses, the Huffman tables it writes |
| ``jpegli-optimized`` | the same file, Huffman tables re-optimized losslessly by our codec | equal Huffman settings for jpegli |
| ``rd-threshold`` | our codec (:mod:`.rdo`) | IJG tables; each AC level kept or zeroed to minimise D + lambda R |
| ``trellis`` | our codec (:mod:`.rdo`) | IJG tables; trellis quantization with the real Huffman code lengths |
| ``trellis-aq`` | our codec (:mod:`.rdo`) | ``trellis`` with a lambda per block from its activity (adaptive quantization) |

mozjpeg and jpegli are optional: ``pip install "jpegtutor[encoders]"`` (the methods say so when absent).
"""

from __future__ import annotations

import io
import os
import tempfile

import numpy as np
import PIL
from PIL import Image

from .. import registry
from ..checks import check_image_u8, check_quality
from . import rdo
from .codec import normalize_subsampling, read_coefficients, write_coefficients
from .reference import SUBSAMPLINGS, pillow_decode

__all__ = ["jpegli_encode", "jpegli_missing", "libjpeg_encode", "mozjpeg_encode", "mozjpeg_missing"]

_SAMPLING = {"4:4:4": ((1, 1), (1, 1), (1, 1)), "4:2:2": ((2, 1), (1, 1), (1, 1)), "4:2:0": ((2, 2), (1, 1), (1, 1))}
MOZJPEG_VERSION = "mozjpeg403"


def _checked(image, quality, subsampling):
    check_image_u8(image, "image", channels=(3,))
    return check_quality(quality), normalize_subsampling(subsampling)


def libjpeg_encode(image: np.ndarray, quality: int, subsampling: str = "4:2:0", optimize: bool = False,
                   progressive: bool = False) -> bytes:
    """libjpeg(-turbo) through Pillow: ``uint8 (H, W, 3)`` -> JPEG bytes at IJG ``quality`` 1-100."""
    quality, subsampling = _checked(image, quality, subsampling)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality, subsampling=SUBSAMPLINGS[subsampling],
                                optimize=optimize, progressive=progressive)
    return buffer.getvalue()


def _jpeglib():
    try:
        import jpeglib
    except ImportError:
        return None
    return jpeglib


def mozjpeg_missing() -> str | None:
    """Why mozjpeg (bundled with jpeglib) cannot run here, or ``None`` when it can."""
    jpeglib = _jpeglib()
    if jpeglib is None:
        return "the jpeglib package is not installed (pip install \"jpegtutor[encoders]\")"
    if MOZJPEG_VERSION not in jpeglib.version.versions():
        return f"this jpeglib build has no {MOZJPEG_VERSION} library"
    return None


def mozjpeg_encode(image: np.ndarray, quality: int, subsampling: str = "4:2:0") -> bytes:
    """mozjpeg 4.0.3 (bundled by ``jpeglib``) with its default settings at ``quality`` 1-100."""
    quality, subsampling = _checked(image, quality, subsampling)
    problem = mozjpeg_missing()
    if problem:
        raise RuntimeError(f"mozjpeg is not available: {problem}")
    jpeglib = _jpeglib()
    previous = jpeglib.version.get()
    jpeglib.version.set(MOZJPEG_VERSION)
    handle, path = tempfile.mkstemp(suffix=".jpg")
    os.close(handle)
    try:
        spatial = jpeglib.from_spatial(np.ascontiguousarray(image))
        spatial.samp_factor = np.array(_SAMPLING[subsampling])
        spatial.write_spatial(path, qt=quality)
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)
        if previous and previous != MOZJPEG_VERSION:
            jpeglib.version.set(previous)


def jpegli_missing() -> str | None:
    """Why jpegli (pyjpegli) cannot run here, or ``None`` when it can."""
    try:
        import pyjpegli  # noqa: F401
    except ImportError:
        return "the pyjpegli package is not installed (pip install \"jpegtutor[encoders]\")"
    return None


def jpegli_encode(image: np.ndarray, quality: int, subsampling: str = "4:2:0", optimize: bool = False) -> bytes:
    """jpegli through ``pyjpegli`` at ``quality`` 1-100 (it writes 4:2:0 only). ``optimize``: rewrite
    the same coefficients with optimized Huffman tables (lossless, our codec's ``write_coefficients``)."""
    quality, subsampling = _checked(image, quality, subsampling)
    if subsampling != "4:2:0":
        raise ValueError(f"jpegli through pyjpegli writes 4:2:0 only, not {subsampling}")
    problem = jpegli_missing()
    if problem:
        raise RuntimeError(f"jpegli is not available: {problem}")
    import pyjpegli

    h, w = image.shape[:2]
    data = pyjpegli.encode(np.ascontiguousarray(image).tobytes(), w, h, quality)
    return write_coefficients(read_coefficients(data), optimize=True) if optimize else data


_PILLOW = {"library": f"libjpeg-turbo via Pillow {PIL.__version__}"}

registry.register_encoder(registry.Encoder(
    "libjpeg", "libjpeg via Pillow, baseline, standard Huffman tables (the papers' baseline)",
    lambda image, q, s: libjpeg_encode(image, q, s), {**_PILLOW, "huffman": "standard", "progressive": False,
                                                      "tables": "IJG (Annex K scaled)"}))
registry.register_encoder(registry.Encoder(
    "libjpeg-optimized", "libjpeg via Pillow, baseline, optimized Huffman tables (the reference from now on)",
    lambda image, q, s: libjpeg_encode(image, q, s, optimize=True),
    {**_PILLOW, "huffman": "optimized", "progressive": False, "tables": "IJG (Annex K scaled)"}))
registry.register_encoder(registry.Encoder(
    "libjpeg-progressive", "libjpeg via Pillow, progressive scans (Huffman tables optimized per scan)",
    lambda image, q, s: libjpeg_encode(image, q, s, optimize=True, progressive=True),
    {**_PILLOW, "huffman": "optimized", "progressive": True, "tables": "IJG (Annex K scaled)"}))
registry.register_encoder(registry.Encoder(
    "mozjpeg", "mozjpeg 4.0.3 (bundled by jpeglib), default settings",
    mozjpeg_encode, {"library": "mozjpeg 4.0.3 via jpeglib", "huffman": "optimized", "progressive": True,
                     "trellis": True, "tables": "mozjpeg's default set (ImageMagick tables) scaled by quality"},
    missing=mozjpeg_missing))
registry.register_encoder(registry.Encoder(
    "jpegli", "jpegli via pyjpegli, quality only: 4:2:0 sequential, the Huffman tables it writes",
    jpegli_encode, {"library": "jpegli via pyjpegli", "huffman": "as written by jpegli", "progressive": False,
                    "tables": "jpegli's (adaptive quantization)"},
    subsamplings=("4:2:0",), missing=jpegli_missing))
registry.register_encoder(registry.Encoder(
    "jpegli-optimized", "jpegli via pyjpegli, its coefficients rewritten with optimized Huffman tables (lossless)",
    lambda image, q, s: jpegli_encode(image, q, s, optimize=True),
    {"library": "jpegli via pyjpegli + jpegtutor.jpeg.write_coefficients", "huffman": "optimized", "progressive": False,
     "tables": "jpegli's (adaptive quantization)"}, subsamplings=("4:2:0",), missing=jpegli_missing))
registry.register_decoder(registry.Decoder("libjpeg", "libjpeg-turbo via Pillow", pillow_decode))

_RDO = {"library": "jpegtutor.jpeg.rdo (our codec)", "huffman": "optimized", "progressive": False,
        "tables": "IJG (Annex K scaled)", "lambda_scale": rdo.DEFAULT_LAMBDA_SCALE, "passes": 2}


def _rdo_encoder(levels: str, adaptive: float = 0.0):
    def encode(image, quality, subsampling):
        quality, subsampling = _checked(image, quality, subsampling)
        return rdo.encode(image, quality, subsampling, levels, adaptive=adaptive)
    return encode


registry.register_encoder(registry.Encoder(
    "rd-threshold", "RD-optimal thresholding with our codec: IJG tables, each AC level kept or zeroed (D + lambda R)",
    _rdo_encoder("threshold"), {**_RDO, "levels": "rounded or zero"}, kind="coefficient-editor", takes_pixels=True))
registry.register_encoder(registry.Encoder(
    "trellis", "trellis quantization with our codec: IJG tables, mozjpeg's candidate levels, real Huffman lengths",
    _rdo_encoder("trellis"), {**_RDO, "levels": "trellis (rounded, or the top of a smaller size category, or zero)"},
    kind="coefficient-editor", takes_pixels=True))
registry.register_encoder(registry.Encoder(
    "trellis-aq", "trellis quantization with a lambda per block from its activity (adaptive quantization)",
    _rdo_encoder("trellis", rdo.DEFAULT_ADAPTIVE), {**_RDO, "levels": "trellis", "adaptive": rdo.DEFAULT_ADAPTIVE},
    kind="coefficient-editor", takes_pixels=True))
