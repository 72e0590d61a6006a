"""Rate-distortion evaluation with real files: encode, decode, measure, compare.

    jpegtutor eval --method jpeg --dataset kodak [--qualities 5,10,...] [--subsampling 420]
                   [--baseline jpeg | --baseline RESULTS.json] [--json OUT.json]

For every image and quality a *method* writes a real JPEG (bytes), Pillow decodes it, and the
harness reports bpp from the file size, PSNR (RGB and luma), SSIM, MS-SSIM, LPIPS (AlexNet) and
the method's wall time. Results are averaged per quality (``points``), kept per image
(``images``), and compared with a baseline by BD-rate and BD-metric (:mod:`jpegtutor.metrics.bd`).

A method is a function ``encode(image uint8 (H, W, 3), quality, subsampling) -> bytes`` registered
with :func:`register_method`; ``jpeg`` (Pillow, standard Huffman tables) and ``jpeg-optimized``
(optimal Huffman tables: same pixels, fewer bits) are built in, and each editor of Part IV adds itself.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from . import data
from .image import read_image, to_tensor
from .jpeg.codec import normalize_subsampling
from .jpeg.reference import pillow_decode, pillow_encode
from .metrics import lpips, ms_ssim, psnr, psnr_y, ssim
from .metrics.bd import bd_metric, bd_rate
from .runtime import progress

__all__ = ["DEFAULT_QUALITIES", "METHODS", "METRICS", "evaluate", "plot_rd", "register_method", "update_leaderboard"]

DEFAULT_QUALITIES = (5, 10, 20, 30, 40, 50, 60, 70, 80, 90)
# metric name -> (unit, higher is better)
METRICS = {"psnr_db": ("dB", True), "psnr_y_db": ("dB", True), "ssim": ("", True), "ms_ssim": ("", True),
           "lpips_alex": ("", False)}
METHODS: dict[str, Callable[[np.ndarray, int, str], bytes]] = {
    "jpeg": lambda image, quality, subsampling: pillow_encode(image, quality, subsampling),
    "jpeg-optimized": lambda image, quality, subsampling: pillow_encode(image, quality, subsampling, optimize=True),
}


def register_method(name: str, encode: Callable[[np.ndarray, int, str], bytes]) -> None:
    """Make ``encode(image, quality, subsampling) -> JPEG bytes`` available to :func:`evaluate` as ``name``."""
    METHODS[name] = encode


def _measure(image: np.ndarray, decoded: np.ndarray, use_lpips: bool) -> dict:
    x, y = to_tensor(image), to_tensor(decoded)
    out = {"psnr_db": float(psnr(y, x)), "psnr_y_db": float(psnr_y(y, x)), "ssim": float(ssim(y, x))}
    out["ms_ssim"] = float(ms_ssim(y, x)) if min(image.shape[:2]) > 160 else float("nan")
    if use_lpips:
        with torch.no_grad():
            out["lpips_alex"] = float(lpips(y, x, "alex"))
    return out


def _mean_points(images: list[dict], qualities) -> list[dict]:
    points = []
    for i, quality in enumerate(qualities):
        keys = [k for k in images[0]["points"][i] if k != "quality"]
        points.append({"quality": quality, **{k: float(np.mean([im["points"][i][k] for im in images])) for k in keys}})
    return points


def _deltas(points: list[dict], baseline: list[dict]) -> tuple[dict, dict]:
    rate, metric = {}, {}
    for name, (_, higher) in METRICS.items():
        if name not in points[0] or name not in baseline[0] or any(np.isnan(p[name]) for p in points + baseline):
            continue
        args = ([p["bpp"] for p in baseline], [p[name] for p in baseline], [p["bpp"] for p in points], [p[name] for p in points])
        try:
            rate[name] = bd_rate(*args, higher_is_better=higher)
            metric[name] = bd_metric(*args, higher_is_better=higher)
        except ValueError as exc:
            rate[name] = metric[name] = f"not computable: {exc}"
    return rate, metric


def evaluate(method: str = "jpeg", dataset: str = "kodak", qualities=DEFAULT_QUALITIES, subsampling: str = "4:2:0",
             baseline: str | dict | None = None, use_lpips: bool = True, limit: int | None = None,
             checkpoint: str | None = None, label: str | None = None) -> dict:
    """Evaluate ``method`` on every image of ``dataset`` (a name or a folder) at each quality.

    ``baseline``: a method name (evaluated in the same run) or a result dict / JSON path from an
    earlier run with the same dataset and qualities. ``method`` may also name a pre-editor of
    :mod:`jpegtutor.editors` (``talebi``), with its weights from ``checkpoint`` (default: the
    shipped one); ``label`` names the result (default: the method). Returns the result dict (see
    the module docstring); units are in ``units``.
    """
    from .editors.apply import EDITORS, eval_method

    if method in EDITORS:
        encode = eval_method(method, checkpoint)
    elif method in METHODS:
        encode = METHODS[method]
    else:
        raise ValueError(f"unknown method {method!r}; registered: {sorted(METHODS) + sorted(EDITORS)}")
    qualities = tuple(int(q) for q in qualities)
    if not qualities or min(qualities) < 1 or max(qualities) > 100:
        raise ValueError(f"qualities must be in 1-100, got {qualities}")
    subsampling = normalize_subsampling(subsampling)
    paths = data.image_paths(dataset)[:limit]
    if not paths:
        raise ValueError(f"dataset {dataset!r} has no images")
    images = []
    for path in progress(paths, desc=f"eval {method} on {Path(str(dataset)).name}"):
        image = read_image(path)
        h, w = image.shape[:2]
        points = []
        for quality in qualities:
            start = time.perf_counter()
            encoded = encode(image, quality, subsampling)
            seconds = time.perf_counter() - start
            decoded = pillow_decode(encoded)
            if decoded.shape != image.shape:
                raise RuntimeError(f"method {method!r} changed the image size: {image.shape} -> {decoded.shape}")
            points.append({"quality": quality, "bpp": 8 * len(encoded) / (h * w), "bytes": len(encoded),
                           "seconds": seconds, **_measure(image, decoded, use_lpips)})
        images.append({"name": path.name, "height": h, "width": w, "points": points})
    result = {"method": label or method, **({"checkpoint": str(checkpoint)} if checkpoint else {}),
              "dataset": str(dataset), "subsampling": subsampling, "qualities": list(qualities),
              "units": {"bpp": "bits per pixel (file size)", "bytes": "bytes", "seconds": "s per encode",
                        **{k: u or "unitless" for k, (u, _) in METRICS.items()}},
              "bd_method": "akima (bjontegaard package), on the per-quality mean curves",
              "points": _mean_points(images, qualities), "images": images}
    if baseline is not None:
        if isinstance(baseline, str) and baseline in METHODS:
            reference = evaluate(baseline, dataset, qualities, subsampling, None, use_lpips, limit)
        elif isinstance(baseline, dict):
            reference = baseline
        else:
            reference = json.loads(Path(baseline).read_text())
        if [im["name"] for im in reference["images"]] != [im["name"] for im in images]:
            raise ValueError("the baseline was evaluated on different images")
        result["baseline"] = reference["method"]
        result["bd_rate_percent"], result["bd_metric"] = _deltas(result["points"], reference["points"])
    return result


def update_leaderboard(result: dict, path: str | Path, results_file: str | None = None) -> dict:
    """Add or replace ``result``'s entry (method, dataset, subsampling) in the leaderboard JSON."""
    path = Path(path)
    board = json.loads(path.read_text()) if path.is_file() else {"entries": []}
    key = (result["method"], result["dataset"], result["subsampling"])
    board["entries"] = [e for e in board["entries"] if (e["method"], e["dataset"], e["subsampling"]) != key]
    low, high = result["points"][0], result["points"][-1]
    board["entries"].append({"method": result["method"], "dataset": result["dataset"], "subsampling": result["subsampling"],
                             "baseline": result.get("baseline"), "bd_rate_percent": result.get("bd_rate_percent", {}),
                             "bpp_range": [low["bpp"], high["bpp"]], "results_file": results_file})
    board["entries"].sort(key=lambda e: (e["dataset"], e["subsampling"], e["method"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(board, indent=1) + "\n")
    return board


def plot_rd(results: list[dict], metric: str = "psnr_db", ax=None, per_image: bool = False):
    """RD curves (bpp against ``metric``) of one or more results on a matplotlib axis."""
    import matplotlib.pyplot as plt

    if metric not in METRICS:
        raise ValueError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
    ax = ax or plt.gca()
    for result in results:
        label = f"{result['method']} ({result['subsampling']})"
        if per_image:
            for image in result["images"]:
                ax.plot([p["bpp"] for p in image["points"]], [p[metric] for p in image["points"]], color="0.8", lw=0.6)
        ax.plot([p["bpp"] for p in result["points"]], [p[metric] for p in result["points"]], marker="o", ms=3, label=label)
    unit = METRICS[metric][0]
    ax.set(xlabel="bits per pixel", ylabel=metric + (f" ({unit})" if unit else ""))
    ax.legend(fontsize=8)
    return ax


def reference_results(out: str | Path = "data/results", datasets=("kodak", "live1"), subsamplings=("4:2:0", "4:4:4"),
                      qualities=DEFAULT_QUALITIES, echo=print) -> list[Path]:
    """The committed JPEG baselines: ``jpeg`` and ``jpeg-optimized`` (against ``jpeg``) on each
    dataset and subsampling, every metric; written to ``out/jpeg[-optimized]_<dataset>_<444|420>.json``
    and entered in ``out/leaderboard.json``. ``python -m jpegtutor.eval reference`` runs it."""
    out = Path(out)
    written = []
    for dataset in datasets:
        for subsampling in subsamplings:
            tag = f"{dataset}_{subsampling.replace(':', '')}"
            base = evaluate("jpeg", dataset, qualities, subsampling)
            optimized = evaluate("jpeg-optimized", dataset, qualities, subsampling, baseline=base)
            for result, name in ((base, f"jpeg_{tag}.json"), (optimized, f"jpeg-optimized_{tag}.json")):
                (out / name).parent.mkdir(parents=True, exist_ok=True)
                (out / name).write_text(json.dumps(result, indent=1) + "\n")
                update_leaderboard(result, out / "leaderboard.json", name)
                written.append(out / name)
                echo(f"wrote {out / name}")
    return written


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["reference"]:
        raise SystemExit("usage: python -m jpegtutor.eval reference   (writes the JPEG baselines to data/results/)")
    reference_results()
