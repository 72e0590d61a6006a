"""The ``jpegtutor`` command: one module per command group, each a thin layer over package functions.

    jpegtutor encode IN OUT.jpg --quality Q [--subsampling 444|422|420] [--optimize] [--qtables T.json]
    jpegtutor decode IN.jpg OUT.png
    jpegtutor inspect IN.jpg [--json]
    jpegtutor book sync|check|build|list|execute
    jpegtutor data list|locate|verify
    jpegtutor metrics A B [--lpips alex|vgg] [--json]
    jpegtutor simulate IN OUT.png --quality Q [--subsampling S] [--mode exact|smooth] [--rounding R]
    jpegtutor bench diffjpeg|train [--compare kornia] [--device cpu|cuda] [--fidelity] [--json] [--out F]
    jpegtutor rate IN --quality Q [--subsampling S] [--optimize] [--json]
    jpegtutor methods [--json]
    jpegtutor eval --method M --dataset NAME|DIR [--qualities ...] [--baseline M|F.json] [--save-files DIR] [--json OUT]
    jpegtutor train MODEL --profile P --max-steps N --out DIR [--checkpoint-every K] [--resume] [--seed S] [--set K=V]
    jpegtutor preedit METHOD IN OUT.jpg --quality Q [--checkpoint C] [--per-image-steps N] [--save-edited PNG] [--no-lpips]

Methods are looked up in :mod:`jpegtutor.registry`; no command names a method.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from . import bench, book, codec, data, evaluate, metrics, preedit, rate, simulate, train

__all__ = ["build_parser", "main"]

GROUPS = (book, codec, simulate, bench, rate, evaluate, preedit, train, data, metrics)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jpegtutor",
        description="Learned pre-editing for JPEG: the command line of the jpegtutor book and package.",
    )
    parser.add_argument("--version", action="version", version=f"jpegtutor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for group in GROUPS:
        group.add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as exc:
        print(f"jpegtutor {args.command}: error: {exc}", file=sys.stderr)
        return 2
