"""``jpegtutor assign build|grade``: assignments from the chapters' exercises, graded with otter-grader.

    jpegtutor assign build OUT/ [--chapters 02_dct,...]
    jpegtutor assign grade SUBMISSIONS/ --assignments OUT/ [--out DIR] [--timeout S] [--jobs N]
"""

from __future__ import annotations

import argparse


def _assign(args: argparse.Namespace) -> int:
    from .. import classroom

    if args.action == "build":
        chapters = [c.strip() for c in args.chapters.split(",") if c.strip()] if args.chapters else None
        index = classroom.build(args.folder, root=args.root, chapters=chapters)
        total = sum(len(a["exercises"]) for a in index.values())
        print(f"{len(index)} assignments, {total} exercises: hand out {args.folder}/student/, "
              f"keep {args.folder}/instructor/ and {args.folder}/autograder/")
        return 0
    if args.assignments is None:
        raise SystemExit("jpegtutor assign grade: error: --assignments OUT (the folder `assign build` wrote) "
                         "is required (see jpegtutor assign --help)")
    if args.timeout <= 0 or args.jobs < 1:
        raise SystemExit("jpegtutor assign grade: error: --timeout must be positive and --jobs at least 1")
    rows = classroom.grade(args.folder, args.assignments, out=args.out, timeout_s=args.timeout, jobs=args.jobs)
    students = sorted({r["student"] for r in rows})
    out = args.out or args.folder
    print(f"graded {len(students)} student(s): {sum(r['points'] for r in rows):g} / "
          f"{sum(r['max_points'] for r in rows):g} points in all; scores in {out}/scores.csv and scores.json")
    return 0


def add(sub) -> None:
    p = sub.add_parser("assign", help="build assignments from the chapters' exercises, grade submissions")
    p.add_argument("action", choices=["build", "grade"],
                   help="build: student, instructor and autograder versions into FOLDER; "
                        "grade: every FOLDER/STUDENT/CHAPTER.ipynb")
    p.add_argument("folder", help="(build) where the assignments go; (grade) the submissions")
    p.add_argument("--chapters", default=None, help="(build) only these chapter stems, comma-separated")
    p.add_argument("--root", default=None, help="(build) folder with book.toml (default: found from here)")
    p.add_argument("--assignments", default=None, help="(grade) the folder `assign build` wrote")
    p.add_argument("--out", default=None, help="(grade) where scores.csv and scores.json go (default: FOLDER)")
    p.add_argument("--timeout", type=float, default=600, help="(grade) seconds one notebook may run (default 600)")
    p.add_argument("--jobs", type=int, default=1, help="(grade) notebooks graded side by side (default 1)")
    p.set_defaults(func=_assign)
