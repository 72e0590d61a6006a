"""Differentiable JPEG (Part II): rounding surrogates and the simulator."""

from .rounding import (ROUNDINGS, cubic_round, cubic_ste_round, get_rounding, hard_round, noise_round,
                       round_half_away, soft_round, ste_round, surrogate_floor)
from .simulator import (JPEGSimulator, dct_coefficients, quality_to_tables, reference_path, simulate,
                        simulate_with_coefficients, using_reference_path)

__all__ = ["JPEGSimulator", "ROUNDINGS", "dct_coefficients", "quality_to_tables", "reference_path", "simulate", "simulate_with_coefficients",
           "using_reference_path", "cubic_round", "cubic_ste_round", "get_rounding", "hard_round", "noise_round",
           "round_half_away", "soft_round", "ste_round", "surrogate_floor"]
