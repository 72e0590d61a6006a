"""Every benchmarked method at equal bits, seen: the same crop of three Kodak images (chapter 15's
visual comparison page).

    python -m jpegtutor.experiments.visual [--bpp 0.35] [--only M,...]

For each method the benchmark measures on Kodak at 4:2:0, the operating point whose file comes
closest to ``--bpp`` without exceeding it (bisection over the quality, inside the trained range
where a method declares one, and then the nearest it reaches; among the benchmark's points for a
table index or a lambda) is
encoded; a learned decoder reads libjpeg-optimized's file at that encoder's point. Writes
``data/results/visual/visual.json`` (per image and method: point, bpp, PSNR, MS-SSIM, LPIPS of the
whole image) and ``crops.npz`` (a 96x96 crop of each decoded image, uint8: the centre of the 128x128 window where
libjpeg-optimized's squared error at the target is largest, so the artefacts show).
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from pathlib import Path

import numpy as np

from .. import datasets, registry
from ..eval import benchmark
from ..image import read_image
from ..jpeg.codec import decode as libjpeg_decode
from ..metrics.bpp import bpp
from ..metrics.measure import measure_pixels
from ..resources import repo_root

IMAGES = ("kodim05", "kodim15", "kodim23")
WINDOW, CROP = 128, 96  # the window is chosen on a 32-pixel grid; its centre CROP x CROP is kept


def _bpp(data: bytes, image) -> float:
    return bpp(len(data), *image.shape[:2])


def _search(method, image, target: float, points=()) -> tuple:
    """(point, bytes) with the largest bpp not above ``target`` (the smallest file if none is): by
    bisection over a quality, else among ``points`` (the benchmark's, e.g. the lambdas a table set
    was searched for)."""
    if method.point != "quality" and points:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            files = {p: method.encode(image, p, "4:2:0", warn=False) for p in points}
        below = [(p, d) for p, d in files.items() if _bpp(d, image) <= target]
        return max(below, key=lambda i: len(i[1])) if below else min(files.items(), key=lambda i: len(i[1]))
    lo, hi = method.trained_range or method.point_range
    lo, hi = max(lo, method.point_range[0]), min(hi, method.point_range[1])
    integer = method.point in ("quality", "index")
    encode_cache = {}

    def encode(point):
        point = int(round(point)) if integer else float(point)
        if point not in encode_cache:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                encode_cache[point] = method.encode(image, point, "4:2:0", warn=False)
        return point, encode_cache[point]

    def position(x):  # the search runs on log(lambda) for continuous points
        return x if integer else math.exp(x)

    a, b = (lo, hi) if integer else (math.log(lo), math.log(hi))
    rising = _bpp(encode(position(b))[1], image) >= _bpp(encode(position(a))[1], image)
    for _ in range(12 if integer else 14):
        if integer and b - a <= 1:
            break
        middle = (a + b) / 2 if not integer else (a + b) // 2
        below = _bpp(encode(position(middle))[1], image) <= target
        if below == rising:
            a = middle
        else:
            b = middle
    candidates = [(p, d) for p, d in encode_cache.items() if _bpp(d, image) <= target]
    if not candidates:
        return min(encode_cache.items(), key=lambda item: len(item[1]))
    return max(candidates, key=lambda item: len(item[1]))


def _crop_window(original, decoded) -> tuple[int, int]:
    """Top-left corner of the CROP x CROP centre of the WINDOW x WINDOW window (on a 32-pixel grid)
    with the largest squared error."""
    error = ((original.astype(np.float64) - decoded) ** 2).sum(axis=2)
    best, corner = -1.0, (0, 0)
    for y in range(0, error.shape[0] - WINDOW + 1, 32):
        for x in range(0, error.shape[1] - WINDOW + 1, 32):
            total = error[y:y + WINDOW, x:x + WINDOW].sum()
            if total > best:
                best, corner = total, (y, x)
    margin = (WINDOW - CROP) // 2
    return corner[0] + margin, corner[1] + margin


def run(target: float = 0.35, only=None, out: Path | None = None, echo=print) -> dict:
    out = Path(out) if out is not None else repo_root() / "data" / "results" / "visual"
    out.mkdir(parents=True, exist_ok=True)
    jobs = [j for j in benchmark.plan(benchmark.PROFILES["full"]) if j.dataset == "kodak"
            and j.subsampling == "4:2:0" and j.missing is None and (not only or j.label in only)]
    root = datasets.locate("kodak")
    results, crops = {"target_bpp": target, "subsampling": "4:2:0", "crop": CROP, "images": {}}, {}
    for name in IMAGES:
        image = read_image(root / f"{name}.png")
        anchor = registry.get_method("libjpeg-optimized")
        _, data = _search(anchor, image, target)
        y, x = _crop_window(image, libjpeg_decode(data))
        crops[f"{name}/original"] = image[y:y + CROP, x:x + CROP]
        entry = results["images"][name] = {"crop_corner": [y, x], "methods": {}}
        edits = {}  # per editor: its edited images, shared by the encoders it hands them to
        for job in jobs:
            start = time.perf_counter()
            try:
                editor = job.method.partition("+")[0] if job.kind == "pixel-editor" else None
                method = registry.get_method(job.method, edits=edits.setdefault(editor, {}) if editor else None)
                point, data = _search(method, image, target, job.points)
                decoded = np.asarray(registry.get_decoder(job.decoder).decode(data))
            except Exception as exc:  # noqa: BLE001 - a method that fails is a row that says so
                entry["methods"][job.label] = {"status": f"failed: {type(exc).__name__}: {exc}"[:300]}
                continue
            metrics = measure_pixels(image, decoded)
            entry["methods"][job.label] = {"status": "measured", "point": point, "bpp": round(_bpp(data, image), 4),
                                           **{k: round(float(v), 5) for k, v in metrics.items()},
                                           "seconds": round(time.perf_counter() - start, 1)}
            crops[f"{name}/{job.label}"] = decoded[y:y + CROP, x:x + CROP]
            echo(f"{name} {job.label}: {point} -> "
                 f"{entry['methods'][job.label]['bpp']:.3f} bpp, {metrics['psnr_db']:.2f} dB")
    results["command"] = f"python -m jpegtutor.experiments.visual --bpp {target}" + (f" --only {','.join(only)}" if only else "")
    (out / "visual.json").write_text(json.dumps(results, indent=1) + "\n")
    np.savez_compressed(out / "crops.npz", **{k.replace("/", "__"): v for k, v in crops.items()})
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jpegtutor.experiments.visual", description=__doc__.splitlines()[0])
    parser.add_argument("--bpp", type=float, default=0.35, help="the target bits per pixel (default 0.35)")
    parser.add_argument("--only", default=None, help="only these benchmark labels, comma-separated")
    args = parser.parse_args(argv)
    if not 0.05 <= args.bpp <= 4:
        parser.error(f"--bpp must be in 0.05-4, got {args.bpp}")
    run(args.bpp, [m for m in args.only.split(",") if m] if args.only else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
