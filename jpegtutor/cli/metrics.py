"""``jpegtutor metrics A B``: compare two images."""

from __future__ import annotations

import argparse
import json

def _metrics(args: argparse.Namespace) -> int:
    from ..image import read_image, to_tensor
    from ..metrics import lpips, ms_ssim, psnr, psnr_y, ssim

    x, y = to_tensor(read_image(args.a)), to_tensor(read_image(args.b))
    if x.shape != y.shape:
        raise SystemExit(f"images differ in size: {args.a} is {tuple(x.shape[2:])}, {args.b} is {tuple(y.shape[2:])} (H, W)")
    result = {"psnr_db": float(psnr(x, y)), "psnr_y_db": float(psnr_y(x, y)), "ssim": float(ssim(x, y))}
    if min(x.shape[2:]) >= 161:
        result["ms_ssim"] = float(ms_ssim(x, y))
    for net in args.lpips:
        result[f"lpips_{net}"] = float(lpips(x, y, net=net))
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
