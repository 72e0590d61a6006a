"""The three parts of Ye et al.'s rate-distortion cost: rate, distortion and Lagrangian multiplier.

Only the abstract is public; every design choice below is ours and says so.

- **Rate** (:func:`real_bits`, :class:`~jpegtutor.rate.RateNetwork`): the rate network of Part III
  predicts the bits of every block from ``c / Q``. Ye et al. train a rate estimation network to
  estimate the JPEG rate; ours starts from the shipped ``rate-network`` (trained on libjpeg's
  standard Huffman tables) and is refitted during the preprocessor's training, every step, to
  the real bits (optimized Huffman tables: equal Huffman settings) of the crops the preprocessor
  produces at that step, so it follows their distribution as the preprocessor changes them.
- **Distortion** (:func:`simulated_decode`, :func:`zero_masks`): the end-to-end distortion between
  the original and the *decoded* image, through the simulator in its smooth mode (soft rounding).
  The adaptive DCT-domain mask: per block and quality, the coefficients libjpeg's quantizer sends
  to zero (``round(c / Q) = 0``, found exactly) are zeroed before quantization, so neither their
  value nor their gradient pretends that soft rounding keeps a little of them; the others pass
  through the surrogate. ``"lowpass"`` (the first 15 zigzag frequencies) and ``"none"`` are the
  comparisons.
- **Lagrangian multiplier** (:func:`content_lambda`): per image, the slope ``-dD/dR`` of libjpeg's
  real RD curve at the target quality, from the encodes at ``q - step`` and ``q + step``, in the
  units of the distortion being trained for.
"""

from __future__ import annotations

import numpy as np
import torch

from ...diff import dct_coefficients, quality_to_tables, simulate
from ...diff.rounding import round_half_away
from ...image import to_uint8
from ...jpeg.zigzag import ZIGZAG
from ...rate import image_rate

__all__ = ["MASKS", "SIMULATORS", "content_lambda", "lowpass_masks", "real_bits", "simulated_decode", "zero_masks"]

MASKS = ("adaptive", "lowpass", "none")
LOWPASS_KEEP = 15  # the fixed mask keeps the first 15 zigzag frequencies (the upper-left triangle to u + v = 4)


def _tables(quality: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    q = torch.as_tensor(quality, dtype=image.dtype, device=image.device)
    return quality_to_tables(q.expand(image.shape[0]) if q.ndim == 0 else q)


def zero_masks(image: torch.Tensor, quality, subsampling: str = "4:2:0") -> list[torch.Tensor]:
    """Where libjpeg's quantizer keeps a coefficient: ``[Y, Cb, Cr]``, each ``(B, hb, wb, 64)`` of
    0 (``round(c / Q) = 0``) and 1, from the exact coefficients of ``image`` ``(B, 3, H, W)`` in
    [0, 1] at ``quality`` (number or ``(B,)``). No gradient."""
    with torch.no_grad():
        coefficients = dct_coefficients(image.detach(), subsampling)
        tables = _tables(quality, image)
        return [(round_half_away(c / tables[:, min(i, 1)].reshape(-1, 1, 1, 64)) != 0).to(c.dtype)
                for i, c in enumerate(coefficients)]


def lowpass_masks(image: torch.Tensor, subsampling: str = "4:2:0", keep: int = LOWPASS_KEEP) -> list[torch.Tensor]:
    """A fixed mask: 1 on the first ``keep`` zigzag frequencies of every block, 0 elsewhere;
    ``[(1, 1, 1, 64)] * 3``, broadcasting against the coefficients."""
    mask = torch.zeros(64, dtype=image.dtype, device=image.device)
    mask[torch.as_tensor(np.asarray(ZIGZAG[:keep]), device=image.device)] = 1.0
    return [mask.view(1, 1, 1, 64)] * 3


SIMULATORS = {"soft": ("smooth", "soft"), "exact": ("exact", "ste")}  # name -> (simulator mode, rounding)


def simulated_decode(image: torch.Tensor, quality, subsampling: str = "4:2:0", mask: str = "adaptive",
                     simulator: str = "soft") -> torch.Tensor:
    """The decoded image as the distortion term sees it, with the DCT-domain ``mask`` (:data:`MASKS`):
    ``simulator="soft"``, the simulator's smooth mode with soft rounding (values near libjpeg's,
    gradients of the soft rounding); ``"exact"`` (ours), exact mode: libjpeg's decoded pixels as
    the value, straight-through gradients, none for the masked coefficients. ``(B, 3, H, W)`` in
    [0, 1] -> same."""
    if mask not in MASKS:
        raise ValueError(f"mask must be one of {MASKS}, got {mask!r}")
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {sorted(SIMULATORS)}, got {simulator!r}")
    masks = zero_masks(image, quality, subsampling) if mask == "adaptive" else \
        lowpass_masks(image, subsampling) if mask == "lowpass" else None
    mode, rounding = SIMULATORS[simulator]
    return simulate(image, quality, subsampling=subsampling, mode=mode, rounding=rounding, masks=masks)


def real_bits(images: torch.Tensor, qualities, subsampling: str = "4:2:0") -> torch.Tensor:
    """The entropy-coded bits (Huffman codes and extra bits, optimized tables; no headers) of the
    file libjpeg writes for each image: ``(B, 3, H, W)`` in [0, 1] -> ``(B,)`` float, no gradient."""
    qualities = torch.as_tensor(qualities).reshape(-1).expand(images.shape[0]).tolist()
    return torch.tensor([float(sum(image_rate(to_uint8(im), int(round(q)), subsampling, optimize=True).code_bits))
                         for im, q in zip(images.detach(), qualities)], dtype=images.dtype, device=images.device)


def content_lambda(images: torch.Tensor, qualities, distortion, subsampling: str = "4:2:0", step: int = 2) -> dict:
    """Ye et al.'s content-dependent multiplier, as we estimate it: per image, the slope of
    libjpeg's real RD curve at the target quality, ``lambda = (D(q - step) - D(q + step)) /
    (R(q + step) - R(q - step))`` with ``R`` in bits per pixel and ``D = distortion(decoded,
    original)`` ``(B,)`` (the distortion being trained for). ``images``: ``(B, 3, H, W)`` in [0, 1];
    ``qualities``: ``(B,)`` integers. Returns ``{"lambda", "distortion", "bpp"}`` (``(B,)`` each, the
    last two at ``q`` itself: the plain encode the preprocessor must beat). No gradient."""
    q = torch.as_tensor(qualities, dtype=images.dtype, device=images.device).reshape(-1).expand(images.shape[0])
    if torch.any(q != torch.round(q)):
        raise ValueError(f"qualities must be integers, got {q.tolist()}")
    pixels = images.shape[-1] * images.shape[-2]
    out = {}
    with torch.no_grad():
        for name, at in (("low", (q - step).clamp(1, 100)), ("at", q), ("high", (q + step).clamp(1, 100))):
            decoded = simulate(images, at, subsampling=subsampling)  # exact: libjpeg's decoded pixels
            out[name] = (distortion(decoded, images).detach(), real_bits(images, at, subsampling) / pixels)
    (d_low, r_low), (d_at, r_at), (d_high, r_high) = out["low"], out["at"], out["high"]
    slope = (d_low - d_high) / (r_high - r_low).clamp_min(1e-6)
    return {"lambda": slope.clamp_min(0.0), "distortion": d_at, "bpp": r_at}
