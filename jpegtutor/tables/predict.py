"""A small network that predicts an image's own table pair: the per-image search, distilled.

The per-image search (:func:`jpegtutor.tables.per_image_tables`) costs tens of seconds per image.
:class:`TablePredictor` guesses its answer from the image in milliseconds: from how much energy
each frequency of each component carries, and from the Lagrange multiplier, it predicts how far
the per-image pair departs from the global searched pair of that multiplier, entry by entry,
as a log-ratio:

    tables = round(global(lam) * exp(network(features(image), log lam)))    clipped to 1-255

It is trained (``python -m jpegtutor.experiments.tables train-predictor``) to regress the
log-ratios the per-image search found on training crops, never on Kodak or LIVE1, and ships in the
zoo as ``tables-predictor``. Its last layer starts at zero: an untrained predictor returns the
global pair.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .search import TableProblem

__all__ = ["FEATURES", "TablePredictor", "image_features", "predicted_tables", "table_log_ratio"]

FEATURES = 3 * 64 + 1  # per component (Y, Cb, Cr) and frequency: log RMS coefficient; then log lambda


def image_features(image: np.ndarray, lam: float, subsampling: str = "4:2:0", problem: TableProblem | None = None) -> np.ndarray:
    """``uint8 (H, W, 3)`` and a multiplier -> ``(193,)`` float32: ``log(1 + RMS)`` of each DCT
    coefficient (orthonormal scale, natural order) of Y, Cb and Cr, then ``log(lam)``."""
    problem = problem or TableProblem.of(image, subsampling)
    stats = [np.log1p(np.sqrt(((d / 8.0) ** 2).mean(axis=(0, 1)))).ravel() for d in problem.dcts]
    return np.concatenate([*stats, [np.log(float(lam))]]).astype(np.float32)


def table_log_ratio(tables, reference) -> np.ndarray:
    """``(2, 8, 8)``: ``log(tables / reference)``, what the predictor regresses."""
    return np.log(np.asarray(tables, float) / np.asarray(reference, float)).astype(np.float32)


class TablePredictor(nn.Module):
    """``(B, 193)`` features -> ``(B, 2, 8, 8)`` log-ratios to the global pair. Standardises its input
    with the training set's mean and spread (buffers), then ``Linear -> ReLU -> Linear``."""

    def __init__(self, hidden: int = 64):
        super().__init__()
        self.register_buffer("mean", torch.zeros(FEATURES))
        self.register_buffer("scale", torch.ones(FEATURES))
        self.net = nn.Sequential(nn.Linear(FEATURES, hidden), nn.ReLU(), nn.Linear(hidden, 128))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net((features - self.mean) / self.scale).view(-1, 2, 8, 8)


def predicted_tables(image: np.ndarray, lam: float, subsampling: str = "4:2:0", model: TablePredictor | None = None,
                     global_tables=None) -> np.ndarray:
    """The predicted pair for ``image`` at ``lam``: ``(2, 8, 8)`` int32 in 1-255. ``model``: default
    the shipped ``tables-predictor``; ``global_tables``: default the shipped searched pair of ``lam``."""
    model = model or shipped_predictor()
    if global_tables is None:
        from . import searched_pair

        global_tables = searched_pair(lam)
    with torch.no_grad():
        ratio = model(torch.from_numpy(image_features(image, lam, subsampling))[None])[0].double().numpy()
    return np.clip(np.floor(np.asarray(global_tables, float) * np.exp(ratio) + 0.5), 1, 255).astype(np.int32)


_SHIPPED: dict = {}


def shipped_predictor() -> TablePredictor:
    """The zoo's ``tables-predictor`` (loaded once)."""
    if "model" not in _SHIPPED:
        from ..zoo import card, load_state

        model = TablePredictor(card("tables-predictor").get("hidden", 64))
        model.load_state_dict(load_state("tables-predictor"))
        _SHIPPED["model"] = model.eval()
    return _SHIPPED["model"]
