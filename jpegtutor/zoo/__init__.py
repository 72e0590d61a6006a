"""Shipped weights: one manifest (name -> file, SHA-256, card) and one way to load them.

    from jpegtutor import zoo
    state = zoo.load_state("talebi")     # a state dict, loaded with weights_only=True
    zoo.card("talebi")                   # how it was trained (command, data, steps, time)

Small files ship as package data in ``zoo/weights/`` (so a normal ``pip install`` works offline);
an entry with a ``url`` is downloaded once into the user cache and checked against its SHA-256.
Models know nothing about files or URLs: they ask the zoo by name. The SHA-256 lives in
``manifest.json``, never in source; :func:`ship` (used by the experiments) updates it.

This module is part of the core layer (it imports only ``resources`` and ``files``), because the
metrics and rate layers load their own small weights through it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..files import write_json, write_with
from ..resources import ResourceNotFoundError, cache_dir, download, offline, sha256_file

__all__ = ["MANIFEST_PATH", "WEIGHTS_DIR", "WeightsError", "card", "load_state", "manifest", "path", "ship"]

ZOO_DIR = Path(__file__).resolve().parent
WEIGHTS_DIR = ZOO_DIR / "weights"
MANIFEST_PATH = ZOO_DIR / "manifest.json"
_VERIFIED: set = set()


class WeightsError(ValueError):
    """A weights file is missing its entry, fails its checksum, or is not a state dict."""


def manifest() -> dict:
    """``{name: {"file", "sha256", "card", "description"[, "url"]}}``."""
    return json.loads(MANIFEST_PATH.read_text())


def _entry(name: str) -> dict:
    entries = manifest()
    if name not in entries:
        raise ValueError(f"no shipped weights named {name!r}; the zoo has: {', '.join(sorted(entries))}")
    return entries[name]


def path(name: str) -> Path:
    """The verified file of the weights ``name``: package data, else the cache, else a download (``url``)."""
    entry = _entry(name)
    places = [WEIGHTS_DIR / entry["file"], cache_dir() / "weights" / entry["file"]]
    found = next((p for p in places if p.is_file()), None)
    if found is None:
        if not entry.get("url"):
            raise ResourceNotFoundError(f"the weights {name!r} ({entry['file']}) are missing from {WEIGHTS_DIR}; "
                                        "reinstall jpegtutor, or retrain them with the experiment named in data/README.md")
        if offline():
            raise ResourceNotFoundError(f"the weights {name!r} are not in {places[-1]} and JPEGTUTOR_OFFLINE is set; "
                                        f"download {entry['url']} there")
        found = download(entry["url"], places[-1], sha256=entry["sha256"], desc=entry["file"])
    key = (str(found), found.stat().st_mtime_ns)
    if key not in _VERIFIED:
        actual = sha256_file(found)
        if actual != entry["sha256"]:
            raise WeightsError(f"{found} does not match the manifest's SHA-256 for {name!r} "
                               f"(expected {entry['sha256'][:12]}..., got {actual[:12]}...); reinstall jpegtutor")
        _VERIFIED.add(key)
    return found


def load_state(name: str | None = None, file: str | os.PathLike | None = None) -> dict:
    """A state dict: the shipped weights ``name``, or any ``file`` (a checkpoint you trained), loaded
    on the CPU with ``weights_only=True``. A missing, truncated or foreign file raises a clear error."""
    import torch

    if file is not None:
        source = Path(file).expanduser()
        if source.is_dir():
            raise IsADirectoryError(f"{source} is a folder, not a checkpoint file")
        if not source.is_file():
            raise FileNotFoundError(f"no checkpoint at {source}")
    else:
        source = path(name)
    try:
        state = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated, not a torch file, or unsafe pickle
        raise WeightsError(f"{source} is not a readable checkpoint: {exc}") from exc
    if not isinstance(state, dict) or not state:
        raise WeightsError(f"{source} does not hold a state dict")
    return state


def card(name: str) -> dict:
    """The card of the weights ``name`` (training command, data, steps, time, results), or ``{}``."""
    entry = _entry(name)
    return json.loads((WEIGHTS_DIR / entry["card"]).read_text()) if entry.get("card") else {}


def ship(name: str, weights: str | os.PathLike, card: dict, description: str | None = None) -> Path:
    """Copy a trained ``weights`` file into the package as ``name`` with its ``card`` (SHA-256 added)
    and update the manifest. For the experiments that train shipped weights; never edits source."""
    weights = Path(weights)
    entries = manifest()
    entry = dict(entries.get(name, {}))
    entry.update(file=f"{name}.pt", card=f"{name}.json", sha256=sha256_file(weights))
    entry["description"] = description or entry.get("description", name)
    target = WEIGHTS_DIR / entry["file"]
    if weights.resolve() != target.resolve():
        with open(weights, "rb") as source:
            write_with(target, lambda handle: shutil.copyfileobj(source, handle))
    write_json(WEIGHTS_DIR / entry["card"], {**card, "sha256": entry["sha256"]})
    entries[name] = entry
    write_json(MANIFEST_PATH, entries)
    _VERIFIED.clear()
    return target
