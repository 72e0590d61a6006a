"""Installation promises: no torchvision, a torch pin the local CPU wheel satisfies, Binder in step."""

import re
import subprocess
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import yaml
from packaging.requirements import Requirement
from packaging.version import Version


def test_package_never_imports_torchvision(repo):
    offenders = [str(p) for p in (repo / "jpegtutor").rglob("*.py")
                 if re.search(r"^\s*(import|from)\s+torchvision", p.read_text(), re.M)]
    assert offenders == []
    code = "import sys, jpegtutor.metrics, jpegtutor.datasets, jpegtutor.book, jpegtutor.cli; print('torchvision' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_torch_pin_accepts_the_local_cpu_wheel(repo):
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    torch_req = next(Requirement(r) for r in project["dependencies"] if r.startswith("torch"))
    assert torch_req.specifier.contains(Version("2.13.0+cpu"), prereleases=False)
    assert torch_req.specifier.contains(Version("2.13.0"))
    # an upper bound, so a fresh resolve never jumps to a newer CUDA build here
    assert not torch_req.specifier.contains(Version("3.0"))
    everything = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    assert not any(Requirement(r).name == "torchvision" for r in everything if not r.startswith("jpegtutor"))
    assert project["scripts"]["jpegtutor"] == "jpegtutor.cli:main"


def test_binder_environment_has_every_runtime_dependency(repo):
    env = yaml.safe_load((repo / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    conda = {re.split(r"[<>=!\s]", d)[0] for d in env["dependencies"] if isinstance(d, str)}
    pip = {re.split(r"[<>=!\s\[]", d)[0] for d in next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))}
    names = conda | pip | {"torch" if "pytorch-cpu" in conda else ""}
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"] + project["optional-dependencies"]["book"]:
        req = Requirement(requirement)
        if req.marker is not None and not req.marker.evaluate():
            continue
        assert req.name in names, f"{req.name} is in pyproject.toml but not in environment.yml"
    assert "torchvision" not in names and "pytorch" not in conda
    assert (repo / "postBuild").read_text().count("pip install") == 1


def test_readme_shows_exactly_two_setup_commands(repo):
    readme = (repo / "README.md").read_text()
    block = readme.split("## Two commands", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip().startswith("make")]
    assert commands == ["make book", "make test"]
    assert "make test" in (repo / ".ci" / "run").read_text()


def test_a_normal_install_outside_the_repository_runs_the_shipped_editor_offline(repo, tmp_path):
    """``pip install .`` (not editable) into a folder away from the checkout: the shipped weights are
    package data, so ``jpegtutor preedit talebi`` works offline, and so does ``jpegtutor methods``."""
    import os

    target = tmp_path / "site"
    build = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                            "--target", str(target), str(repo)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    assert (target / "jpegtutor" / "zoo" / "weights" / "talebi.pt").is_file()
    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "JPEGTUTOR_OFFLINE": "1", "JPEGTUTOR_CACHE": str(tmp_path / "cache")}
    where = subprocess.run([sys.executable, "-c", "import jpegtutor; print(jpegtutor.__file__)"], capture_output=True,
                           text=True, cwd=away, env=env)
    assert where.stdout.strip().startswith(str(target)), where.stdout + where.stderr  # the installed copy, not the checkout
    sample = next((repo / "jpegtutor" / "samples").glob("*.png"))
    run = subprocess.run([sys.executable, "-m", "jpegtutor.cli", "preedit", "talebi", str(sample), "out.jpg", "--quality", "15",
                          "--no-lpips", "--json"], capture_output=True, text=True, cwd=away, env=env)
    assert run.returncode == 0, run.stderr
    assert "bpp" in run.stdout and (away / "out.jpg").read_bytes()[:2] == b"\xff\xd8"
