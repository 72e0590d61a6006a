"""Evaluation (Part III): any registered method -> real files -> measure -> RD curves, BD-rate, the leaderboard.

- :mod:`.harness`: :func:`evaluate` and :func:`compare` (BD-rate over the overlap and per bpp window);
- :mod:`.leaderboard`: :func:`update_leaderboard`;
- :mod:`.plot`: :func:`plot_rd`.
"""

from .harness import BPP_RANGES, DEFAULT_BASELINE, DEFAULT_QUALITIES, METRICS, compare, evaluate
from .leaderboard import update_leaderboard
from .plot import plot_rd

__all__ = ["BPP_RANGES", "DEFAULT_BASELINE", "DEFAULT_QUALITIES", "METRICS", "compare", "evaluate", "plot_rd",
           "update_leaderboard"]
