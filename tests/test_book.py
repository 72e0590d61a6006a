"""The manifest is the single source of truth: `jpegtutor book check` must catch every drift."""

import json
import shutil
import subprocess
import sys

import pytest

from jpegtutor import book


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "jpegtutor.cli", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def copy(repo, tmp_path):
    """A copy of the book's files, to break on purpose."""
    dest = tmp_path / "book"
    dest.mkdir()
    for name in ("book.toml", "_toc.yml", "_config.yml"):
        shutil.copy(repo / name, dest / name)
    shutil.copytree(repo / "chapters", dest / "chapters",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_build"))
    return dest


def check(root):
    result = run_cli("book", "check", "--root", str(root))
    return result.returncode, result.stdout + result.stderr


def test_the_repository_passes(repo):
    code, output = check(repo)
    assert code == 0, output
    assert "book check passed" in output


def test_the_copy_passes_before_we_break_it(copy):
    code, output = check(copy)
    assert code == 0, output


def test_invalid_gpu_value_is_named(copy):
    text = (copy / "book.toml").read_text().replace('gpu = "none"', 'gpu = "sometimes"', 1)
    (copy / "book.toml").write_text(text)
    code, output = check(copy)
    assert code != 0
    assert "gpu must be one of" in output and "sometimes" in output


def test_missing_field_and_bad_toml_are_named(copy):
    text = (copy / "book.toml").read_text()
    (copy / "book.toml").write_text(text.replace("cpu_budget_s = 120\n", "", 1))
    code, output = check(copy)
    assert code != 0 and "missing field 'cpu_budget_s'" in output
    (copy / "book.toml").write_text(text + "\n[[part\n")
    code, output = check(copy)
    assert code != 0 and "not valid TOML" in output


def test_manifest_change_without_sync_is_caught_and_sync_fixes_it(copy):
    text = (copy / "book.toml").read_text().replace('title = "jpegtutor"', 'title = "jpegtutor 2"')
    (copy / "book.toml").write_text(text)
    code, output = check(copy)
    assert code != 0 and "_config.yml differs" in output and "jpegtutor 2" in output
    assert run_cli("book", "sync", "--root", str(copy)).returncode == 0
    assert check(copy)[0] == 0


def test_hand_edited_toc_is_caught(copy):
    (copy / "_toc.yml").write_text((copy / "_toc.yml").read_text() + "# my edit\n")
    code, output = check(copy)
    assert code != 0 and "_toc.yml differs" in output


def test_listed_chapter_without_files_is_caught(copy):
    (copy / "chapters" / "00_preface.ipynb").unlink()
    code, output = check(copy)
    assert code != 0 and "00_preface.ipynb is missing" in output


def test_unlisted_chapter_file_is_caught(copy):
    shutil.copy(copy / "chapters" / "00_preface.md", copy / "chapters" / "99_extra.md")
    code, output = check(copy)
    assert code != 0 and "chapters/99_extra.md is not listed in book.toml" in output


def test_planned_chapter_with_files_is_caught(copy):
    planned = next(c for c in book.load_manifest(copy).chapters if not c.ready)
    stem = planned.file.split("/")[-1]
    shutil.copy(copy / "chapters" / "00_preface.md", copy / "chapters" / f"{stem}.md")
    code, output = check(copy)
    assert code != 0 and f"{stem}.md exists but its chapter is 'planned'" in output


def test_md_and_ipynb_disagreeing_is_caught(copy):
    md = copy / "chapters" / "00_preface.md"
    md.write_text(md.read_text().replace("qualities = [5, 20, 50]", "qualities = [5, 25, 50]"))
    code, output = check(copy)
    assert code != 0 and "disagree at cell" in output and "make notebooks" in output


def test_unexecuted_notebook_is_caught(copy):
    nb_path = copy / "chapters" / "00_preface.ipynb"
    notebook = json.loads(nb_path.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["execution_count"] = None
    nb_path.write_text(json.dumps(notebook))
    code, output = check(copy)
    assert code != 0 and "no execution_count" in output


def test_a_solution_shown_on_the_website_is_caught(copy):
    nb_path = copy / "chapters" / "02_dct.ipynb"
    notebook = json.loads(nb_path.read_text())
    solutions = [c for c in notebook["cells"] if "# BEGIN SOLUTION" in "".join(c["source"])]
    assert solutions and all("hide-cell" in c["metadata"].get("tags", []) for c in solutions)
    solutions[0]["metadata"]["tags"].remove("hide-cell")
    nb_path.write_text(json.dumps(notebook))
    code, output = check(copy)
    assert code != 0 and "would show on the website" in output and "hide-cell" in output


def test_generated_toc_follows_the_manifest(repo):
    manifest = book.load_manifest(repo)
    toc = book.render_toc(manifest)
    assert toc.startswith(book.GENERATED_HEADER)
    assert f"root: {manifest.ready[0].file}" in toc
    for chapter in manifest.chapters:
        assert (chapter.file in toc) == chapter.ready
    config = book.render_config(manifest)
    assert "colab_url: https://colab.research.google.com" in config
    assert "binderhub_url: https://mybinder.org" in config
    assert "execute_notebooks: 'off'" in config and "chapters/*.md" in config


def test_chapter_table_lists_every_chapter(repo):
    table = book.chapter_table(repo)
    manifest = book.load_manifest(repo)
    for chapter in manifest.chapters:
        assert chapter.title in table
    assert table.count("\n") == len(manifest.chapters) + 1


def test_notebook_list_is_the_ready_chapters(repo):
    result = run_cli("book", "list", cwd=repo)
    assert result.returncode == 0
    listed = result.stdout.split()
    assert listed == [f"{c.file}.ipynb" for c in book.load_manifest(repo).ready]


def test_stale_chapter_map_is_caught(copy):
    """The preface shows the chapter map; promoting a chapter without re-executing it is drift."""
    text = (copy / "book.toml").read_text()
    planned = next(c for c in book.load_manifest(copy).chapters if not c.ready)
    (copy / "book.toml").write_text(text.replace(f'title = "{planned.title}"', f'title = "{planned.title} (renamed)"'))
    assert run_cli("book", "sync", "--root", str(copy)).returncode == 0
    code, output = check(copy)
    assert code != 0 and "chapter map is out of date" in output
