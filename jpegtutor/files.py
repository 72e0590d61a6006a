"""Writing files so that a crash never leaves a half-written one: temp file in the same folder, fsync, rename.

Every file the package writes that someone later trusts (JPEGs, results JSON, weights and their
cards) goes through :func:`write_bytes`; ``torch`` objects through
``write_with(path, lambda handle: torch.save(obj, handle))``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

__all__ = ["write_bytes", "write_json", "write_text", "write_with"]


def write_with(path: str | os.PathLike, writer: Callable[[object], None]) -> Path:
    """Call ``writer(binary file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    for folder in [path.parent, *path.parent.parents]:
        if folder.exists():
            if not folder.is_dir():
                raise NotADirectoryError(f"cannot write {path}: {folder} is a file, not a folder")
            break
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            writer(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return write_with(path, lambda handle: handle.write(data))


def write_text(path: str | os.PathLike, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, obj) -> Path:
    """``obj`` as indented JSON (one trailing newline), atomically."""
    return write_text(path, json.dumps(obj, indent=1) + "\n")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
