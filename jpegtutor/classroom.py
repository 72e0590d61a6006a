"""Assignments from the chapters' exercises, and their grading, with otter-grader.

A chapter's ``## Exercises`` section is the source. Its code cells carry their role in their
metadata (MyST ``code-cell`` options):

- ``:tags: [exercise-setup]``: code every exercise needs (imports, an image); kept as is.
- ``:exercise: "2.1"`` and ``:points: 3``: the solution, with the part a student writes between
  ``# BEGIN SOLUTION`` and ``# END SOLUTION`` (otter replaces it with ``...``).
- ``:exercise: "2.1"`` and ``:tags: [exercise-test]``: a visible test (the student can run it).
- ``:exercise: "2.1"`` and ``:tags: [remove-cell, exercise-hidden-test]``: a hidden test, run only
  when grading (``remove-cell`` keeps it off the website).

Tests are ``assert`` statements on properties (a byte identity, a gradient, a sign), never on a
printed value. An exercise scores its points when all its tests pass, else none. The markdown
before a solution is its prompt. :func:`build` writes an otter master
notebook per chapter and lets ``otter assign`` strip the solutions and pack the hidden tests;
:func:`grade` runs each submission with ``otter run`` in a clean kernel under a time limit.

Why otter-grader and not nbgrader: otter grades one notebook without a course database, a
gradebook or a Jupyter server extension (``otter run`` needs no Docker), its hidden tests travel
in one zip per assignment, and its student notebooks check their visible tests themselves
(``grader.check``).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Exercise", "Assignment", "assignments", "read_assignment", "build", "grade", "SCORE_FIELDS"]

SETUP, TEST, HIDDEN = "exercise-setup", "exercise-test", "exercise-hidden-test"
SCORE_FIELDS = ("student", "chapter", "exercise", "points", "max_points", "failure")


@dataclass
class Exercise:
    """One graded exercise: ``number`` as the chapter prints it ("2.1"), its ``points``, the markdown
    ``prompt``, the ``solution`` code and its visible and hidden ``tests`` (code)."""

    number: str
    points: float
    prompt: str
    solution: str
    tests: list = field(default_factory=list)
    hidden: list = field(default_factory=list)

    @property
    def name(self) -> str:
        """The otter question name: ``ex2_1`` for exercise 2.1."""
        return "ex" + re.sub(r"\W", "_", self.number)


@dataclass
class Assignment:
    """A chapter's exercises: ``chapter`` is the file stem ("02_dct"), ``setup`` its setup code cells."""

    chapter: str
    title: str
    setup: list
    exercises: list

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)


class AssignmentError(ValueError):
    """A chapter's Exercises section does not follow the format above (the message says where)."""


def _sections(cells):
    """Split markdown cells at ``## `` headings: a list of (cell_type, source, metadata, heading)."""
    out, heading = [], None
    for cell in cells:
        if cell.cell_type != "markdown":
            out.append((cell.cell_type, cell.source, dict(cell.metadata), heading))
            continue
        chunk = []
        for line in cell.source.splitlines():
            if line.startswith("## "):
                if chunk:
                    out.append(("markdown", "\n".join(chunk).strip(), {}, heading))
                heading, chunk = line[3:].strip(), []
            else:
                chunk.append(line)
        if "\n".join(chunk).strip():
            out.append(("markdown", "\n".join(chunk).strip(), {}, heading))
    return out


def read_assignment(path: str | os.PathLike) -> Assignment | None:
    """The graded exercises of the chapter at ``path`` (MyST ``.md``); ``None`` when it has none."""
    import jupytext

    path = Path(path)
    notebook = jupytext.read(path)
    if not any(c.cell_type == "code" and "exercise" in c.metadata for c in notebook.cells):
        return None
    title = next((c.source.splitlines()[0].lstrip("# ").strip() for c in notebook.cells
                  if c.cell_type == "markdown" and c.source.startswith("# ")), path.stem)
    setup, exercises, prompt = [], [], []
    for number, (kind, source, meta, heading) in enumerate(_sections(notebook.cells), 1):
        if heading is None or not heading.startswith("Exercise"):
            continue
        tags = meta.get("tags", [])
        where = f"{path.name}, section {heading!r}"
        if kind == "markdown":
            prompt.append(source)
            continue
        if SETUP in tags:
            setup.append(source)
            prompt = []
            continue
        if "exercise" not in meta:
            raise AssignmentError(f"{where}: code cell {number} is neither setup nor part of an exercise "
                                  f"(tag it `{SETUP}` or give it `:exercise:`)")
        label = str(meta["exercise"])
        if TEST in tags or HIDDEN in tags:
            if not exercises or exercises[-1].number != label:
                raise AssignmentError(f"{where}: a test of exercise {label} comes before its solution")
            (exercises[-1].hidden if HIDDEN in tags else exercises[-1].tests).append(source)
            continue
        if "# BEGIN SOLUTION" not in source or "# END SOLUTION" not in source:
            raise AssignmentError(f"{where}: the solution of exercise {label} has no # BEGIN SOLUTION ... "
                                  "# END SOLUTION block")
        try:
            points = float(meta["points"])
        except (KeyError, TypeError, ValueError):
            raise AssignmentError(f"{where}: exercise {label} needs `:points:` (a positive number)") from None
        if points <= 0:
            raise AssignmentError(f"{where}: exercise {label} needs `:points:` (a positive number)")
        exercises.append(Exercise(label, points, "\n\n".join(prompt), source))
        prompt = []
    for e in exercises:
        if not e.hidden:
            raise AssignmentError(f"{path.name}: exercise {e.number} has no hidden test "
                                  f"(tag one `:tags: [remove-cell, {HIDDEN}]`)")
    return Assignment(path.stem, title, setup, exercises) if exercises else None


