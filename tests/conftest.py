"""Shared fixtures. The suite never downloads (JPEGTUTOR_OFFLINE) and never draws progress bars."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("JPEGTUTOR_OFFLINE", "1")
os.environ.setdefault("JPEGTUTOR_PROGRESS", "0")
os.environ.setdefault("JPEGTUTOR_WIDGETS", "0")  # nbval: no live widgets (see jpegtutor.widgets)

REPO = Path(__file__).resolve().parents[1]


def _shared() -> Path | None:
    from jpegtutor.resources import shared_dirs

    found = shared_dirs()
    return found[0] if found else None


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared() -> Path:
    """``../shared`` beside the checkout; tests that need it are skipped (with the reason) without it."""
    path = _shared()
    if path is None:
        pytest.skip("../shared (datasets and ImageNet weights) is not beside this checkout")
    return path


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No data or weights anywhere: empty env folders, a working directory with nothing around it,
    and the shared-folder search switched off."""
    import jpegtutor.datasets
    import jpegtutor.metrics.lpips_network
    import jpegtutor.resources

    monkeypatch.setenv("JPEGTUTOR_DATA", str(tmp_path / "data-env"))
    monkeypatch.setenv("JPEGTUTOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("JPEGTUTOR_WEIGHTS", str(tmp_path / "weights-env"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.setattr(jpegtutor.resources, "shared_dirs", lambda: [])
    monkeypatch.setattr(jpegtutor.datasets, "shared_dirs", lambda: [])
    monkeypatch.setattr(jpegtutor.metrics.lpips_network, "shared_dirs", lambda: [])
    monkeypatch.setattr(jpegtutor.datasets, "repo_root", lambda: None)
    monkeypatch.chdir(tmp_path)
    return tmp_path
