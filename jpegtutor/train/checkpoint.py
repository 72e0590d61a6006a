"""Checkpoints: atomic writes, ``weights_only`` loads, every random state, and clear errors.

A checkpoint is a plain dict of tensors and Python values (``torch.save``), written to a temporary
file, flushed to disk and renamed into place, so that a crash or a kill never leaves a half-written
checkpoint under the real name. The trainer keeps the newest two; :func:`latest_checkpoint` skips
(and names) any that fail to load, so a corrupted newest checkpoint falls back to the previous good one.
"""

from __future__ import annotations

import os
import random
import warnings
from pathlib import Path

import numpy as np
import torch

from ..files import write_with

__all__ = ["CheckpointError", "latest_checkpoint", "load_checkpoint", "rng_state", "save_checkpoint", "set_rng_state"]

FORMAT = "jpegtutor-checkpoint-1"
REQUIRED = ("format", "step", "model", "optimizer", "rng")


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, truncated, corrupt, or not a jpegtutor checkpoint."""


def rng_state() -> dict:
    """Python's, NumPy's and torch's (CPU and every CUDA device) generator states, as tensors and
    plain values that ``torch.load(weights_only=True)`` accepts."""
    version, state, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    out = {"python": [version, torch.tensor(state, dtype=torch.int64), gauss],
           "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)],
           "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        out["cuda"] = torch.cuda.get_rng_state_all()
    return out


def set_rng_state(state: dict) -> None:
    """Restore what :func:`rng_state` captured."""
    version, python_state, gauss = state["python"]
    random.setstate((version, tuple(int(v) for v in python_state.tolist()), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | os.PathLike, state: dict) -> Path:
    """Write ``state`` (a dict with at least step, model, optimizer, rng) atomically to ``path``."""
    path = Path(path)
    missing = [k for k in REQUIRED if k != "format" and k not in state]
    if missing:
        raise ValueError(f"a checkpoint needs {missing}")
    return write_with(path, lambda handle: torch.save({"format": FORMAT, **state}, handle))


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Load a checkpoint with ``weights_only=True``; a ``CheckpointError`` names the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, bad pickle, random bytes: all mean "unusable"
        raise CheckpointError(f"checkpoint {path} is corrupt or truncated ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a jpegtutor checkpoint (format {FORMAT!r} expected)")
    missing = [k for k in REQUIRED if k not in state]
    if missing:
        raise CheckpointError(f"checkpoint {path} lacks {missing}")
    return state


def latest_checkpoint(folder: str | os.PathLike) -> tuple[Path, dict] | None:
    """The newest loadable ``step-*.pt`` in ``folder`` and its state; unloadable ones are skipped with a
    warning naming them (they stay on disk for inspection). ``None`` when there is none."""
    candidates = sorted(Path(folder).glob("step-*.pt"), key=lambda p: int(p.stem.split("-")[1]), reverse=True)
    for path in candidates:
        try:
            return path, load_checkpoint(path)
        except CheckpointError as exc:
            warnings.warn(f"skipping {exc}; falling back to the previous checkpoint", stacklevel=2)
    return None
