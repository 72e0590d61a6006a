"""The ``jpegtutor`` command. Each subcommand is a thin layer over a package function.

Commands (later parts of the book add encode, decode, inspect, simulate, rate, bench, eval, train,
preedit; see DESIGN.md for the contract):

    jpegtutor book sync|check|build|list|execute
    jpegtutor data list|locate|verify
    jpegtutor metrics A B [--lpips alex|vgg] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__


def _book(args: argparse.Namespace) -> int:
    from . import book

    if args.action == "sync":
        changed = book.sync(args.root)
        print("\n".join(f"wrote {p}" for p in changed) if changed else "_toc.yml and _config.yml are up to date")
        return 0
    if args.action == "check":
        problems = book.check(args.root)
        if problems:
            print(f"book check failed ({len(problems)} problem(s)):", file=sys.stderr)
            for p in problems:
                print(f"- {p}", file=sys.stderr)
            return 1
        manifest = book.load_manifest(args.root)
        print(f"book check passed: {len(manifest.ready)} ready chapter(s), "
              f"{len(manifest.chapters) - len(manifest.ready)} planned, generated files up to date")
        return 0
    if args.action == "list":
        manifest = book.load_manifest(args.root)
        for path in manifest.notebooks():
            print(path.relative_to(manifest.root).as_posix() if not args.absolute else path)
        return 0
    if args.action == "execute":
        timings = book.execute(args.root, args.chapters or None)
        print(f"executed {len(timings)} chapter(s) in {sum(timings.values()):.1f} s")
        return 0
    if args.action == "build":
        index = book.build(args.root)
        print(f"website written: {index}")
        return 0
    raise AssertionError(args.action)


def _data(args: argparse.Namespace) -> int:
    from . import data

    if args.action == "list":
        for info in data.DATASETS.values():
            try:
                where = str(data.locate(info.name, download=False))
            except data.DatasetNotFoundError:
                where = "not found"
            print(f"{info.name:14s} {info.count:4d} images  {where}\n    {info.description}")
        return 0
    if args.name is None:
        raise SystemExit("jpegtutor data locate|verify needs a dataset NAME")
    if args.action == "locate":
        print(data.locate(args.name))
        return 0
    if args.action == "verify":
        result = data.verify(args.name)
        bad = [f for f, ok in result.items() if not ok]
        print(f"{args.name}: {len(result) - len(bad)}/{len(result)} files match their SHA-256")
        for f in bad:
            print(f"  mismatch or missing: {f}", file=sys.stderr)
        return 1 if bad else 0
    raise AssertionError(args.action)


def _metrics(args: argparse.Namespace) -> int:
    from .image import read_image, to_tensor
    from .metrics import lpips, ms_ssim, psnr, psnr_y, ssim

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jpegtutor",
        description="Learned pre-editing for JPEG: the command line of the jpegtutor book and package.",
    )
    parser.add_argument("--version", action="version", version=f"jpegtutor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("book", help="keep the book in step with book.toml, execute chapters, build the website")
    p.add_argument("action", choices=["sync", "check", "build", "list", "execute"],
                   help="sync: write _toc.yml/_config.yml; check: fail on drift; build: the website; "
                        "list: notebooks under test; execute: re-run chapters (CPU, quick profile)")
    p.add_argument("chapters", nargs="*", help="(execute) chapter files or stems, default all ready chapters")
    p.add_argument("--root", default=None, help="folder with book.toml (default: found from the working directory)")
    p.add_argument("--absolute", action="store_true", help="(list) print absolute paths")
    p.set_defaults(func=_book)

    p = sub.add_parser("data", help="find and verify the datasets")
    p.add_argument("action", choices=["list", "locate", "verify"])
    p.add_argument("name", nargs="?", help="dataset name (kodak, live1, bsds500-test, train, lpips-check)")
    p.set_defaults(func=_data)

    p = sub.add_parser("metrics", help="compare two images: PSNR, PSNR-Y, SSIM, MS-SSIM, LPIPS")
    p.add_argument("a", help="reference image file")
    p.add_argument("b", help="distorted image file (same size)")
    p.add_argument("--lpips", nargs="*", default=["alex"], choices=["alex", "vgg"],
                   help="LPIPS backbones to compute (default: alex; none: --lpips)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_metrics)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as exc:
        print(f"jpegtutor {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
