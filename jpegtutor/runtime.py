"""Where and how code runs: device choice, seeding, determinism, the quick/full profile, progress bars.

Environment variables (all optional):

- ``JPEGTUTOR_DEVICE``: ``cpu``, ``cuda``, ``cuda:1``, ``mps``... overrides the automatic choice.
- ``JPEGTUTOR_PROFILE``: ``quick`` (small crops, few steps; the default without a GPU) or ``full``
  (paper-scale runs; the default with a CUDA GPU).
- ``JPEGTUTOR_PROGRESS``: ``0`` turns every progress bar of the package off (notebook validation
  sets it, because progress bars write to stderr and nbval compares stderr).
"""

from __future__ import annotations

import os
import random
from typing import Iterable, TypeVar

import numpy as np
import torch

__all__ = [
    "PROFILES",
    "by_profile",
    "device",
    "profile",
    "progress",
    "progress_enabled",
    "seed_everything",
    "set_deterministic",
]

PROFILES = ("quick", "full")
T = TypeVar("T")


def device(prefer: str | None = None) -> torch.device:
    """The device to compute on.

    Order: the ``prefer`` argument, then ``$JPEGTUTOR_DEVICE``, then CUDA, Apple MPS, CPU.
    An explicitly requested device that is not available raises ``RuntimeError`` saying why,
    instead of failing later inside a kernel.
    """
    name = prefer or os.environ.get("JPEGTUTOR_DEVICE", "").strip()
    if name:
        try:
            dev = torch.device(name)
        except RuntimeError as exc:
            raise ValueError(
                f"device {name!r} is not a device name; use 'cpu', 'cuda', 'cuda:N' or 'mps'"
            ) from exc
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {name!r} was requested but CUDA is not available here")
        if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
            raise RuntimeError(
                f"device {name!r} was requested but only {torch.cuda.device_count()} CUDA device(s) exist"
            )
        if dev.type == "mps" and not _mps_available():
            raise RuntimeError(f"device {name!r} was requested but Apple MPS is not available here")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def profile() -> str:
    """The run profile: ``"quick"`` or ``"full"``.

    ``$JPEGTUTOR_PROFILE`` wins; without it, ``"full"`` when a CUDA GPU is present, else ``"quick"``.
    """
    name = os.environ.get("JPEGTUTOR_PROFILE", "").strip().lower()
    if name:
        if name not in PROFILES:
            raise ValueError(f"JPEGTUTOR_PROFILE={name!r} is not a profile; use one of {PROFILES}")
        return name
    return "full" if torch.cuda.is_available() else "quick"


def by_profile(quick: T, full: T) -> T:
    """Pick a setting by profile: ``steps = by_profile(quick=50, full=20_000)``."""
    return quick if profile() == "quick" else full


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's, NumPy's and torch's global generators (CPU and every GPU).

    Returns a fresh CPU ``torch.Generator`` seeded with ``seed``, for the functions of this
    package that take a ``generator`` argument.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= int(seed) < 2**63:
        raise ValueError(f"seed must be in [0, 2**63), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


def set_deterministic(enabled: bool = True) -> None:
    """Ask torch for deterministic kernels (bit-reproducible runs, possibly slower).

    Sets ``torch.use_deterministic_algorithms``, cuDNN's deterministic/benchmark flags, and
    ``CUBLAS_WORKSPACE_CONFIG`` (needed by deterministic cuBLAS; it must be set before the first
    CUDA call to take effect).
    """
    if enabled:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(enabled, warn_only=False)
    torch.backends.cudnn.deterministic = enabled
    torch.backends.cudnn.benchmark = not enabled


def progress_enabled() -> bool:
    """False when ``$JPEGTUTOR_PROGRESS`` is ``0``/``false``/``off`` (or ``TQDM_DISABLE`` is set)."""
    flag = os.environ.get("JPEGTUTOR_PROGRESS", "1").strip().lower()
    if flag in ("0", "false", "off", "no"):
        return False
    return os.environ.get("TQDM_DISABLE", "").strip().lower() not in ("1", "true")


def progress(iterable: Iterable[T], *, desc: str | None = None, total: int | None = None,
             disable: bool | None = None, **kwargs):
    """A tqdm progress bar (a widget in notebooks, text in a terminal) that honours the off switch.

    ``tqdm.auto`` ignores ``TQDM_DISABLE``, so every bar of the package goes through here and
    passes ``disable=`` explicitly. Returns the tqdm object (iterate it; ``set_postfix`` works).
    """
    from tqdm.auto import tqdm

    if disable is None:
        disable = not progress_enabled()
    return tqdm(iterable, desc=desc, total=total, disable=disable, **kwargs)