def assignments(root: str | os.PathLike | None = None) -> list[Assignment]:
    """Every ready chapter's graded exercises, in book order."""
    from . import book

    manifest = book.load_manifest(root)
    found = []
    for chapter in manifest.ready:
        assignment = read_assignment(manifest.root / f"{chapter.file}.md")
        if assignment is not None:
            found.append(assignment)
    return found


def _master(assignment: Assignment, chapter_url: str):
    """The otter master notebook of ``assignment``."""
    import nbformat

    v4 = nbformat.v4
    config = (f"# ASSIGNMENT CONFIG\nname: {assignment.chapter}\ninit_cell: true\ncheck_all_cell: false\n"
              "export_cell: false\nrun_tests: false\ngenerate: true\nrequirements: null\nenvironment: null\n")
    cells = [v4.new_raw_cell(config),
             v4.new_markdown_cell(f"# Exercises: {assignment.title}\n\nRead the chapter first: {chapter_url}. "
                                  f"{len(assignment.exercises)} exercises, {assignment.points:g} points. Write your "
                                  "answer where the `...` stands, run the check below it, and hand in this notebook.")]
    cells += [v4.new_code_cell(source) for source in assignment.setup]
    for e in assignment.exercises:
        cells += [v4.new_raw_cell(f"# BEGIN QUESTION\nname: {e.name}\npoints: {e.points:g}\nall_or_nothing: true"),
                  v4.new_markdown_cell(e.prompt or f"**Exercise {e.number}.**"),
                  v4.new_raw_cell("# BEGIN SOLUTION"), v4.new_code_cell(e.solution), v4.new_raw_cell("# END SOLUTION"),
                  v4.new_raw_cell("# BEGIN TESTS")]
        cells += [v4.new_code_cell(test) for test in e.tests]
        cells += [v4.new_code_cell(f'""" # BEGIN TEST CONFIG\nhidden: true\n""" # END TEST CONFIG\n{test}')
                  for test in e.hidden]
        cells += [v4.new_raw_cell("# END TESTS"), v4.new_raw_cell("# END QUESTION")]
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def _otter() -> str:
    """The ``otter`` command beside this Python (the ``classroom`` extra installs it)."""
    candidate = Path(sys.executable).with_name("otter")
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("otter")
    if found is None:
        raise RuntimeError("otter-grader is not installed: pip install 'jpegtutor[classroom]'")
    return found


