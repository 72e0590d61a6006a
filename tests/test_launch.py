"""The launch paths, as far as they can be tried offline: Colab's setup cell and Binder's postBuild,
each in a fresh virtual environment built from a copy of the repository, then a chapter executed there.

The fresh environment sees the dependencies already installed here (a folder of links to them,
without jpegtutor itself), so nothing is downloaded; jpegtutor comes only from what the launch path
installs: a locally built wheel (Colab) or the copy of the repository (Binder)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import nbformat
import pytest

from jpegtutor import book

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "chapters/02_dct"

RUN = """
import sys, nbformat, nbclient
path = sys.argv[1]
notebook = nbformat.read(path, as_version=4)
nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[2]}}).execute()
nbformat.write(notebook, sys.argv[3])
"""


def _copy_repository(target: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.splitlines()
    for name in files:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _fresh_environment(where: Path) -> Path:
    """A new venv whose site-packages links to every installed dependency except jpegtutor."""
    venv.EnvBuilder(with_pip=False).create(where)
    python = where / "bin" / "python"
    purelib = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    deps = where / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not (entry.name.startswith(("jpegtutor", "__editable__")) or entry.suffix == ".pth"):
            (deps / entry.name).symlink_to(entry)
    (purelib / "deps.pth").write_text(f"{deps}\n")
    assert subprocess.run([python, "-c", "import jpegtutor"], capture_output=True, cwd=where).returncode != 0
    return python


def _execute(python: Path, repo: Path, env: dict) -> nbformat.NotebookNode:
    out = repo / "executed.ipynb"
    run = subprocess.run([python, "-c", RUN, str(repo / f"{CHAPTER}.ipynb"), str(repo / "chapters"), str(out)],
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    return nbformat.read(out, as_version=4)


def _environment(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JPEGTUTOR_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env.update({k: v for k, v in book.EXECUTION_ENV.items() if k != "JPEGTUTOR_PROFILE"}, MPLBACKEND="Agg")
    env.update(extra)
    return env


def _errors(notebook) -> list[str]:
    return [o.get("ename", "") + ": " + o.get("evalue", "") for c in notebook.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    return _copy_repository(tmp_path_factory.mktemp("repository"))


def test_every_chapter_launches_from_the_repository_in_book_toml(copy):
    manifest = book.load_manifest(copy)
    for chapter in manifest.ready:
        badges, setup = book.launch_cells(manifest, chapter.file)
        assert manifest.repository.removeprefix("https://github.com/") in badges and manifest.repository in setup
        text = chapter.md(copy).read_text()
        assert badges in text and setup in text, f"{chapter.file}: run jpegtutor book sync"


def test_the_colab_setup_cell_installs_a_wheel_in_a_fresh_environment_and_a_chapter_runs(copy, tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "-w", str(wheels), str(copy)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("jpegtutor-*.whl")
    python = _fresh_environment(tmp_path / "colab")
    env = _environment(JPEGTUTOR_SETUP="1", JPEGTUTOR_HOME=str(copy), JPEGTUTOR_PACKAGE=str(wheel))
    notebook = _execute(python, copy, env)
    assert not _errors(notebook), _errors(notebook)
    setup_output = "".join(o.get("text", "") for o in notebook.cells[1].outputs)
    assert "jpegtutor installed; no GPU: the quick profile" in setup_output
    where = subprocess.run([python, "-c", "import jpegtutor; print(jpegtutor.__file__)"], capture_output=True,
                           text=True, check=True, cwd=tmp_path).stdout
    assert where.startswith(str(tmp_path / "colab")), where
    assert all(c.execution_count for c in notebook.cells if c.cell_type == "code" and c.source.strip())


def test_binder_postbuild_installs_the_repository_and_a_chapter_runs(copy, tmp_path):
    python = _fresh_environment(tmp_path / "binder")
    env = _environment(PATH=f"{python.parent}{os.pathsep}{os.environ['PATH']}")
    run = subprocess.run(["bash", "postBuild"], cwd=copy, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    notebook = _execute(python, copy, env)
    assert not _errors(notebook), _errors(notebook)
    assert "".join(o.get("text", "") for o in notebook.cells[1].get("outputs", [])) == "", "setup runs only on Colab"
