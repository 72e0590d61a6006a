"""Bjontegaard deltas: the average bit-rate difference (BD-rate) and quality difference (BD-metric)
between two rate-distortion curves, through the ``bjontegaard`` package.

Interpolation: ``akima`` by default (piecewise cubic Akima interpolation of each curve over the
overlapping quality range, integrated exactly), the method the ``bjontegaard`` package recommends
and that avoids the overshoots of Bjontegaard's original cubic polynomial fit; ``pchip`` and
``cubic`` (the original, VCEG-M33) are available. Rates are integrated on a log scale.

Overlap rules: both curves need at least 4 points (``akima``/``pchip``; the cubic fit needs 4 too),
strictly increasing quality once sorted by rate, and their quality ranges (for BD-rate) or rate
ranges (for BD-metric) must overlap; otherwise a ``ValueError`` says which rule failed. For
metrics where lower is better (LPIPS), pass ``higher_is_better=False``: the metric is negated, so
a negative BD-rate still means "fewer bits for the same quality".
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["bd_metric", "bd_rate"]

METHODS = ("akima", "pchip", "cubic")


def _curve(rates, metric, name: str, higher_is_better: bool):
    rates = np.asarray(rates, dtype=np.float64)
    metric = np.asarray(metric, dtype=np.float64)
    if rates.shape != metric.shape or rates.ndim != 1:
        raise ValueError(f"{name}: rates and metric values must be 1-D and of equal length, got {rates.shape} and {metric.shape}")
    if rates.size < 4:
        raise ValueError(f"{name}: a BD computation needs at least 4 rate points, got {rates.size}")
    if not (np.isfinite(rates).all() and np.isfinite(metric).all()) or (rates <= 0).any():
        raise ValueError(f"{name}: rates must be positive and all values finite")
    if not higher_is_better:
        metric = -metric
    order = np.argsort(rates)
    rates, metric = rates[order], metric[order]
    if (np.diff(metric) <= 0).any():
        raise ValueError(f"{name}: quality must increase strictly with rate (got {metric.tolist()} at rates "
                         f"{rates.tolist()}); a non-monotonic curve has no single BD value")
    return rates, metric


def _overlap(a, b, what: str):
    low, high = max(a.min(), b.min()), min(a.max(), b.max())
    if low >= high:
        raise ValueError(f"the curves do not overlap in {what}: anchor [{a.min():.4g}, {a.max():.4g}], "
                         f"test [{b.min():.4g}, {b.max():.4g}]")
    return low, high


def _check_method(method: str):
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def bd_rate(anchor_rates, anchor_metric, test_rates, test_metric, *, method: str = "akima",
            higher_is_better: bool = True) -> float:
    """BD-rate in percent: the test's average rate change for equal quality (negative: it saves bits)."""
    import bjontegaard

    _check_method(method)
    ra, ma = _curve(anchor_rates, anchor_metric, "anchor", higher_is_better)
    rt, mt = _curve(test_rates, test_metric, "test", higher_is_better)
    _overlap(ma, mt, "quality")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package warns on small overlaps; we checked the overlap above
        return float(bjontegaard.bd_rate(ra, ma, rt, mt, method=method, require_matching_points=False))


def bd_metric(anchor_rates, anchor_metric, test_rates, test_metric, *, method: str = "akima",
              higher_is_better: bool = True) -> float:
    """BD-metric (BD-PSNR for PSNR): the test's average quality change at equal rate, in the metric's
    units (for ``higher_is_better=False`` the sign is flipped back: a negative LPIPS delta is better)."""
    import bjontegaard

    _check_method(method)
    ra, ma = _curve(anchor_rates, anchor_metric, "anchor", higher_is_better)
    rt, mt = _curve(test_rates, test_metric, "test", higher_is_better)
    _overlap(np.log(ra), np.log(rt), "rate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        delta = float(bjontegaard.bd_psnr(ra, ma, rt, mt, method=method, require_matching_points=False))
    return delta if higher_is_better else -delta
