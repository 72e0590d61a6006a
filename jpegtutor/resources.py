"""Finding data and weight files on disk, and downloading them with a checksum.

Search order (DESIGN.md): an explicit path, an environment variable, the repository's own folder,
``../shared/`` beside the checkout (found automatically), a user cache, and only then a download
from the canonical URL, verified with SHA-256. Downloads never happen when ``$JPEGTUTOR_OFFLINE``
is set (the test-suite sets it), so nothing in tests or CI touches the network.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

__all__ = [
    "ResourceNotFoundError",
    "cache_dir",
    "download",
    "load_result",
    "offline",
    "repo_root",
    "sha256_file",
    "shared_dirs",
]

PACKAGE_DIR = Path(__file__).resolve().parent


class ResourceNotFoundError(FileNotFoundError):
    """A dataset or weight file was not found; the message lists every place searched."""


def repo_root() -> Path | None:
    """The checkout this package was imported from (the folder holding ``book.toml``), if any."""
    root = PACKAGE_DIR.parent
    return root if (root / "book.toml").is_file() else None


def load_result(name: str) -> dict:
    """A committed JSON results file ``data/results/<name>`` (written by the command named in the
    chapter that reads it; see ``data/README.md``), found in the checkout this package runs from, or
    in ``data/results`` of the working directory or one of its parents (a clone next to a
    non-editable install, as on Colab, where the notebook runs in ``chapters/``)."""
    import json

    places = [root / "data" / "results" / name for root in [repo_root()] if root is not None]
    here = Path.cwd().resolve()
    places += [folder / "data" / "results" / name for folder in [here, *list(here.parents)[:3]]]
    for path in places:
        if path.is_file():
            return json.loads(path.read_text())
    raise ResourceNotFoundError(f"results file {name!r} not found; looked in " + ", ".join(str(p.parent) for p in places)
                                + ". It ships with the book's repository (git clone it and run from there); "
                                "data/README.md names the command that writes it")


def shared_dirs() -> list[Path]:
    """Existing ``shared/`` folders beside the checkout or beside the working directory or its parents.

    This is how ``../shared/data`` and ``../shared/weights`` are found without configuration,
    whether code runs from the repository root, from ``chapters/`` or from a test's temp folder.
    """
    found: list[Path] = []
    for start in (PACKAGE_DIR.parent, Path.cwd().resolve()):
        for folder in [start, *list(start.parents)[:4]]:
            candidate = folder / "shared"
            if candidate not in found and ((candidate / "data").is_dir() or (candidate / "weights").is_dir()):
                found.append(candidate)
    return found


def cache_dir() -> Path:
    """Where downloads go: ``$JPEGTUTOR_CACHE``, else ``$XDG_CACHE_HOME/jpegtutor``, else ``~/.cache/jpegtutor``."""
    if os.environ.get("JPEGTUTOR_CACHE"):
        return Path(os.environ["JPEGTUTOR_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "jpegtutor"


def offline() -> bool:
    """True when ``$JPEGTUTOR_OFFLINE`` is set to anything but ``0``: downloads are refused."""
    return os.environ.get("JPEGTUTOR_OFFLINE", "0").strip().lower() not in ("", "0", "false", "no")


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, dest: str | os.PathLike, *, sha256: str | None = None,
             sha256_prefix: str | None = None, desc: str | None = None) -> Path:
    """Download ``url`` to ``dest`` atomically and verify its SHA-256 (full or a prefix).

    The file is written to a temporary name in the destination folder and renamed only when the
    checksum matches, so an interrupted or corrupted download never leaves a file that looks
    complete. Raises ``ValueError`` on a checksum mismatch and ``ConnectionError`` when the
    download fails or ``$JPEGTUTOR_OFFLINE`` is set.
    """
    from .runtime import progress

    dest = Path(dest)
    if offline():
        raise ConnectionError(f"refusing to download {url}: JPEGTUTOR_OFFLINE is set")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        try:
            with urllib.request.urlopen(url, timeout=60) as response, os.fdopen(fd, "wb") as out:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                bar = progress(None, total=total, desc=desc or dest.name, unit="B", unit_scale=True)
                while block := response.read(1 << 16):
                    out.write(block)
                    bar.update(len(block))
                bar.close()
        except OSError as exc:
            raise ConnectionError(f"could not download {url}: {exc}") from exc
        actual = sha256_file(tmp)
        if sha256 is not None and actual != sha256.lower():
            raise ValueError(f"checksum mismatch for {url}: expected sha256 {sha256}, got {actual}")
        if sha256_prefix is not None and not actual.startswith(sha256_prefix.lower()):
            raise ValueError(
                f"checksum mismatch for {url}: expected sha256 starting {sha256_prefix}, got {actual}"
            )
        shutil.move(str(tmp), dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest
