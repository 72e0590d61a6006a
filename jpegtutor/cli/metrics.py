"""``jpegtutor metrics A B``: compare two images."""

from __future__ import annotations

import argparse
import json

def _metrics(args: argparse.Namespace) -> int:
    from ..image import read_image
    from ..metrics import measure_pixels
    from ..metrics.lpips_network import lpips
    from ..metrics.measure import LPIPS_MIN_SIDE
    from ..image import to_tensor

    a, b = read_image(args.a), read_image(args.b)
    if a.shape != b.shape:
        raise ValueError(f"images differ in size: {args.a} is {a.shape[0]}x{a.shape[1]}, {args.b} is {b.shape[0]}x{b.shape[1]} (H x W)")
    result = measure_pixels(a, b, use_lpips=False)  # the package's one measurement (NaN where an image is too small)
    for net in args.lpips:
        small = min(a.shape[:2]) < LPIPS_MIN_SIDE
        result[f"lpips_{net}"] = float("nan") if small else float(lpips(to_tensor(b), to_tensor(a), net=net))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:10s} {value:.4f}")
    return 0


def add(sub) -> None:
    p = sub.add_parser("metrics", help="compare two images: PSNR, PSNR-Y, SSIM, MS-SSIM, LPIPS")
    p.add_argument("a", help="reference image file")
    p.add_argument("b", help="distorted image file (same size)")
    p.add_argument("--lpips", nargs="*", default=["alex"], choices=["alex", "vgg"],
                   help="LPIPS backbones to compute (default: alex; none: --lpips)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_metrics)
