"""Rate-distortion theory for Gaussian sources (chapter 06a): the bounds the rest of the book leans on.

Rates in bits per sample, distortions in squared error per sample (the units of the variances).

- :func:`gaussian_rd`: ``D(R) = sigma^2 2^(-2R)``, the distortion-rate function of a Gaussian.
- :func:`reverse_water_filling`: the optimal split of a distortion (or rate) budget over independent
  Gaussian components: every component gets distortion ``min(theta, sigma_k^2)``.
- :func:`coding_gain`: arithmetic over geometric mean of the variances, the high-rate gain of a
  transform over coding the samples one by one.
- :func:`ar1_covariance`, :func:`klt`: the first-order autoregressive image model and the
  Karhunen-Loeve transform (eigenvectors of the covariance) the DCT approximates.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ar1_covariance", "coding_gain", "gaussian_rd", "klt", "reverse_water_filling", "transform_variances", "water_level"]


def gaussian_rd(variance, rate):
    """``D(R) = variance * 2^(-2 R)`` for ``rate >= 0`` (arrays broadcast)."""
    rate = np.asarray(rate, dtype=np.float64)
    if (rate < 0).any():
        raise ValueError("rate must be >= 0 bits per sample")
    return np.asarray(variance, dtype=np.float64) * 2.0 ** (-2 * rate)


def _check_variances(variances) -> np.ndarray:
    v = np.asarray(variances, dtype=np.float64).ravel()
    if v.size == 0 or not np.isfinite(v).all() or (v <= 0).any():
        raise ValueError("variances must be a non-empty array of finite positive numbers")
    return v


def reverse_water_filling(variances, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """Per component, ``(rates, distortions)`` at water level ``theta``: ``D_k = min(theta, sigma_k^2)``
    and ``R_k = max(0, 1/2 log2(sigma_k^2 / theta))``. Sum them for the total (R, D) point."""
    v = _check_variances(variances)
    if not theta > 0:
        raise ValueError(f"theta must be > 0, got {theta!r}")
    d = np.minimum(theta, v)
    return 0.5 * np.log2(v / d), d


def water_level(variances, distortion: float, weights=None) -> float:
    """The water level ``theta`` at which the (``weights``-weighted) mean of ``min(theta, sigma_k^2)``
    equals ``distortion`` (bisection in log space; ``0 < distortion < `` the mean variance)."""
    v = _check_variances(variances)
    w = np.full(v.size, 1.0 / v.size) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != v.shape or (w < 0).any() or not w.sum() > 0:
        raise ValueError("weights must be non-negative, one per variance, not all zero")
    w = w / w.sum()
    if not 0 < distortion < float((w * v).sum()):
        raise ValueError(f"distortion must be between 0 and the mean variance {float((w * v).sum()):.4g}, got {distortion!r}")
    lo, hi = float(v.min()) * 1e-12, float(v.max())
    for _ in range(200):
        mid = (lo * hi) ** 0.5
        lo, hi = (lo, mid) if (w * np.minimum(mid, v)).sum() > distortion else (mid, hi)
    return (lo * hi) ** 0.5


def coding_gain(variances) -> float:
    """``mean(sigma^2) / geomean(sigma^2)``: how much less distortion a transform with these
    coefficient variances gives at high rate than coding samples of the mean variance (>= 1)."""
    v = _check_variances(variances)
    return float(v.mean() / np.exp(np.log(v).mean()))


def ar1_covariance(rho: float, n: int = 8) -> np.ndarray:
    """Covariance ``(n*n, n*n)`` of an ``n x n`` block of a separable AR(1) field with unit variance:
    ``rho^(|i - i'| + |j - j'|)``, pixels in row-major order."""
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1), got {rho!r}")
    one = rho ** np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    return np.kron(one, one)


def klt(covariance) -> tuple[np.ndarray, np.ndarray]:
    """``(variances, basis)`` of the Karhunen-Loeve transform: eigenvalues (descending) and the
    eigenvectors as rows, so ``basis @ x`` transforms a flattened block ``x``."""
    c = np.asarray(covariance, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"covariance must be square, got shape {c.shape}")
    values, vectors = np.linalg.eigh((c + c.T) / 2)
    order = np.argsort(values)[::-1]
    return values[order], vectors[:, order].T


def transform_variances(covariance, basis) -> np.ndarray:
    """Variances of the coefficients ``basis @ x`` for ``x`` with ``covariance``: ``diag(B C B^T)``."""
    b = np.asarray(basis, dtype=np.float64)
    return np.einsum("ij,jk,ik->i", b, np.asarray(covariance, dtype=np.float64), b)
