"""The ``jpegtutor`` command: one module per command group, each a thin layer over package functions.

    jpegtutor encode IN OUT.jpg --quality Q [--subsampling 444|422|420] [--optimize] [--qtables T.json]
    jpegtutor decode IN.jpg OUT.png
    jpegtutor inspect IN.jpg [--json]
    jpegtutor book sync|check|build|list|execute
    jpegtutor assign build OUT/ | grade SUBMISSIONS/ --assignments OUT/
    jpegtutor data list|locate|verify
    jpegtutor metrics A B [--lpips alex|vgg] [--json]
    jpegtutor simulate IN OUT.png --quality Q [--subsampling S] [--mode exact|smooth] [--rounding R]
    jpegtutor bench diffjpeg|train [--compare kornia] [--device cpu|cuda] [--fidelity] [--json] [--out F]
    jpegtutor rate IN --quality Q [--subsampling S] [--optimize] [--json]
    jpegtutor methods [--json]
    jpegtutor benchmark [--profile quick|full] [--only M,...] [--summary-only] [--list]
    jpegtutor eval --method M --dataset NAME|DIR [--qualities ...] [--baseline M|F.json] [--save-files DIR] [--json OUT]
    jpegtutor train MODEL --profile P --max-steps N --out DIR [--checkpoint-every K] [--resume] [--seed S] [--set K=V]
    jpegtutor preedit METHOD IN OUT.jpg --quality Q [--checkpoint C] [--per-image-steps N] [--save-edited PNG] [--no-lpips]

Methods are looked up in :mod:`jpegtutor.registry`; no command names a method.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from .. import __version__
from . import assign, bench, benchmark, book, codec, data, evaluate, metrics, preedit, rate, simulate, train

__all__ = ["build_parser", "main"]

GROUPS = (book, assign, codec, simulate, bench, rate, evaluate, benchmark, preedit, train, data, metrics)


class OneLineParser(argparse.ArgumentParser):
    """argparse with a one-line error (``jpegtutor encode: error: ... (see jpegtutor encode --help)``), exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="jpegtutor",
        description="Learned pre-editing for JPEG: the command line of the jpegtutor book and package.",
    )
    parser.add_argument("--version", action="version", version=f"jpegtutor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for group in GROUPS:
        group.add(sub)
    return parser


def _message(exc: BaseException) -> str:
    """One line naming the problem (and, where there is one, the fix)."""
    if isinstance(exc, ConnectionError):
        return (f"{exc} (work offline: put the files where the message above says, or set JPEGTUTOR_WEIGHTS / "
                "JPEGTUTOR_DATA to folders holding them; JPEGTUTOR_OFFLINE=1 never downloads)")
    if isinstance(exc, IsADirectoryError):
        return str(exc) if exc.filename is None else f"{exc.filename} is a folder, not a file"
    if isinstance(exc, NotADirectoryError):
        return str(exc) if exc.filename is None else f"{exc.filename}: a part of this path is a file, not a folder"
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename or exc}"
    if isinstance(exc, FileExistsError):
        return f"{exc.filename or exc} already exists"
    if type(exc).__name__ == "DecompressionBombError":
        return f"{exc} (Pillow refuses images this large; crop or downscale the image first)"
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split()) if "\n" not in text else text.splitlines()[0] + " " + " | ".join(
        line.strip() for line in text.splitlines()[1:] if line.strip())


def main(argv: list[str] | None = None) -> int:
    """Run the command; a bad input prints one line ``jpegtutor CMD: error: ...`` and exits 2 (130 on Ctrl-C)."""
    parser = build_parser()
    args = parser.parse_args(argv)

    def one_line_warning(message, category, filename, lineno, file=None, line=None):
        print(f"jpegtutor {args.command}: warning: {message}", file=sys.stderr)

    previous, warnings.showwarning = warnings.showwarning, one_line_warning
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"jpegtutor {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, TypeError, OSError, RuntimeError) as exc:
        print(f"jpegtutor {args.command}: error: {_message(exc)}", file=sys.stderr)
        return 2
    finally:
        warnings.showwarning = previous
