"""Rate-distortion evaluation with real files: any registered method -> real JPEGs -> decoder -> measure -> RD, BD-rate.

    jpegtutor eval --method mozjpeg --dataset kodak [--qualities 5,10,...] [--subsampling 420]
                   [--baseline libjpeg-optimized | --baseline RESULTS.json] [--save-files DIR] [--json OUT.json]

For every image and operating point the method (:mod:`jpegtutor.registry`: an encoder, a
coefficient editor, or ``EDITOR+ENCODER``) writes a real JPEG, the decoder reads it, and
:mod:`jpegtutor.metrics.measure` reports bpp from the file size, PSNR (RGB and luma), SSIM,
MS-SSIM, LPIPS (AlexNet) and the method's wall time. Results are averaged per point (``points``),
kept per image (``images``, each point with its ``file`` when files are saved), and compared with
a baseline by BD-rate and BD-metric (:mod:`jpegtutor.metrics.bd`), over the whole overlap and
within bpp windows (``bd_rate_percent_by_range``).

Default protocol: the baseline is ``libjpeg-optimized`` (optimized Huffman tables on both sides,
as every pre-editor here hands its pixels to an encoder with optimized tables); ``libjpeg``
(standard tables) stays available for comparison with the papers.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from pathlib import Path

import numpy as np

from .. import datasets, registry
from ..files import write_bytes
from ..image import read_image
from ..jpeg.codec import normalize_subsampling
from ..metrics.bd import bd_metric, bd_rate
from ..metrics.bpp import bpp
from ..metrics.measure import UNITS, measure_pixels
from ..runtime import progress

__all__ = ["BPP_RANGES", "DEFAULT_BASELINE", "DEFAULT_QUALITIES", "METRICS", "bootstrap_bd_rate", "compare", "compare_curves", "evaluate",
           "per_image_bd_rate", "rate_difference"]

DEFAULT_QUALITIES = registry.DEFAULT_QUALITIES
DEFAULT_BASELINE = "libjpeg-optimized"
# metric name -> (unit, higher is better)
METRICS = {"psnr_db": ("dB", True), "psnr_y_db": ("dB", True), "ssim": ("", True), "ms_ssim": ("", True),
           "lpips_alex": ("", False)}
BPP_RANGES = ((0.1, 0.6), (0.6, 1.5))


def _mean_points(images: list[dict], points, point_name: str) -> list[dict]:
    out = []
    for i, point in enumerate(points):
        keys = [k for k in images[0]["points"][i] if k not in (point_name, "file")]
        out.append({point_name: point, **{k: float(np.mean([im["points"][i][k] for im in images])) for k in keys}})
    return out


def _bd(points: list[dict], baseline: list[dict], bpp_range=None) -> tuple[dict, dict]:
    if bpp_range is not None:
        lo, hi = bpp_range
        points = [p for p in points if lo <= p["bpp"] <= hi]
        baseline = [p for p in baseline if lo <= p["bpp"] <= hi]
    rate, metric = {}, {}
    for name, (_, higher) in METRICS.items():
        if not points or not baseline or name not in points[0] or name not in baseline[0]:
            continue
        if any(np.isnan(p[name]) for p in points + baseline):
            continue
        args = ([p["bpp"] for p in baseline], [p[name] for p in baseline], [p["bpp"] for p in points], [p[name] for p in points])
        try:
            rate[name] = bd_rate(*args, higher_is_better=higher)
            metric[name] = bd_metric(*args, higher_is_better=higher)
        except ValueError as exc:
            rate[name] = metric[name] = f"not computable: {exc}"
    return rate, metric


def compare_curves(points: list[dict], reference: list[dict], bpp_range=None) -> dict:
    """BD-rate (%) per metric of two mean curves (``result["points"]``), whatever produced them
    (other subsamplings or image sets too: the caller says what the comparison means)."""
    return _bd(points, reference, bpp_range)[0]


def compare(result: dict, reference: dict, bpp_ranges=BPP_RANGES) -> dict:
    """BD-rate (%) and BD-metric of ``result`` against ``reference`` (same images), over the whole
    overlap and within each bpp window (the points of each curve that fall inside it, at least 4)."""
    _same_images(result, reference)
    for key in ("subsampling",):
        if key in reference and key in result and reference[key] != result[key]:
            raise ValueError(f"the baseline was evaluated with {key} {reference[key]}, this result with {result[key]}")
    out = {"baseline": reference["method"]}
    out["bd_rate_percent"], out["bd_metric"] = _bd(result["points"], reference["points"])
    out["bd_rate_percent_by_range"] = {f"{lo}-{hi} bpp": _bd(result["points"], reference["points"], (lo, hi))[0]
                                       for lo, hi in bpp_ranges}
    return out


def _same_images(result: dict, reference: dict) -> None:
    if [im["name"] for im in reference["images"]] != [im["name"] for im in result["images"]]:
        raise ValueError("the baseline was evaluated on different images")


def _curves(points: list[dict], metric: str) -> tuple[list, list]:
    return [p["bpp"] for p in points], [p[metric] for p in points]


def rate_difference(points: list[dict], reference: list[dict], metric: str = "psnr_db") -> list[tuple[float, float]]:
    """At each of ``points`` (a result's mean curve), how many more bits in percent than the
    ``reference`` curve needs for the same value of ``metric`` (negative: fewer): ``(bpp, percent)``
    pairs, the reference's log-rate interpolated linearly in the metric; points beyond the
    reference's range of the metric are left out. Where RD curves overlap, this shows what they hide."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
    values, log_rates = zip(*sorted((p[metric], float(np.log(p["bpp"]))) for p in reference))
    out = []
    for p in points:
        if values[0] <= p[metric] <= values[-1]:
            out.append((p["bpp"], 100 * (p["bpp"] / float(np.exp(np.interp(p[metric], values, log_rates))) - 1)))
    return out


def per_image_bd_rate(result: dict, reference: dict, metric: str = "psnr_db") -> list:
    """BD-rate (%) of each image's curve against the same image's curve in ``reference`` (two results
    of :func:`evaluate` on the same images); ``None`` where an image's curves do not overlap."""
    _same_images(result, reference)
    higher = METRICS[metric][1]
    out = []
    for mine, theirs in zip(result["images"], reference["images"]):
        try:
            out.append(bd_rate(*_curves(theirs["points"], metric), *_curves(mine["points"], metric), higher_is_better=higher))
        except ValueError:
            out.append(None)
    return out


def bootstrap_bd_rate(result: dict, reference: dict, metric: str = "psnr_db", resamples: int = 1000,
                      level: float = 0.95, seed: int = 0) -> dict:
    """The BD-rate (%) of ``result``'s mean curve against ``reference``'s, with a bootstrap confidence
    interval over images: draw the images with replacement, average both curves over the draw, take
    the BD-rate; ``low`` and ``high`` bound the central ``level`` of the draws (those whose curves overlap)."""
    _same_images(result, reference)
    if not 0 < level < 1 or resamples < 1:
        raise ValueError(f"level must be in (0, 1) and resamples >= 1, got {level}, {resamples}")
    higher, name = METRICS[metric][1], result.get("operating_point", "quality")
    estimate = bd_rate(*_curves(reference["points"], metric), *_curves(result["points"], metric), higher_is_better=higher)
    rng = np.random.default_rng(seed)
    n, draws = len(result["images"]), []
    for _ in range(resamples):
        pick = rng.integers(0, n, n)
        mine = _mean_points([result["images"][i] for i in pick], result["qualities"], name)
        theirs = _mean_points([reference["images"][i] for i in pick], reference["qualities"], name)
        try:
            draws.append(bd_rate(*_curves(theirs, metric), *_curves(mine, metric), higher_is_better=higher))
        except ValueError:
            continue
    low, high = np.percentile(draws, [50 * (1 - level), 50 * (1 + level)]) if draws else (float("nan"), float("nan"))
    return {"bd_rate_percent": estimate, "low": float(low), "high": float(high), "level": level, "draws": len(draws)}


def evaluate(method: str | registry.Method = DEFAULT_BASELINE, dataset: str = "kodak", qualities=None,
             subsampling: str = "4:2:0", baseline: str | dict | None = None, use_lpips: bool = True,
             limit: int | None = None, checkpoint: str | None = None, label: str | None = None,
             save_files: str | Path | None = None, decoder: str = "libjpeg", cache: dict | None = None,
             show_progress: bool = True) -> dict:
    """Evaluate ``method`` on every image of ``dataset`` (a name or a folder) at each operating point.

    ``qualities``: the operating points (default: the method's ``points``). ``baseline``: a method
    name (evaluated in the same run: at the same points, or at its own default points when the method
    is a pixel editor, whose trained range is usually narrower) or a result dict / JSON path from an
    earlier run on the same images and subsampling. ``checkpoint``: a pixel editor's weights (default: the shipped ones).
    ``save_files``: a folder to keep every file measured (``<image stem>/<point name>-<point>.jpg``;
    each per-image point records it as ``file``). ``cache``: a dict shared between calls that keeps
    the quality metrics per (image, decoded pixels), so methods that decode to the same pixels
    (libjpeg with standard, optimized or progressive Huffman coding) are measured once.
    ``show_progress=False``: no bar per image (the benchmark shows one for the whole run). Returns
    the result dict (module docstring).
    """
    spec = method if isinstance(method, registry.Method) else registry.get_method(method, checkpoint)
    spec.load()  # fail early, before a long evaluation starts
    points = tuple(spec.points if qualities is None else qualities)
    if not points:
        raise ValueError("no operating points given")
    for point in points:
        spec.check_point(point, warn=False)
    outside = [p for p in points if spec.trained_range and not spec.trained_range[0] <= p <= spec.trained_range[1]]
    if outside:
        warnings.warn(f"{spec.name} was trained on {spec.point} {spec.trained_range[0]}-{spec.trained_range[1]}; "
                      f"evaluating it at {outside} as well", registry.OutsideTrainedRangeWarning, stacklevel=2)
    subsampling = normalize_subsampling(subsampling)
    spec._check_subsampling(subsampling)
    decode = registry.get_decoder(decoder).decode
    paths = datasets.image_paths(dataset)[:limit]
    if not paths:
        raise ValueError(f"dataset {dataset!r} has no images")
    files = Path(save_files) if save_files is not None else None
    images = []
    for path in progress(paths, desc=f"eval {spec.name} on {Path(str(dataset)).name}", disable=None if show_progress else True):
        image = read_image(path)
        h, w = image.shape[:2]
        rows = []
        for point in points:
            start = time.perf_counter()
            encoded = spec.encode(image, point, subsampling, warn=False)
            seconds = time.perf_counter() - start
            if spec.last_edit_cached:  # an edit shared with another encoder still cost its time once
                seconds += spec.last_edit_seconds
            decoded = decode(encoded)
            key = (str(path), use_lpips, hashlib.sha1(decoded.tobytes()).hexdigest())
            quality = cache.get(key) if cache is not None else None
            if quality is None:
                quality = measure_pixels(image, decoded, use_lpips)
                if cache is not None:
                    cache[key] = quality
            row = {spec.point: point, "bytes": len(encoded), "bpp": bpp(len(encoded), h, w), **quality, "seconds": seconds}
            if files is not None:
                name = f"{Path(path).stem}/{spec.point}-{point:g}.jpg"
                write_bytes(files / name, encoded)
                row["file"] = name
            rows.append(row)
        images.append({"name": Path(path).name, "height": h, "width": w, "points": rows})
    result = {"method": label or spec.name, "kind": spec.kind, "encoder": spec.encoder.name,
              "encoder_settings": dict(spec.encoder.settings), "decoder": decoder,
              **({"checkpoint": str(checkpoint)} if checkpoint else {}),
              "dataset": str(dataset), "subsampling": subsampling, "operating_point": spec.point,
              "qualities": list(points), "trained_range": list(spec.trained_range) if spec.trained_range else None,
              "units": {**UNITS, "seconds": "s per encode (editing included)"},
              "bd_method": "akima (bjontegaard package), on the per-point mean curves",
              **({"files": str(files)} if files is not None else {}),
              "points": _mean_points(images, points, spec.point), "images": images}
    if baseline is not None:
        if isinstance(baseline, dict):
            reference = baseline
        elif isinstance(baseline, (str, Path)) and Path(baseline).suffix == ".json":
            path = Path(baseline)
            if not path.is_file():
                raise FileNotFoundError(f"no baseline results file at {path}")
            reference = json.loads(path.read_text())
        else:
            reference = evaluate(str(baseline), dataset, None if spec.editor else points, subsampling,
                                 use_lpips=use_lpips, limit=limit, decoder=decoder, cache=cache)
        result.update(compare(result, reference))
    return result
