"""Quantization-table methods: the one knob of JPEG every decoder obeys, 128 numbers.

- :mod:`.published`: Annex K scaled by quality (libjpeg), mozjpeg's nine base sets, jpegli's tables,
  each read from where it is published.
- :mod:`.qpsi`: JPNeO's learned quantization matrix Q_psi, a lookup table of learned tables.
- :mod:`.search`: tables searched on real bits (coordinate descent on exact file sizes), for a
  training set (a global pair per rate point) or for one image.
- :mod:`.predict`: a small network that predicts an image's own pair (the per-image search distilled).

:func:`encode_with_tables` writes any table pair into a real baseline file with libjpeg (through
Pillow; our codec writes the same bytes).
"""

from __future__ import annotations

import io

import numpy as np

from ..checks import check_quality
from ..jpeg import quant

__all__ = ["encode_with_tables", "lookup_table", "per_image_tables", "predicted_tables", "searched_pair"]

_PILLOW_SUBSAMPLING = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}


def encode_with_tables(image: np.ndarray, tables, subsampling: str = "4:2:0", optimize: bool = True) -> bytes:
    """libjpeg (through Pillow) with the given tables: ``uint8 (H, W, 3)`` and ``(2, 8, 8)`` integer
    tables (1-255, natural order: row ``v``, column ``u``) -> baseline JPEG bytes, equal to
    ``jpegtutor.jpeg.encode(image, None, subsampling, optimize, qtables=tables)``. Pillow takes the
    tables in natural order and writes them zigzagged into the DQT, as the standard orders them."""
    from PIL import Image

    if subsampling not in _PILLOW_SUBSAMPLING:
        raise ValueError(f"subsampling must be one of {sorted(_PILLOW_SUBSAMPLING)}, got {subsampling!r}")
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be uint8 (H, W, 3), got {getattr(image, 'dtype', type(image))} {getattr(image, 'shape', '')}")
    tables = quant.validate_tables(tables)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", qtables=[t.ravel().tolist() for t in tables],
                                subsampling=_PILLOW_SUBSAMPLING[subsampling], optimize=optimize)
    return buffer.getvalue()


# ---- registration: every table method writes libjpeg's file with its tables and optimized Huffman tables

import functools  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

from .. import registry  # noqa: E402
from ..jpeg.encoders import jpegli_missing, mozjpeg_missing  # noqa: E402
from . import published  # noqa: E402

SETS = Path(__file__).parent / "sets"  # shipped lookup tables of learned or searched tables (JSON)

# mozjpeg's base sets as methods (Annex K, set 0, is libjpeg-optimized itself)
MOZJPEG_METHODS = {"tables-flat": 1, "tables-msssim": 2, "tables-imagemagick": 3, "tables-psnrhvs": 4,
                   "tables-klein": 5, "tables-watson": 6, "tables-ahumada": 7, "tables-peterson": 8}
_SETTINGS = {"library": "libjpeg via Pillow (jpegtutor.tables)", "huffman": "optimized", "progressive": False}


def _scaled_set(index: int):
    def encode(image, quality, subsampling):
        return encode_with_tables(image, published.scaled(published.mozjpeg_base(index), check_quality(quality)),
                                  subsampling)
    return encode


for _name, _index in MOZJPEG_METHODS.items():
    registry.register_encoder(registry.Encoder(
        _name, f"libjpeg with mozjpeg's base set {_index} ({published.MOZJPEG_SETS[_index]}) scaled by quality",
        _scaled_set(_index), {**_SETTINGS, "tables": f"mozjpeg base set {_index}: {published.MOZJPEG_SETS[_index]}"},
        missing=mozjpeg_missing))

registry.register_encoder(registry.Encoder(
    "tables-jpegli", "libjpeg with the tables jpegli writes at the same quality (without jpegli's adaptive quantization)",
    lambda image, q, s: encode_with_tables(image, published.jpegli_tables(check_quality(q)), s),
    {**_SETTINGS, "tables": "jpegli's, read back from its file at the quality"}, missing=jpegli_missing))


@functools.lru_cache(maxsize=None)
def lookup_table(name: str) -> dict:
    """A shipped lookup table ``tables/sets/<name>.json``: ``{"tables": (N, 2, 8, 8) list, ...card}``,
    entry ``i`` (1-based, coarse to fine) the ``i``-th table pair."""
    path = SETS / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no shipped table set {name!r} ({path})")
    return json.loads(path.read_text())


def _lut_missing(name: str, how: str):
    def missing():
        return None if (SETS / f"{name}.json").is_file() else f"no {name} tables shipped ({how})"
    return missing


def _lut_encoder(name: str):
    def encode(image, index, subsampling):
        tables = lookup_table(name)["tables"]
        if isinstance(index, bool) or int(index) != index or not 1 <= int(index) <= len(tables):
            raise ValueError(f"{name}'s index must be an integer from 1 to {len(tables)}, got {index!r}")
        return encode_with_tables(image, np.asarray(tables[int(index) - 1]), subsampling)
    return encode


