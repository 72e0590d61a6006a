"""Rate-distortion theory helpers (rate.theory): each result against an independent computation."""

from __future__ import annotations

import numpy as np
import pytest

from jpegtutor.jpeg.dct import dct_matrix
from jpegtutor.rate import theory


def test_gaussian_rd_is_six_db_per_bit():
    d = theory.gaussian_rd(4.0, np.array([0.0, 1.0, 2.0]))
    assert np.allclose(d, [4.0, 1.0, 0.25])
    with pytest.raises(ValueError, match="rate must be >= 0"):
        theory.gaussian_rd(1.0, -0.1)


def test_reverse_water_filling_beats_every_other_split_of_the_same_distortion():
    rng = np.random.default_rng(0)
    variances = rng.uniform(0.1, 10, size=6)
    theta = theory.water_level(variances, 1.0)
    rates, dist = theory.reverse_water_filling(variances, theta)
    assert dist.mean() == pytest.approx(1.0) and np.all(dist <= variances)
    for _ in range(200):  # random feasible splits with the same total distortion cost more bits
        other = rng.dirichlet(np.ones(6)) * 6.0
        if np.all(other <= variances):
            assert 0.5 * np.log2(variances / other).sum() >= rates.sum() - 1e-9


def test_water_level_with_weights_and_errors():
    theta = theory.water_level([1.0, 4.0], 1.5, weights=[3, 1])  # 0.75 min(t, 1) + 0.25 min(t, 4) = 1.5 -> t = 3
    assert theta == pytest.approx(3.0, rel=1e-9)
    with pytest.raises(ValueError, match="distortion must be between 0 and the mean variance"):
        theory.water_level([1.0, 4.0], 3.0)
    with pytest.raises(ValueError, match="variances must be"):
        theory.reverse_water_filling([1.0, -1.0], 0.5)


def test_coding_gain_klt_and_dct_on_an_ar1_model():
    assert theory.coding_gain([2.0, 2.0, 2.0]) == pytest.approx(1.0)
    cov = theory.ar1_covariance(0.95)
    assert np.allclose(np.diag(cov), 1) and np.linalg.eigvalsh(cov).min() > 0
    variances, basis = theory.klt(cov)
    assert np.allclose(basis @ basis.T, np.eye(64), atol=1e-10)
    assert np.allclose(theory.transform_variances(cov, basis), variances)
    dct = np.kron(dct_matrix(8), dct_matrix(8))
    g_dct, g_klt = theory.coding_gain(theory.transform_variances(cov, dct)), theory.coding_gain(variances)
    assert 1 < g_dct <= g_klt and g_dct > 0.97 * g_klt  # the DCT is close to the KLT at rho = 0.95
    samples = np.random.default_rng(1).multivariate_normal(np.zeros(64), cov, size=20000)
    assert np.allclose((samples @ dct.T).var(axis=0), theory.transform_variances(cov, dct), rtol=0.08)
    with pytest.raises(ValueError, match="rho must be in"):
        theory.ar1_covariance(1.0)
