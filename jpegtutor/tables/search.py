"""Tables searched on real bits: coordinate descent on the 128 entries, no network.

For a set of images (or one image: per-image tables) and a Lagrange multiplier ``lam``, find the
table pair minimising

    J(T) = D(T) + lam * R(T)

where ``R`` is the exact size of the files in bits per pixel (our encoder's entropy plan with
optimized Huffman tables: the bytes Pillow would write) and ``D`` the distortion per pixel:

- ``"mse"``: the RGB mean squared error (0-255 scale) the quantization causes, computed in the DCT
  domain (the DCT is orthonormal, so a coefficient's squared error is a squared error of the
  samples; the colour transform weights Y, Cb and Cr errors by the column norms of the YCbCr ->
  RGB matrix, and a subsampled chroma sample covers 2 or 4 pixels). It ignores the decoder's
  rounding and clipping and the chroma upsampling filter, none of which the tables change much;
  the evaluation measures real files.
- ``"visibility"``: each coefficient's error in units of the visibility thresholds behind the
  Annex K tables (the error divided by the quality-50 table entry), a perceptual weighting with no
  extra model.

The search starts from Annex K at the quality with the lowest ``J`` and visits the entries in zigzag order, luma then
chroma, trying each entry scaled by a few factors and keeping the best ``J``; a second sweep
tries finer factors. Each also tries +-1. Every candidate is a real quantization and a real entropy plan.

All images of a set must have one size (the training crops do): they are coded as one tall image,
one file whose size is the set's bits to within the headers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..jpeg import codec, quant
from ..rate import exact_rate

__all__ = ["DISTORTIONS", "TableProblem", "best_quality", "search_tables"]

DISTORTIONS = ("mse", "visibility")
# |column|^2 of the YCbCr -> RGB matrix (BT.601 full range): how a Y, Cb or Cr error spreads over R, G, B
_COLOUR_WEIGHT = (3.0, 1.772**2 + 0.344136**2, 1.402**2 + 0.714136**2)
FACTORS = ((0.6, 0.8, 0.9, 1.12, 1.25, 1.6), (0.85, 0.93, 1.07, 1.18))  # candidates: entry * factor, per sweep


@dataclass
class TableProblem:
    """A set of images ready to be quantized with any tables: libjpeg's DCT of the tall image."""

    dcts: list  # per component int64 (hb, wb, 8, 8), scaled by 8 (libjpeg's forward DCT)
    height: int
    width: int
    sampling: list
    pixels: int
    weights: np.ndarray  # (3,) per component: squared error of one coefficient -> summed RGB squared error / 3
    subsampling: str

    @classmethod
    def of(cls, images, subsampling: str = "4:2:0") -> "TableProblem":
        """``images``: one ``uint8 (H, W, 3)`` or a list of them, all of one size."""
        images = [images] if isinstance(images, np.ndarray) else list(images)
        if not images:
            raise ValueError("no images to search tables on")
        shapes = {im.shape for im in images}
        if len(shapes) != 1 or any(im.dtype != np.uint8 or im.ndim != 3 or im.shape[2] != 3 for im in images):
            raise ValueError(f"images must be uint8 (H, W, 3), all of one size; got shapes {sorted(shapes)}")
        tall = np.concatenate(images, axis=0)
        subsampling = codec.normalize_subsampling(subsampling)
        sampling = codec.sampling_factors(subsampling, 3)
        dcts = codec.dct_coefficients(tall, subsampling)
        hmax, vmax = max(h for h, _ in sampling), max(v for _, v in sampling)
        area = np.array([hmax * vmax / (h * v) for h, v in sampling], float)  # pixels per sample
        weights = np.array(_COLOUR_WEIGHT) * area / 3.0
        return cls(dcts, tall.shape[0], tall.shape[1], sampling, tall.shape[0] * tall.shape[1], weights, subsampling)

    def levels(self, tables: np.ndarray) -> list:
        return [quant.quantize_libjpeg(d, tables[min(c, 1)]).astype(np.int16) for c, d in enumerate(self.dcts)]

    def bits_per_pixel(self, tables: np.ndarray, levels=None) -> float:
        """Exact: the file of the tall image with optimized Huffman tables, in bits per pixel."""
        coefs = codec.Coefficients(self.height, self.width, levels or self.levels(tables), np.asarray(tables, np.int32),
                                   [0, 1, 1], self.sampling, [1, 2, 3])
        return exact_rate(coefs, optimize=True).file_bytes * 8.0 / self.pixels

    def frequency_error(self, component: int, v: int, u: int, step, distortion: str = "mse"):
        """The weighted squared error per pixel of frequency ``(v, u)`` of ``component`` quantized with
        ``step`` (a number, or ``(8, 8)`` steps for every frequency at once)."""
        d = self.dcts[component][..., v, u]
        level = quant.quantize_libjpeg(d, step)
        error = ((d / 8.0 - level * step) ** 2).sum(axis=(0, 1)) * self.weights[component]  # orthonormal DCT domain
        if distortion == "visibility":  # in units of the Annex K quality-50 step of that frequency
            error = error / (quant.tables_for_quality(50)[min(component, 1)][v, u] / 16.0) ** 2
        return error / self.pixels

    def squared_errors(self, tables: np.ndarray, distortion: str = "mse") -> np.ndarray:
        """``(3, 8, 8)``: per component and frequency, the weighted squared error summed over blocks, per pixel."""
        every = (slice(None), slice(None))
        return np.stack([self.frequency_error(c, *every, tables[min(c, 1)], distortion) for c in range(len(self.dcts))])

    def distortion(self, tables: np.ndarray, distortion: str = "mse") -> float:
        return float(self.squared_errors(tables, distortion).sum())


