"""Differentiable JPEG (Part II): rounding surrogates now; the simulator follows in chapter 06."""

from .rounding import (ROUNDINGS, cubic_round, cubic_ste_round, get_rounding, hard_round, noise_round,
                       round_half_away, soft_round, ste_round, surrogate_floor)

__all__ = ["ROUNDINGS", "cubic_round", "cubic_ste_round", "get_rounding", "hard_round", "noise_round",
           "round_half_away", "soft_round", "ste_round", "surrogate_floor"]