def _lut_points(name: str) -> tuple:
    path = SETS / f"{name}.json"
    return tuple(range(1, len(json.loads(path.read_text())["tables"]) + 1)) if path.is_file() else (1, 2)


LOOKUP_METHODS = {  # method: (description, what its tables are, how to make them)
    "qpsi": ("JPNeO's learned quantization matrix Q_psi (Han et al. 2025)", "learned (Q_psi, trained at 4:2:0)",
             "python -m jpegtutor.experiments.tables train-qpsi, then ship-qpsi"),
    "qpsi-ste": ("Q_psi trained with straight-through rounding instead of the paper's cubic surrogate",
                 "learned (Q_psi, straight-through rounding, trained at 4:2:0)",
                 "python -m jpegtutor.experiments.tables train-qpsi --rounding ste, then ship-qpsi --rounding ste"),
    "tables-searched": ("a global table pair searched on real bits for RGB MSE (coordinate descent)",
                        "searched on the training crops at 4:2:0, MSE",
                        "python -m jpegtutor.experiments.tables search --distortion mse"),
    "tables-searched-visibility": ("a global table pair searched on real bits for a visibility-weighted error",
                                   "searched on the training crops at 4:2:0, errors in Annex K visibility units",
                                   "python -m jpegtutor.experiments.tables search --distortion visibility"),
}

for _name, (_description, _tables, _how) in LOOKUP_METHODS.items():
    registry.register_encoder(registry.Encoder(
        _name, _description + ": a lookup table of table pairs, index 1 (coarsest) to N (finest)", _lut_encoder(_name),
        {**_SETTINGS, "tables": _tables + ", one pair per index"}, point="index", points=_lut_points(_name),
        point_range=(1, max(_lut_points(_name))), missing=_lut_missing(_name, _how)))


def searched_pair(lam: float) -> np.ndarray:
    """The shipped global searched pair (``tables-searched``) of multiplier ``lam``: ``(2, 8, 8)`` int32."""
    card = lookup_table("tables-searched")
    matches = [i for i, v in enumerate(card["lambdas"]) if abs(v - float(lam)) < 1e-9]
    if not matches:
        raise ValueError(f"no global searched tables for lambda {lam:g}; searched for: "
                         f"{', '.join(f'{v:g}' for v in sorted(card['lambdas']))}")
    return np.asarray(card["tables"][matches[0]], np.int32)


def per_image_tables(image: np.ndarray, lam: float, subsampling: str = "4:2:0", sweeps: int = 1) -> np.ndarray:
    """The table pair searched for this one image at multiplier ``lam`` (:func:`.search.search_tables`,
    ``J = MSE + lam bpp``), started from the shipped global searched pair of that ``lam`` where there
    is one: ``(2, 8, 8)`` int32. Tens of seconds for a Kodak image on one CPU core."""
    from .search import TableProblem, search_tables

    try:
        start = searched_pair(lam)
    except (ValueError, FileNotFoundError):
        start = None
    return search_tables(TableProblem.of(image, subsampling), float(lam), start=start, sweeps=sweeps)["tables"]


def predicted_tables(image: np.ndarray, lam: float, subsampling: str = "4:2:0") -> np.ndarray:
    """The per-image pair the shipped ``tables-predictor`` predicts (:mod:`.predict`), milliseconds."""
    from . import predict

    return predict.predicted_tables(image, lam, subsampling)


def _per_image_points() -> tuple:
    path = SETS / "tables-searched.json"
    return tuple(sorted(json.loads(path.read_text())["lambdas"])) if path.is_file() else (25.0, 3200.0)


registry.register_encoder(registry.Encoder(
    "tables-per-image", "a table pair searched on real bits for each image (MSE), from the global searched pair",
    lambda image, lam, s: encode_with_tables(image, per_image_tables(image, lam, s), s),
    {**_SETTINGS, "tables": "searched per image (one coordinate-descent sweep, MSE)"}, kind="coefficient-editor",
    takes_pixels=True, point="lambda", points=_per_image_points(), point_range=(1e-3, 1e6)))


def _predictor_missing():
    from ..zoo import manifest

    return None if "tables-predictor" in manifest() else \
        "no tables-predictor shipped (python -m jpegtutor.experiments.tables per-image-targets, then train-predictor)"


registry.register_encoder(registry.Encoder(
    "tables-predicted", "a table pair for each image predicted by a small network (the per-image search distilled)",
    lambda image, lam, s: encode_with_tables(image, predicted_tables(image, lam, s), s),
    {**_SETTINGS, "tables": "predicted per image by tables-predictor from the global searched pair"},
    kind="coefficient-editor", takes_pixels=True, point="lambda", points=_per_image_points(), point_range=(1e-3, 1e6),
    missing=_predictor_missing, weights="tables-predictor"))
