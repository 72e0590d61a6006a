"""Colour reduction with a Gaussian mixture palette (Shoda et al.; Huang and Yen keep it).

Each image's pixels are modelled as a mixture of ``k`` Gaussians in RGB; every pixel is replaced
by the mean of the component it most likely belongs to. The result has at most ``k`` colours: flat
regions that JPEG codes cheaply, which the network then corrects towards the original. The fit has
no gradient (scikit-learn's ``GaussianMixture``, EM with full covariances).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

__all__ = ["FIT_PIXELS", "colour_reduce", "gmm_palette"]

FIT_PIXELS = 4096  # pixels sampled per image for the EM fit (ours: every pixel is then labelled)


def gmm_palette(pixels: np.ndarray, k: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(palette (k', 3), labels (N,))`` for ``pixels`` ``(N, 3)`` float; ``k' <= k`` (fewer when the
    image has fewer distinct colours). Deterministic for a given ``seed``."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    pixels = np.asarray(pixels, dtype=np.float64)
    distinct, inverse = np.unique(pixels, axis=0, return_inverse=True)
    if len(distinct) <= k:  # nothing to reduce
        return distinct, inverse.reshape(-1)
    rng = np.random.default_rng(seed)
    sample = pixels[rng.choice(len(pixels), FIT_PIXELS, replace=False)] if len(pixels) > FIT_PIXELS else pixels
    gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-4, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gmm.fit(sample)
    return gmm.means_, gmm.predict(pixels)


def colour_reduce(image: torch.Tensor, k: int = 4, seed: int = 0) -> torch.Tensor:
    """``(B, 3, H, W)`` in [0, 1] -> the same shape, each image with at most ``k`` colours (no gradient)."""
    if not isinstance(image, torch.Tensor) or image.ndim != 4 or image.shape[1] != 3:
        raise ValueError(f"image must be a (B, 3, H, W) tensor, got {getattr(image, 'shape', type(image).__name__)}")
    out = []
    for one in image.detach().cpu().double():
        pixels = one.permute(1, 2, 0).reshape(-1, 3).numpy()
        palette, labels = gmm_palette(pixels, k, seed)
        out.append(torch.from_numpy(np.clip(palette, 0, 1)[labels]).view(*one.shape[1:], 3).permute(2, 0, 1))
    return torch.stack(out).to(image)
