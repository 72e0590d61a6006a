"""``--set KEY=VALUE`` settings for a training recipe: its own options and any :class:`TrainConfig` field."""

from __future__ import annotations

import dataclasses

from .loop import TrainConfig

__all__ = ["TRAIN_FIELDS", "parse_settings", "parse_value"]

# TrainConfig fields a user may set with --set (model, options and init belong to the recipe; seed,
# max_steps and checkpoint_every have flags of their own)
TRAIN_FIELDS = {f.name: f.default for f in dataclasses.fields(TrainConfig)
                if f.name not in ("model", "options", "init", "seed", "max_steps", "checkpoint_every")}


def parse_value(text: str, like):
    """``text`` converted to the type of the default ``like`` (tuples: ``8,25`` or ``0.01,0.03`` as the default's numbers; bools: 1/true/yes/on; None: int or none)."""
    try:
        if isinstance(like, tuple):
            kind = float if any(isinstance(v, float) for v in like) else int
            return tuple(kind(v) for v in text.split(","))
        if isinstance(like, bool):
            if text.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ValueError(text)
            return text.lower() in ("1", "true", "yes", "on")
        if like is None:
            return None if text.lower() == "none" else int(text)
        return type(like)(text)
    except ValueError:
        raise ValueError(f"cannot read {text!r} as a {type(like).__name__} (like the default {like!r})") from None


def parse_settings(items, options: dict) -> dict:
    """``["KEY=VALUE", ...]`` -> ``{KEY: value}`` with each KEY one of ``options`` (the recipe's, with
    defaults) or a :class:`TrainConfig` field; an unknown key or a bad value raises a ValueError listing the valid ones."""
    allowed = {**TRAIN_FIELDS, **options}
    out = {}
    for item in items or []:
        key, sep, value = str(item).partition("=")
        if not sep or key not in allowed:
            raise ValueError(f"--set expects KEY=VALUE with KEY one of {sorted(allowed)}, got {item!r}")
        try:
            out[key] = parse_value(value, allowed[key])
        except ValueError as exc:
            raise ValueError(f"--set {key}: {exc}") from None
    return out
