"""Printing a command's result: one JSON object (``--json``) or aligned lines; ``--out`` also writes it."""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from ..files import write_json


def print_result(result: dict, args: argparse.Namespace) -> int:
    """Print ``result`` as one JSON object (``--json``) or as aligned lines; write it to ``--out`` if given."""
    if getattr(args, "out", None):  # the file records the command that wrote it
        write_json(args.out, {**result, "command": " ".join(["jpegtutor", *map(shlex.quote, sys.argv[1:])])})
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:40s} {value:.2f}" if isinstance(value, float) else f"{key:40s} {value}")
    return 0


