"""Benchmarks of the codec against libjpeg-turbo (through Pillow).

    python -m jpegtutor.experiments.codec speed [--dataset kodak] [--limit N] [--quality Q] [--json]
    python -m jpegtutor.experiments.codec sweep [--datasets kodak,live1] [--limit N] [--json]

``speed`` prints encode and decode time per image for our codec and Pillow, side by side, in one
run. ``sweep`` encodes every image at qualities 1, 5, 10, 25, 50, 75, 90, 95, 100, with 4:4:4,
4:2:2 and 4:2:0, standard and optimized Huffman tables, and counts files byte-identical to
Pillow's, file sizes predicted to the byte by :func:`jpegtutor.rate.image_rate`, decoded images pixel-identical to Pillow's, and coefficient arrays identical to jpeglib's.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from .. import datasets as data
from ..image import read_image
from ..runtime import progress
from ..jpeg.codec import decode, encode, read_coefficients
from ..jpeg.reference import SUBSAMPLINGS, pillow_encode

SWEEP_QUALITIES = (1, 5, 10, 25, 50, 75, 90, 95, 100)


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def speed(dataset: str = "kodak", limit: int | None = None, quality: int = 75, repeat: int = 3) -> dict:
    """Median over images of the best-of-``repeat`` time per image, ours and Pillow's."""
    paths = data.image_paths(dataset)[:limit]
    rows = []
    for path in progress(paths, desc="speed"):
        image = read_image(path)
        jpg = pillow_encode(image, quality, "4:2:0", False)
        rows.append({
            "ours_encode_s": _best(lambda: encode(image, quality), repeat),
            "pillow_encode_s": _best(lambda: pillow_encode(image, quality, "4:2:0", False), repeat),
            "ours_decode_s": _best(lambda: decode(jpg), repeat),
            "pillow_decode_s": _best(lambda: np.asarray(Image.open(io.BytesIO(jpg)).convert("RGB")), repeat),
        })
    result = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    result["encode_ratio"] = result["ours_encode_s"] / result["pillow_encode_s"]
    result["decode_ratio"] = result["ours_decode_s"] / result["pillow_decode_s"]
    result.update({"dataset": dataset, "images": len(rows), "quality": quality, "subsampling": "4:2:0"})
    return result


def sweep(datasets=("kodak", "live1"), limit: int | None = None, qualities=SWEEP_QUALITIES,
          check_decode: bool = True, check_coefficients: bool = True) -> dict:
    """Byte, pixel and coefficient identity with Pillow/jpeglib over the full grid of settings."""
    import jpeglib

    from ..rate.exact import image_rate

    counts = {"files": 0, "byte_identical": 0, "rate_exact": 0, "decodes": 0, "pixel_identical": 0, "coefficient_checks": 0,
              "coefficient_identical": 0}
    failures = []
    paths = [p for name in datasets for p in data.image_paths(name)[:limit]]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_file = Path(tmp) / "check.jpg"
        for path in progress(paths, desc="sweep"):
            image = read_image(path)
            for quality in qualities:
                for subsampling in SUBSAMPLINGS:
                    for optimize in (False, True):
                        reference = pillow_encode(image, quality, subsampling, optimize)
                        ours = encode(image, quality, subsampling, optimize)
                        counts["files"] += 1
                        same = ours == reference
                        counts["byte_identical"] += same
                        size_ok = image_rate(image, quality, subsampling, optimize).file_bytes == len(reference)
                        counts["rate_exact"] += size_ok
                        if not size_ok:
                            failures.append(f"rate {path.name} q{quality} {subsampling} optimize={optimize}")
                        if not same:
                            failures.append(f"encode {path.name} q{quality} {subsampling} optimize={optimize}")
                        if check_decode and not optimize:
                            counts["decodes"] += 1
                            pil = np.asarray(Image.open(io.BytesIO(reference)).convert("RGB"))
                            ok = np.array_equal(decode(reference), pil)
                            counts["pixel_identical"] += ok
                            if not ok:
                                failures.append(f"decode {path.name} q{quality} {subsampling}")
                        if check_coefficients and not optimize:
                            tmp_file.write_bytes(reference)
                            theirs = jpeglib.read_dct(str(tmp_file))
                            mine = read_coefficients(reference).blocks
                            ok = all(np.array_equal(a, b) for a, b in zip(mine, (theirs.Y, theirs.Cb, theirs.Cr)))
                            counts["coefficient_checks"] += 1
                            counts["coefficient_identical"] += ok
                            if not ok:
                                failures.append(f"coefficients {path.name} q{quality} {subsampling}")
    counts["byte_identity_rate"] = counts["byte_identical"] / max(1, counts["files"])
    counts["rate_exact_rate"] = counts["rate_exact"] / max(1, counts["files"])
    counts["pixel_identity_rate"] = counts["pixel_identical"] / max(1, counts["decodes"])
    counts["coefficient_identity_rate"] = counts["coefficient_identical"] / max(1, counts["coefficient_checks"])
    counts["images"] = len(paths)
    counts["failures"] = failures[:20]
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jpegtutor.experiments.codec", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("speed", help="encode/decode time per image, ours vs Pillow")
    p.add_argument("--dataset", default="kodak")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--quality", type=int, default=75)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("sweep", help="identity with Pillow and jpeglib over the full grid of settings")
    p.add_argument("--datasets", default="kodak,live1")
    p.add_argument("--limit", type=int, default=None, help="images per dataset")
    p.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.what == "speed":
        result = speed(args.dataset, args.limit, args.quality, args.repeat)
        if args.json:
            print(json.dumps(result))
        else:
            print(f"{result['images']} {args.dataset} images, quality {args.quality}, 4:2:0 (median of best-of-{args.repeat})")
            print(f"{'':8s} {'ours (ms)':>10s} {'Pillow (ms)':>12s} {'ratio':>7s}")
            for op in ("encode", "decode"):
                print(f"{op:8s} {1e3 * result[f'ours_{op}_s']:10.1f} {1e3 * result[f'pillow_{op}_s']:12.2f} "
                      f"{result[f'{op}_ratio']:6.1f}x")
    else:
        result = sweep(tuple(args.datasets.split(",")), args.limit)
        if args.json:
            print(json.dumps(result))
        else:
            print(f"{result['images']} images x {len(SWEEP_QUALITIES)} qualities x 3 subsamplings x 2 Huffman modes")
            print(f"encoder byte identity with Pillow:   {result['byte_identical']}/{result['files']} "
                  f"({100 * result['byte_identity_rate']:.2f} %)")
            print(f"decoder pixel identity with Pillow:  {result['pixel_identical']}/{result['decodes']} "
                  f"({100 * result['pixel_identity_rate']:.2f} %)")
            print(f"coefficient identity with jpeglib:   {result['coefficient_identical']}/{result['coefficient_checks']} "
                  f"({100 * result['coefficient_identity_rate']:.2f} %)")
            for failure in result["failures"]:
                print("  mismatch:", failure)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
