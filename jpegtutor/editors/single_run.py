"""One trainer run of a one-stage editor recipe, with its weights file and its card (Ye, Huang & Yen).

    card = run_recipe("ye", build, OPTIONS, PROFILES, out, profile, settings=..., max_steps=..., ...)

writes ``out/<name>.pt`` (the final weights) and ``out/<name>.json`` (the card: options, settings,
the last logged terms, wall time, the command that reproduces it) beside the trainer's own files.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from ..files import write_json, write_with
from ..runtime import seed_everything
from ..train import Trainer, TrainConfig

__all__ = ["run_recipe"]


def run_recipe(name: str, build, defaults: dict, profiles: dict, out, profile: str = "quick", max_steps: int | None = None,
               seed: int | None = None, resume: bool = False, echo=print, overwrite: bool = False, fixed: dict | None = None,
               **settings) -> dict:
    """Train ``build(**options)`` (options: ``defaults`` updated from ``settings``); the rest of
    ``settings`` and ``fixed`` are TrainConfig fields over ``profiles[profile]``. Returns the card."""
    if profile not in profiles:
        raise ValueError(f"profile must be one of {sorted(profiles)} for {name}, got {profile!r}")
    options = {k: settings.pop(k, v) for k, v in defaults.items()}
    config = {**profiles[profile], **(fixed or {}), **settings}
    if max_steps is not None:
        config["max_steps"] = max_steps
    config["seed"] = 0 if seed is None else seed
    config = TrainConfig(model=name, options=options, **config)
    seed_everything(config.seed)
    out = Path(out)
    start = time.perf_counter()
    model, loss = build(**options)
    last = Trainer(model, loss, config, out, resume=resume, echo=echo, overwrite=overwrite).run()
    weights = torch.load(out / "final.pt", map_location="cpu", weights_only=True)
    write_with(out / f"{name}.pt", lambda handle: torch.save(weights, handle))
    card = {"model": name, "profile": profile, "options": options, "steps": config.max_steps, "seed": config.seed,
            "settings": {k: getattr(config, k) for k in ("crop", "batch", "lr", "qualities", "ema")},
            "last": last, "wall_seconds": round(time.perf_counter() - start, 1), "torch": torch.__version__,
            "device": "cuda" if torch.cuda.is_available() else "cpu",
            "command": f"jpegtutor train {name} --profile {profile} --out {out}"
                       + (f" --max-steps {max_steps}" if max_steps is not None else "")
                       + "".join(f" --set {k}={v}" for k, v in options.items() if v != defaults[k])}
    previous = out / f"{name}.json"
    if previous.is_file():  # a resume with nothing left to do keeps the wall time of the run that did the work
        earlier = json.loads(previous.read_text())
        if earlier.get("steps") == card["steps"] and earlier.get("last") == last:
            card["wall_seconds"] = earlier["wall_seconds"]
    write_json(out / f"{name}.json", card)
    return card