def _candidates(value: int, sweep: int) -> list:
    out = {int(np.clip(np.floor(value * f + 0.5), 1, 255)) for f in FACTORS[min(sweep, len(FACTORS) - 1)]}
    out |= {max(1, value - 1), min(255, value + 1)}
    out.discard(value)
    return sorted(out)


def best_quality(problem: TableProblem, lam: float, distortion: str = "mse", qualities=range(5, 100, 5)) -> int:
    """The IJG quality whose Annex K tables minimise ``J = D + lam R``: where the search starts."""
    costs = {q: problem.distortion(quant.tables_for_quality(q), distortion)
             + lam * problem.bits_per_pixel(quant.tables_for_quality(q)) for q in qualities}
    return min(costs, key=costs.get)


def search_tables(problem: TableProblem, lam: float, start=None, distortion: str = "mse", sweeps: int = 2,
                  progress=None) -> dict:
    """Coordinate descent for ``J = D + lam R`` (``D`` per pixel, ``R`` in bpp). ``start``: a table
    pair (default: Annex K at :func:`best_quality`). Returns ``{"tables": (2, 8, 8) int32, "bpp", "distortion",
    "cost", "evaluations", "seconds", "history": [cost after each sweep]}``."""
    if distortion not in DISTORTIONS:
        raise ValueError(f"distortion must be one of {DISTORTIONS}, got {distortion!r}")
    if not lam > 0:
        raise ValueError(f"lam must be > 0, got {lam!r}")
    t0 = time.perf_counter()
    if start is None:
        start = quant.tables_for_quality(best_quality(problem, lam, distortion))
    tables = quant.validate_tables(start)[:2].copy()
    if tables.shape[0] == 1:
        tables = np.concatenate([tables, tables])
    errors = problem.squared_errors(tables, distortion)
    bpp = problem.bits_per_pixel(tables)
    cost = errors.sum() + lam * bpp
    evaluations, history = 1, []
    from ..jpeg.zigzag import ZIGZAG

    order = [(t, int(k)) for t in (0, 1) for k in ZIGZAG]
    for sweep in range(sweeps):
        for t, k in (progress(order) if progress else order):
            v, u = divmod(k, 8)
            best = None
            for value in _candidates(int(tables[t, v, u]), min(sweep, 1)):
                trial = tables.copy()
                trial[t, v, u] = value
                trial_errors = errors.copy()
                components = [0] if t == 0 else [1, 2]
                for c in components:  # only this frequency of these components changes
                    trial_errors[c, v, u] = problem.frequency_error(c, v, u, value, distortion)
                trial_bpp = problem.bits_per_pixel(trial)
                evaluations += 1
                trial_cost = trial_errors.sum() + lam * trial_bpp
                if trial_cost < cost - 1e-12 and (best is None or trial_cost < best[0]):
                    best = (trial_cost, value, trial_errors, trial_bpp)
            if best is not None:
                cost, tables[t, v, u], errors, bpp = best[0], best[1], best[2], best[3]
        history.append(float(cost))
    return {"tables": tables, "bpp": float(bpp), "distortion": float(errors.sum()), "cost": float(cost),
            "evaluations": evaluations, "seconds": round(time.perf_counter() - t0, 1), "history": history}
