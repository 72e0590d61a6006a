"""``jpegtutor data list|locate|verify``: find and verify the datasets."""

from __future__ import annotations

import argparse
import sys

def _data(args: argparse.Namespace) -> int:
    from .. import datasets as data

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


def add(sub) -> None:
    p = sub.add_parser("data", help="find and verify the datasets")
    p.add_argument("action", choices=["list", "locate", "verify"])
    p.add_argument("name", nargs="?", help="dataset name (kodak, live1, bsds500-test, train, lpips-check)")
    p.set_defaults(func=_data)

