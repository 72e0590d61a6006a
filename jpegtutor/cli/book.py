"""``jpegtutor book sync|check|build|list|execute``: keep the book in step with book.toml."""

from __future__ import annotations

import argparse
import sys

def _book(args: argparse.Namespace) -> int:
    from .. import book

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


def add(sub) -> None:
    p = sub.add_parser("book", help="keep the book in step with book.toml, execute chapters, build the website")
    p.add_argument("action", choices=["sync", "check", "build", "list", "execute"],
                   help="sync: write _toc.yml/_config.yml; check: fail on drift; build: the website; "
                        "list: notebooks under test; execute: re-run chapters (CPU, quick profile)")
    p.add_argument("chapters", nargs="*", help="(execute) chapter files or stems, default all ready chapters")
    p.add_argument("--root", default=None, help="folder with book.toml (default: found from the working directory)")
    p.add_argument("--absolute", action="store_true", help="(list) print absolute paths")
    p.set_defaults(func=_book)

