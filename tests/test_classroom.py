"""The assignment cycle: build from the chapters, grade the instructor's, the untouched student's and
one deliberately wrong answer per chapter; the format's errors; the grader's limits."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from jpegtutor import book, classroom

pytest.importorskip("otter")

ROOT = Path(__file__).resolve().parents[1]

# One wrong answer per chapter with exercises: (exercise, the solution cell's new source). A chapter
# that gains exercises without an entry here fails test_every_chapter_has_a_wrong_answer.
WRONG = {
    "01_color": ("1.4", """def rgb_to_ycbcr_fixed(rgb):
    ycc = np.asarray(rgb, dtype=np.float64) @ color.RGB_TO_YCBCR.numpy().T + np.array([0.0, 128.0, 128.0])
    return np.clip(np.round(ycc), 0, 255).astype(np.uint8)
"""),
    "02_dct": ("2.2", "def coding_gain(variances):\n    return np.mean(variances) / np.median(variances)\n"),
    "03_quantization": ("3.2", """def quantize_dct8(dct8, table):
    return np.round(np.asarray(dct8) / (8 * np.asarray(table))).astype(np.int64)
"""),
    "04_entropy_coding": ("4.2", """def huffman_lengths(counts):
    counts = np.asarray(counts, dtype=np.float64)
    lengths = np.zeros(counts.size, dtype=np.int64)
    used = counts > 0
    lengths[used] = np.ceil(-np.log2(counts[used] / counts.sum()))
    return lengths
