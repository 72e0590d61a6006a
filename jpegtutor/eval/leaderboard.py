"""The leaderboard: one entry per (method, dataset, subsampling), pointing at its results file."""

from __future__ import annotations

import json
from pathlib import Path

from ..files import write_json

__all__ = ["update_leaderboard"]


def update_leaderboard(result: dict, path: str | Path, results_file: str | None = None) -> dict:
    """Add or replace ``result``'s entry (method, dataset, subsampling) in the leaderboard JSON at ``path``."""
    path = Path(path)
    board = json.loads(path.read_text()) if path.is_file() else {"entries": []}
    key = (result["method"], result["dataset"], result["subsampling"])
    board["entries"] = [e for e in board["entries"] if (e["method"], e["dataset"], e["subsampling"]) != key]
    low, high = result["points"][0], result["points"][-1]
    board["entries"].append({"method": result["method"], "dataset": result["dataset"], "subsampling": result["subsampling"],
                             "encoder_settings": result.get("encoder_settings"), "baseline": result.get("baseline"),
                             "bd_rate_percent": result.get("bd_rate_percent", {}),
                             "bd_rate_percent_by_range": result.get("bd_rate_percent_by_range", {}),
                             "bpp_range": [low["bpp"], high["bpp"]], "results_file": results_file})
    board["entries"].sort(key=lambda e: (e["dataset"], e["subsampling"], e["method"]))
    write_json(path, board)
    return board
