"""``jpegtutor simulate``: JPEG through the differentiable simulator of Part II."""

from __future__ import annotations

import argparse

def _simulate(args: argparse.Namespace) -> int:
    from ..diff import simulate
    from ..image import read_image, to_tensor, write_image

    out = simulate(to_tensor(read_image(args.input)), args.quality, subsampling=args.subsampling,
                   rounding=args.rounding, mode=args.mode)
    write_image(args.output, out[0].clamp(0, 1))
    print(f"wrote {args.output} ({args.mode} mode, quality {args.quality:g}, {args.subsampling})")
    return 0


def add(sub) -> None:
    p = sub.add_parser("simulate", help="JPEG through the differentiable simulator (exact = libjpeg's pixels)")
    p.add_argument("input", help="image file")
    p.add_argument("output", help="output .png")
    p.add_argument("--quality", type=float, required=True, help="1-100")
    p.add_argument("--subsampling", default="420", choices=["444", "422", "420", "4:4:4", "4:2:2", "4:2:0"])
    p.add_argument("--mode", choices=["exact", "smooth"], default="exact")
    p.add_argument("--rounding", default="ste", choices=["hard", "ste", "cubic", "cubic-ste", "noise", "soft"])
    p.set_defaults(func=_simulate)