"""),
    "07_rate": ("7.3", 'def block_bits(zigzag, dc_difference):\n    """Huffman code + extra bits of one luma block (standard tables)."""\n    size = int(size_category(dc_difference))\n    bits, run = int(DC_LENGTHS[size]) + size, 0\n    for level in zigzag[1:]:\n        if level == 0:\n            run += 1\n            continue\n        size = int(size_category(level))\n        bits += int(AC_LENGTHS[run % 16 * 16 + size]) + size\n        run = 0\n    return bits + (int(AC_LENGTHS[0x00]) if run else 0)\n'),
    "08_evaluation": ("8.3", 'def bd_rate_linear(anchor_rates, anchor_quality, test_rates, test_quality):\n    """BD-rate (%) with piecewise-linear interpolation of log-rate over the shared quality range."""\n    low = max(np.min(anchor_quality), np.min(test_quality))\n    high = min(np.max(anchor_quality), np.max(test_quality))\n    grid = np.linspace(low, high, 2001)\n    ratio = np.interp(grid, test_quality, test_rates) / np.interp(grid, anchor_quality, anchor_rates)\n    return float(100 * (np.mean(ratio) - 1))\n'),
    "08a_rd_optimization": ("8a.2", 'def trellis_changes(rounded, trellis):\n    """(zeroed, lowered, kept) counts over the levels that are nonzero in ``rounded``."""\n    rounded, trellis = np.asarray(rounded), np.asarray(trellis)\n    nonzero = rounded != 0\n    zeroed = int(np.count_nonzero(nonzero & (trellis == 0)))\n    changed = int(np.count_nonzero(nonzero & (trellis != rounded)))\n    return zeroed, changed, int(np.count_nonzero(nonzero)) - changed\n'),
    "09_talebi": ("9.4", 'def own_block_displacement(params, height, width):\n    """Displacement (B, 2, height, width) of every pixel by its own 8x8 block\'s transform only."""\n    b, _, hb, wb = params.shape\n    p = params.repeat_interleave(8, 2).repeat_interleave(8, 3)\n    offset = torch.arange(8, dtype=params.dtype) - 4  # forgets that pixel centres sit at integers + 0.5\n    ry = offset.repeat(hb).view(1, -1, 1)\n    rx = offset.repeat(wb).view(1, 1, -1)\n    dy = p[:, 0] * ry + p[:, 1] * rx + p[:, 4]\n    dx = p[:, 2] * ry + p[:, 3] * rx + p[:, 5]\n    return torch.stack([dy, dx], 1)[:, :, :height, :width]\n'),
    "10_struempler": ("10.1", 'def masked_levels(image, masks, tables):\n    """[Y, Cb, Cr] levels int16 (hb, wb, 8, 8): round(c * mask / Q), halves away from zero, at 4:4:4."""\n    levels = []\n    for component, dct8 in enumerate(jpeg.codec.dct_coefficients(image, "4:4:4")):\n        coefficients = torch.from_numpy(dct8.reshape(*dct8.shape[:2], 64)).float() / 8.0\n        if masks is not None:\n            coefficients = coefficients * masks[0, 0]  # the luma mask for every component\n        ratio = coefficients / torch.as_tensor(np.asarray(tables[0]).reshape(64)).float()  # and the luma table\n        rounded = torch.sign(ratio) * torch.floor(ratio.abs() + 0.5)\n        levels.append(rounded.numpy().astype(np.int16).reshape(dct8.shape))\n    return levels\n'),
    "11_ye": ("11.3", 'def relative_cost(edited, original, quality, lam):\n    pixels = original.shape[-2] * original.shape[-1]\n    distortion = mse(simulate(edited, quality, mode="smooth", rounding="soft"), original)  # no mask\n    rate = rate_net(dct_coefficients(edited), quality_to_tables(quality)) / pixels\n    plain = ye.content_lambda(original, quality, mse)\n    return ((distortion + lam * rate) / (plain["distortion"] + lam * plain["bpp"])).mean()\n'),
    "05_rounding": ("5.1", 'def soft_round_grad(x, alpha):\n    """d soft_round(x, alpha) / dx, elementwise."""\n    r = x - (torch.floor(x) + 0.5)\n    return (1 - torch.tanh(alpha * r) ** 2) / (2 * math.tanh(alpha / 2))\n'),
    "06_simulator": ("6.3", 'def ijg_tables(quality):\n    """Differentiable IJG tables (B, 2, 8, 8) for a float tensor of qualities (B,)."""\n    def floor(v):\n        return v + (torch.floor(v) - v).detach()\n\n    q = quality.reshape(-1, 1, 1, 1)\n    base = torch.from_numpy(np.stack([quant.STD_LUMA, quant.STD_CHROMA])).to(quality.dtype)\n    scale = torch.where(q < 50, floor(5000 / q), 200 - 2 * q)\n    return floor((base * scale + 50) / 100).clamp(1, 255)\n'),
    "06a_rate_distortion": ("6a.2", 'def gaussian_model_rate(variances, distortion):\n    """Mean bits per component of reverse water-filling at mean distortion `distortion`."""\n    v = np.asarray(variances, dtype=np.float64)\n    return float(np.mean(0.5 * np.log2(v / np.minimum(distortion, v))))\n'),
    "12_huang_yen": ("12.2", 'def flat_blocks(image, quality):\n    """The share of luma blocks (0-1) whose 63 AC levels are all zero in libjpeg\'s 4:2:0 file at ``quality``."""\n    dct = jpeg.codec.dct_coefficients(image, "4:2:0")[0]\n    levels = jpeg.quant.quantize_libjpeg(dct, jpeg.tables_for_quality(quality)[0])\n    return float((levels.reshape(-1, 64) == 0).all(axis=1).mean())  # counts the DC too\n'),
    "13_learned_tables": ("13.4", 'def qpsi_tables(weight, bias):\n    """JPNeO\'s tables from one linear layer: ``weight (128, 128)``, ``bias (128,)`` -> ``(2, 8, 8)`` in (1, 255)."""\n    q50 = torch.as_tensor(jpeg.tables_for_quality(50), dtype=weight.dtype).reshape(128) / 255.0\n    return (255.0 * torch.sigmoid(weight @ q50 + bias)).view(2, 8, 8)  # forgets the +1 floor\n'),
    "14_neural_operators": ("14.1", 'def galerkin(x, w_qkv, b_qkv, w_out, b_out, heads):\n    """Multi-head Galerkin attention: ``(B, n, dim)`` tokens -> ``(B, n, dim)``."""\n    b, n, dim = x.shape\n    d = dim // heads\n    q, k, v = (part.reshape(b, n, heads, d).transpose(1, 2) for part in (x @ w_qkv.T + b_qkv).split(dim, dim=-1))\n    k, v = F.layer_norm(k, (d,)), F.layer_norm(v, (d,))\n    z = q @ (k.transpose(-2, -1) @ v)  # forgets the 1/n\n    return z.transpose(1, 2).reshape(b, n, dim) @ w_out.T + b_out\n'),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("assignments")
    index = classroom.build(out, root=ROOT, echo=lambda *_: None)
    return out, index


