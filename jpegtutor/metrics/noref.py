"""A small no-reference (NR) model of JPEG damage: it looks at a decoded image alone and predicts
LPIPS-Alex(decoded, original), so it can stand in for NIMA as a loss term ``lambda * NR(decoded)``.

Talebi et al.'s pre-editor scores its decoded output with NIMA, a no-reference quality CNN whose
weights are not obtainable here. :class:`NoRefQuality` is our substitute: a ~143k-parameter
fully convolutional network (a first 12x12 convolution at stride 8 aligned with the JPEG 8x8 block
grid, so block edges, in-block flatness and ringing are seen block by block; then 1x1 and 3x3
convolutions with LeakyReLU, a receptive field of 50 px; a 1x1 head giving a per-location damage
map, averaged over space), fed the image, its contrast-normalised luma and its amplified
high-pass, and trained to regress the full-reference
LPIPS-Alex distance of damaged ``train`` crops. Lower is better, 0 is "undamaged", and it is
differentiable with respect to its input.

Training and evaluation: :mod:`jpegtutor.experiments.noref` (``python -m jpegtutor.experiments.noref
train|evaluate``), which writes the shipped weights (zoo name ``noref``) and
``data/results/noref_quality.json``.

Limits: the first layer is aligned with the 8x8 grid of a decoded JPEG, which starts at pixel
(0, 0); a crop at an offset that is not a multiple of 8 hides the blocks from it (LIVE1 ``bikes``
at q 10: 0.22 aligned, 0.003 shifted by 4 px), so score whole decoded images or 8-aligned crops.
It under-estimates blur (sigma 1.5 then q 50 on LIVE1: 0.24 predicted, 0.41 true), though it
always ranks the blurred file below the sharp one; and as a loss it is a small CNN that an editor
can learn to fool, so check the edits with the true LPIPS.

Plugging in NIMA or another NR model: :func:`load_quality_model` takes ``"noref"`` (ours, the
default) or the path of a TorchScript file (``torch.jit.save``) that maps ``(B, 3, H, W)`` in
``[0, 1]`` to ``(B,)`` scores with HIGHER = better (like NIMA's mean score). Either way it returns a
frozen module whose output is a penalty, lower = better (for TorchScript: the negated score), so a
training loss reads ``lam * quality_model(decoded).mean()`` whichever model is plugged in.

>>> from jpegtutor.metrics.noref import load_pretrained
>>> nr = load_pretrained()
>>> damage = nr(x)          # x: (B, 3, H, W) in [0, 1], H, W >= 32; damage: (B,) ~ LPIPS-Alex
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import torch
from torch import nn

from .. import zoo
from ..checks import check_image_tensor

__all__ = [
    "MIN_SIDE",
    "NoRefQuality",
    "load_pretrained",
    "load_quality_model",
]

MIN_SIDE = 32  # as LPIPS (the target): smaller sides leave a 2x2 score map or less
DEFAULT_WIDTH = 64


def _check_image(x, who: str):
    """``(B, 3, H, W)`` or ``(3, H, W)`` float in ``[0, 1]``, sides >= MIN_SIDE, returned 4-D."""
    return check_image_tensor(x, who, min_side=MIN_SIDE)


class NoRefQuality(nn.Module):
    """Predicted LPIPS-Alex damage of a decoded image, without the original.

    ``forward(x)``: ``(B, 3, H, W)`` (or ``(3, H, W)``) float in ``[0, 1]``, any ``H, W >= 32``, to
    ``(B,)`` predictions ``>= 0`` (lower = better; about 0 for undamaged, 0.4-0.6 for JPEG q 5).
    ``score_map(x)``: the per-location damage ``(B, 1, ceil(floor(H/8)/2), ceil(floor(W/8)/2))`` (one per 2x2
    JPEG blocks), whose spatial mean is the prediction. Differentiable with respect to ``x``.

    Layers: fixed inputs (below), a 12x12 convolution at stride 8 aligned with the JPEG block grid
    (each output sees one 8x8 block and 2 px of its neighbours: block edges, in-block flatness,
    ringing), a 1x1 and a 3x3 convolution, a 3x3 at stride 2, LeakyReLU(0.1) after each, a 1x1 head
    and softplus. The inputs are the image (``2x - 1``), its luma under local contrast
    normalisation (7x7 window) and ten times its 3x3 high-pass: JPEG damage lives in changes of a
    few grey levels, and without the amplified high-pass the network sat on a plateau, predicting
    the mean, for a thousand steps. The block-aligned first layer assumes the 8x8 grid starts at
    pixel (0, 0), as in any decoded JPEG.
    """

    def __init__(self, width: int = DEFAULT_WIDTH):
        super().__init__()
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be a positive int, got {width!r}")
        self.width = width
        self.body = nn.Sequential(
            nn.Conv2d(7, width, 12, stride=8, padding=2), nn.LeakyReLU(0.1),
            nn.Conv2d(width, width, 1), nn.LeakyReLU(0.1),
            nn.Conv2d(width, width, 3, padding=1), nn.LeakyReLU(0.1),
            nn.Conv2d(width, width, 3, stride=2, padding=1), nn.LeakyReLU(0.1),
        )
        for module in self.body:
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, a=0.1, nonlinearity="leaky_relu")
                nn.init.zeros_(module.bias)
        self.head = nn.Conv2d(width, 1, 1)
        nn.init.constant_(self.head.bias, -2.0)  # softplus(-2) ~ 0.13, about the mean damage of the data

    @staticmethod
    def inputs(x: torch.Tensor) -> torch.Tensor:
        """The 7 fixed input channels for ``x`` ``(B, 3, H, W)`` in ``[0, 1]``: ``2x - 1``, contrast-
        normalised luma, ``10 (x - mean3x3(x))``."""
        luma = 0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]
        mean = nn.functional.avg_pool2d(luma, 7, 1, 3, count_include_pad=False)
        var = nn.functional.avg_pool2d((luma - mean) ** 2, 7, 1, 3, count_include_pad=False)
        std = (var.clamp_min(0) + 1e-8).sqrt()  # + 1e-8: a finite gradient on flat regions (sqrt'(0) is infinite)
        high = x - nn.functional.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
        return torch.cat([2 * x - 1, (luma - mean) / (4 * (std + 0.02)), 10 * high], 1)

    def score_map(self, x: torch.Tensor) -> torch.Tensor:
        """Per-location damage ``(B, 1, h, w)``, ``>= 0``, for ``x`` in ``[0, 1]``."""
        x = _check_image(x, "NoRefQuality")
        return nn.functional.softplus(self.head(self.body(self.inputs(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.score_map(x).mean((1, 2, 3))


def load_pretrained(path: str | os.PathLike | None = None) -> NoRefQuality:
    """The shipped :class:`NoRefQuality` (or the state dict at ``path``), eval mode, frozen.

    Trained by ``python -m jpegtutor.experiments.noref train``; its card: ``zoo.card("noref")``.
    """
    if path is None:
        state, width = zoo.load_state("noref"), int(zoo.card("noref").get("width", DEFAULT_WIDTH))
    else:
        path = Path(path)
        state = zoo.load_state(file=path)
        card = path.with_suffix(".json")
        width = int(json.loads(card.read_text()).get("width", DEFAULT_WIDTH)) if card.is_file() else DEFAULT_WIDTH
    model = NoRefQuality(width)
    try:
        model.load_state_dict(state)
    except (RuntimeError, AttributeError) as exc:
        raise ValueError(f"{path} is not a NoRefQuality state dict of width {width}: {exc}") from exc
    model.requires_grad_(False)
    return model.eval()


class _NegatedScore(nn.Module):
    """Wraps a score model (higher = better) into a penalty (lower = better): ``-model(x)``, ``(B,)``."""

    def __init__(self, model: nn.Module, source: str):
        super().__init__()
        self.model = model
        self.source = source

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_image(x, f"quality model {self.source}")
        score = self.model(x)
        if not isinstance(score, torch.Tensor):
            raise TypeError(f"quality model {self.source} must return a tensor, got {type(score).__name__}")
        if score.ndim == 2 and score.shape[1] == 1:
            score = score[:, 0]
        if score.shape != (x.shape[0],):
            raise ValueError(f"quality model {self.source} must map (B, 3, H, W) to (B,) scores; "
                             f"for B={x.shape[0]} it returned shape {tuple(score.shape)}")
        return -score


def load_quality_model(spec: str | os.PathLike = "noref") -> nn.Module:
    """A frozen NR quality penalty (lower = better): ``(B, 3, H, W)`` in ``[0, 1]`` to ``(B,)``.

    ``spec``: ``"noref"`` (:func:`load_pretrained`, predicted LPIPS-Alex) or the path of a
    TorchScript file scoring images higher = better (e.g. NIMA's mean score); that score is negated.
    """
    if isinstance(spec, str) and spec.strip().lower() == "noref":
        return load_pretrained()
    if not isinstance(spec, (str, os.PathLike)):
        raise TypeError(f"spec must be 'noref' or the path of a TorchScript file, got {type(spec).__name__}")
    path = Path(spec).expanduser()
    if not path.exists():
        looks_like_path = path.suffix != "" or os.sep in str(spec) or "/" in str(spec)
        if looks_like_path:
            raise FileNotFoundError(f"quality model spec {str(spec)!r}: no TorchScript file at {path}")
        raise ValueError(f"unknown quality model spec {str(spec)!r}: use 'noref' or the path of a "
                         "TorchScript file mapping (B, 3, H, W) in [0, 1] to (B,) scores, higher = better")
    if not path.is_file():
        raise ValueError(f"quality model spec {str(spec)!r} is a folder, not a TorchScript file")
    try:
        with warnings.catch_warnings():  # newer torch marks TorchScript deprecated; it is still the portable format
            warnings.simplefilter("ignore", DeprecationWarning)
            model = torch.jit.load(str(path), map_location="cpu")
    except Exception as exc:  # torch raises RuntimeError or ValueError depending on the damage
        raise ValueError(f"{path} is not a TorchScript file (save one with torch.jit.save): {exc}") from exc
    model.eval()
    wrapped = _NegatedScore(model, str(path))
    wrapped.requires_grad_(False)
    return wrapped.eval()


# --- training data -----------------------------------------------------------------------------
