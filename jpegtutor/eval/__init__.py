"""Evaluation (Part III): any registered method -> real files -> measure -> RD curves, BD-rate, the leaderboard.

- :mod:`.harness`: :func:`evaluate` and :func:`compare` (BD-rate over the overlap and per bpp window),
  :func:`per_image_bd_rate` and :func:`bootstrap_bd_rate` (a confidence interval over images);
- :mod:`.leaderboard`: :func:`update_leaderboard`;
- :mod:`.plot`: :func:`plot_rd`.
"""

from .harness import (BPP_RANGES, DEFAULT_BASELINE, DEFAULT_QUALITIES, METRICS, bootstrap_bd_rate, compare, compare_curves, evaluate,
                      per_image_bd_rate, rate_difference)
from .leaderboard import update_leaderboard
from .plot import plot_rd

__all__ = ["BPP_RANGES", "DEFAULT_BASELINE", "DEFAULT_QUALITIES", "METRICS", "bootstrap_bd_rate", "compare", "compare_curves", "evaluate",
           "per_image_bd_rate", "plot_rd", "rate_difference", "update_leaderboard"]