def build(out: str | os.PathLike, root: str | os.PathLike | None = None, chapters: list[str] | None = None,
          echo=print) -> dict:
    """Write ``out/student/CH.ipynb`` (solutions replaced by ``...``, visible tests kept),
    ``out/instructor/CH.ipynb`` (with the solutions), ``out/autograder/CH.zip`` (the hidden tests) and
    ``out/assignments.json`` (exercises and points) for every chapter with graded exercises (or only
    ``chapters``, file stems). Returns what assignments.json holds."""
    import nbformat

    from . import book

    manifest = book.load_manifest(root)
    found = assignments(manifest.root)
    if chapters:
        unknown = sorted(set(chapters) - {a.chapter for a in found})
        if unknown:
            raise ValueError(f"no graded exercises in {', '.join(unknown)} "
                             f"(chapters with exercises: {', '.join(a.chapter for a in found)})")
        found = [a for a in found if a.chapter in chapters]
    out = Path(out)
    otter = _otter()
    for sub in ("student", "instructor", "autograder"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    index = {}
    for assignment in found:
        url = f"{manifest.repository}/blob/{manifest.branch}/chapters/{assignment.chapter}.md"
        with tempfile.TemporaryDirectory() as tmp:
            master = Path(tmp) / f"{assignment.chapter}.ipynb"
            nbformat.write(_master(assignment, url), master)
            run = subprocess.run([otter, "assign", "--no-pdfs", str(master), str(Path(tmp) / "dist")],
                                 capture_output=True, text=True, cwd=tmp)
            dist = Path(tmp) / "dist"
            zips = sorted((dist / "autograder").glob("*.zip"))
            if run.returncode != 0 or not zips:
                lines = [line for line in (run.stderr + run.stdout).splitlines() if line.strip()]
                raise RuntimeError(f"otter assign failed on {assignment.chapter}: {lines[-1] if lines else 'no output'}")
            shutil.copy(dist / "student" / master.name, out / "student" / master.name)
            shutil.copy(dist / "autograder" / master.name, out / "instructor" / master.name)
            shutil.copy(zips[-1], out / "autograder" / f"{assignment.chapter}.zip")
        index[assignment.chapter] = {"title": assignment.title, "points": assignment.points,
                                     "exercises": [{"number": e.number, "name": e.name, "points": e.points,
                                                    "visible_tests": len(e.tests), "hidden_tests": len(e.hidden)}
                                                   for e in assignment.exercises]}
        echo(f"{assignment.chapter}: {len(assignment.exercises)} exercises, {assignment.points:g} points")
    (out / "assignments.json").write_text(json.dumps(index, indent=1) + "\n")
    return index


def _failure(output: str) -> str:
    """The first failing case's exception line from otter's test output ('' when none failed)."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if "Test case failed" in line:
            for later in lines[i + 1:]:
                text = later.strip()
                if re.match(r"^[A-Za-z_.]*(Error|Exception|Interrupt)(:|$)", text):
                    return text
            return "a test failed"
    return ""


def _run_one(otter: str, autograder: Path, submission: Path, timeout_s: float) -> tuple[dict | None, str]:
    """otter's results of one submission, or (None, why not)."""
    try:
        json.loads(submission.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, f"not a notebook: {type(exc).__name__}"
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, MPLBACKEND="Agg")
        process = subprocess.Popen([otter, "run", "--no-logo", "-a", str(autograder.resolve()), "-o", tmp,
                                    str(submission.resolve())], cwd=tmp, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            output, _ = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return None, f"timed out after {timeout_s:g} s"
        results = Path(tmp) / "results.json"
        if not results.is_file():
            lines = [line for line in output.splitlines() if line.strip()]
            return None, f"the grader failed: {lines[-1] if lines else 'no output'}"
        return json.loads(results.read_text()), ""


def grade(submissions: str | os.PathLike, built: str | os.PathLike, out: str | os.PathLike | None = None,
          timeout_s: float = 600, jobs: int = 1, echo=print) -> list[dict]:
    """Grade ``submissions/STUDENT/CH.ipynb`` against the assignments :func:`build` wrote into
    ``built``: each notebook runs in a clean kernel (``otter run``) within ``timeout_s``. Writes
    ``out/scores.csv`` and ``out/scores.json`` (``out`` defaults to ``submissions``): one row per
    student, chapter and exercise with ``points``, ``max_points`` and the ``failure`` message.
    ``jobs`` submissions run side by side. Returns the rows."""
    submissions, built = Path(submissions), Path(built)
    if not submissions.is_dir():
        raise FileNotFoundError(f"no submissions folder {submissions}")
    index_path = built / "assignments.json"
    if not index_path.is_file():
        raise FileNotFoundError(f"{built} holds no assignments (no assignments.json): run jpegtutor assign build {built}")
    index = json.loads(index_path.read_text())
    work = sorted(p for p in submissions.glob("*/*.ipynb") if not p.name.startswith("."))
    if not work:
        raise FileNotFoundError(f"no submissions in {submissions}: expected STUDENT/CHAPTER.ipynb, "
                                f"e.g. {submissions}/alice/{next(iter(index), '02_dct')}.ipynb")
    otter = _otter()

    def one(path: Path) -> list[dict]:
        student, chapter = path.parent.name, path.stem
        if chapter not in index:
            return [dict(student=student, chapter=chapter, exercise="", points=0, max_points=0,
                         failure=f"no assignment named {chapter} (known: {', '.join(index)})")]
        start = time.perf_counter()
        results, why = _run_one(otter, built / "autograder" / f"{chapter}.zip", path, timeout_s)
        scored = {t["name"]: t for t in (results or {}).get("tests", []) if "max_score" in t}
        rows = []
        for e in index[chapter]["exercises"]:
            test = scored.get(e["name"])
            points = float(test.get("score") or 0) if test else 0.0
            failure = why or (_failure(test.get("output", "")) if test else "not graded")
            rows.append(dict(student=student, chapter=chapter, exercise=e["number"], points=round(points, 3),
                             max_points=e["points"], failure=failure if points < e["points"] else ""))
        echo(f"{student} {chapter}: {sum(r['points'] for r in rows):g} / {index[chapter]['points']:g} points "
             f"({time.perf_counter() - start:.0f} s)")
        return rows

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        rows = [row for rows in pool.map(one, work) for row in rows]
    out = Path(out) if out is not None else submissions
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "scores.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SCORE_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    (out / "scores.json").write_text(json.dumps(rows, indent=1) + "\n")
    return rows