def _wrong(built_dir: Path, chapter: str, number: str, source: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(built_dir / "instructor" / f"{chapter}.ipynb", as_version=4)
    answers = [c for c in notebook.cells if "otter_assign_solution_cell" in c.metadata.get("tags", [])]
    exercises = [e["number"] for e in json.loads((built_dir / "assignments.json").read_text())[chapter]["exercises"]]
    assert len(answers) == len(exercises)
    answers[exercises.index(number)].source = source
    return notebook


def test_every_chapter_has_a_wrong_answer_and_at_least_three_exercises(built):
    _, index = built
    assert index, "no chapter has graded exercises"
    assert set(index) == set(WRONG), "every chapter with exercises needs one wrong answer in WRONG (and only those)"
    for chapter, assignment in index.items():
        assert len(assignment["exercises"]) >= 3, f"{chapter}: at least three exercises"
        assert all(e["hidden_tests"] >= 1 and e["points"] > 0 for e in assignment["exercises"])


def test_the_student_version_holds_no_solution_and_no_hidden_test(built):
    out, index = built
    for chapter in index:
        student = (out / "student" / f"{chapter}.ipynb").read_text()
        assert "BEGIN SOLUTION" not in student and "exercise-hidden-test" not in student
        cases = [case for test in json.loads(student)["metadata"]["otter"]["tests"].values()
                 for suite in test["suites"] for case in suite["cases"]]
        assert cases and not any(case["hidden"] for case in cases), f"{chapter}: a hidden test leaked"
        code = [c for c in nbformat.reads(student, as_version=4).cells if c.cell_type == "code"]
        for exercise in classroom.read_assignment(ROOT / "chapters" / f"{chapter}.md").exercises:
            for test in exercise.hidden:
                assert not any(test.strip() in c.source for c in code), f"{chapter}: a hidden test of {exercise.number} leaked"
        assert "BEGIN SOLUTION" in (out / "instructor" / f"{chapter}.ipynb").read_text()


def test_the_cycle_full_marks_zero_and_a_wrong_answer_losing_exactly_its_points(built, tmp_path):
    out, index = built
    for chapter, (number, source) in WRONG.items():
        for who in ("instructor", "student", "wrong"):
            (tmp_path / who).mkdir(exist_ok=True)
        shutil.copy(out / "instructor" / f"{chapter}.ipynb", tmp_path / "instructor")
        shutil.copy(out / "student" / f"{chapter}.ipynb", tmp_path / "student")
        nbformat.write(_wrong(out, chapter, number, source), tmp_path / "wrong" / f"{chapter}.ipynb")
    rows = classroom.grade(tmp_path, out, timeout_s=300, jobs=2, echo=lambda *_: None)
    assert json.loads((tmp_path / "scores.json").read_text()) == rows
    assert (tmp_path / "scores.csv").read_text().splitlines()[0] == ",".join(classroom.SCORE_FIELDS)
    for chapter, (number, _) in WRONG.items():
        mine = {(r["student"], r["exercise"]): r for r in rows if r["chapter"] == chapter}
        for e in index[chapter]["exercises"]:
            full, zero = mine["instructor", e["number"]], mine["student", e["number"]]
            assert full["points"] == e["points"] and not full["failure"], (chapter, full)
            assert zero["points"] == 0 and zero["failure"], (chapter, zero)
            wrong = mine["wrong", e["number"]]
            assert wrong["points"] == (0 if e["number"] == number else e["points"]), (chapter, wrong)
        assert "Error" in mine["wrong", number]["failure"]


def _chapter(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "99_test.md"
    header = "".join((ROOT / "chapters" / "02_dct.md").read_text().partition("\n---\n")[:2])
    path.write_text(header + "\n# A test chapter\n\n## Exercises\n\n" + body)
    return path


SOLUTION = ("```{code-cell} ipython3\n:exercise: '9.1'\n:points: 2\n\ndef f(x):\n    # BEGIN SOLUTION\n"
            "    return x\n    # END SOLUTION\n```\n\n")
HIDDEN = "```{code-cell} ipython3\n:tags: [remove-cell, exercise-hidden-test]\n:exercise: '9.1'\n\nassert f(1) == 1\n```\n"


@pytest.mark.parametrize("body, message", [
    (SOLUTION, "exercise 9.1 has no hidden test"),
    (SOLUTION.replace(":points: 2\n", ""), "exercise 9.1 needs `:points:`"),
    (SOLUTION.replace(":points: 2", ":points: -1") + HIDDEN, "exercise 9.1 needs `:points:`"),
    (HIDDEN + SOLUTION, "a test of exercise 9.1 comes before its solution"),
    (SOLUTION.replace("    # BEGIN SOLUTION\n", "") + HIDDEN, "no # BEGIN SOLUTION"),
    ("```{code-cell} ipython3\nx = 1\n```\n\n" + SOLUTION + HIDDEN, "neither setup nor part of an exercise"),
])
def test_a_malformed_exercise_names_the_problem(tmp_path, body, message):
    with pytest.raises(classroom.AssignmentError, match="99_test.md") as info:
        classroom.read_assignment(_chapter(tmp_path, body))
    assert message in str(info.value)


def test_prompts_points_and_tests_are_read(tmp_path):
    body = ("```{code-cell} ipython3\n:tags: [exercise-setup]\n\nimport math\n```\n\n**Exercise 9.1 (2 points).** "
            "Return x.\n\n" + SOLUTION + HIDDEN)
    assignment = classroom.read_assignment(_chapter(tmp_path, body))
    assert assignment.title == "A test chapter" and assignment.setup == ["import math"]
    (e,) = assignment.exercises
    assert (e.number, e.points, e.name, e.tests, e.hidden) == ("9.1", 2.0, "ex9_1", [], ["assert f(1) == 1"])
    assert e.prompt.startswith("**Exercise 9.1 (2 points).**")
    assert classroom.read_assignment(_chapter(tmp_path, "No exercises here.\n")) is None


def test_the_grader_survives_a_hang_and_a_broken_file(built, tmp_path):
    out, index = built
    chapter = next(iter(index))
    notebook = nbformat.read(out / "student" / f"{chapter}.ipynb", as_version=4)
    notebook.cells.insert(2, nbformat.v4.new_code_cell("while True:\n    pass"))
    (tmp_path / "sleeper").mkdir()
    nbformat.write(notebook, tmp_path / "sleeper" / f"{chapter}.ipynb")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / f"{chapter}.ipynb").write_text("{not json")
    rows = classroom.grade(tmp_path, out, timeout_s=20, jobs=2, echo=lambda *_: None)
    failures = {r["student"]: r["failure"] for r in rows}
    assert failures["sleeper"] == "timed out after 20 s"
    assert failures["broken"].startswith("not a notebook")
    assert all(r["points"] == 0 for r in rows)


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "jpegtutor.cli", "assign", *args], capture_output=True, text=True, cwd=cwd)


def test_the_cli_errors_are_one_line(built, tmp_path):
    out, _ = built
    for args, message in [(["grade", str(tmp_path / "nowhere"), "--assignments", str(out)], "no submissions folder"),
                          (["grade", str(tmp_path)], "--assignments OUT"),
                          (["grade", str(tmp_path), "--assignments", str(tmp_path)], "holds no assignments"),
                          (["grade", str(tmp_path), "--assignments", str(out)], "expected STUDENT/CHAPTER.ipynb"),
                          (["build", str(tmp_path / "a"), "--chapters", "99_nothing"], "no graded exercises in 99_nothing")]:
        run = _cli(*args)
        assert run.returncode != 0 and message in run.stderr, (args, run.stderr)
        assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr, run.stderr


def test_the_assignments_cover_the_ready_chapters_in_book_order(built):
    _, index = built
    order = [c.file.split("/")[-1] for c in book.load_manifest(ROOT).ready]
    assert list(index) == [c for c in order if c in index]
