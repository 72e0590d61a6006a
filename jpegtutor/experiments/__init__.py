"""The scripts that write ``data/results/`` and the shipped weights: ``python -m jpegtutor.experiments.<name> <action>``.

Nothing in the package imports them (``tests/test_layers.py`` checks). Each writes through
:func:`write_result`, which records the command that produced the file, and ships weights through
:func:`jpegtutor.zoo.ship` (the SHA-256 goes to the manifest; no script edits source).

| module | writes |
|---|---|
| ``classical`` | the classical encoders' RD results on Kodak/LIVE1 and the leaderboard (chapter 08) |
| ``rate_proxies`` | the learned rate proxies (zoo ``rate-density``, ``rate-network``) and ``rate_proxies.json`` (chapter 07) |
| ``noref`` | the no-reference quality model (zoo ``noref``) and ``noref_quality.json`` (chapter 09) |
| ``decoder_fuzz`` | our decoder against libjpeg on damaged files, ``decoder_fuzz.json`` |
| ``codec`` | the codec's byte/pixel identity sweep and its speed beside Pillow |
| ``talebi`` | Talebi et al.'s editor (zoo ``talebi``), its evaluation, ablation and per-image study (chapter 09) |
| ``ye`` | Ye et al.'s preprocessor (zoo ``ye``, ``ye-msssim``, ``ye-lpips``), its parts, ablations and per-image study (chapter 11) |
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from ..files import write_json
from ..resources import repo_root

__all__ = ["RESULTS", "command_line", "write_result"]

RESULTS = (repo_root() or Path.cwd()) / "data" / "results"


def command_line() -> str:
    """The command that is running, as a user would type it (``python -m jpegtutor.experiments.x ...``)."""
    module = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else "?"
    prefix = f"python -m jpegtutor.experiments.{module}" if module not in ("-c", "?") else "python"
    return " ".join([prefix, *map(shlex.quote, sys.argv[1:])])


def write_result(name: str | Path, result: dict, command: str | None = None, echo=print) -> Path:
    """Write ``result`` (plus ``"command"``) to ``data/results/<name>`` atomically; return the path."""
    path = Path(name) if Path(name).is_absolute() else RESULTS / name
    write_json(path, {**result, "command": command or result.get("command") or command_line()})
    echo(f"wrote {path}")
    return path
