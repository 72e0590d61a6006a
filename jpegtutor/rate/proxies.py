"""Rate proxies in closed form: functions of the DCT coefficients and the tables.

Inputs follow :func:`jpegtutor.diff.dct_coefficients`: ``coefficients`` is a list ``[Y, Cb, Cr]``
of ``(B, hb, wb, 64)`` float tensors (orthonormal DCT scale, natural frequency order), and
``tables`` is ``(B, 2, 8, 8)`` (luma, chroma; Cb and Cr use the chroma table). Every function
returns one value per image, ``(B,)``.

- :func:`empirical_entropy_bits`: entropy of the quantized symbols per (component, frequency), a
  reference, not differentiable;
- :func:`log_proxy`: ``sum log2(1 + |c| / Q)``, a smooth count of the bits a magnitude needs;
- :func:`l1_proxy`: ``sum |c| / Q``, the L1 norm of the scaled coefficients;
- :func:`struempler_regularizer`: Struempler et al.'s ``alpha ||1/Q||_1 + beta mean(A)``, a
  function of the tables (and an attention map) only.
"""

from __future__ import annotations

import torch

__all__ = ["empirical_entropy_bits", "l1_proxy", "log_proxy", "scaled_coefficients", "struempler_regularizer"]


def _check(coefficients, tables):
    if not isinstance(coefficients, (list, tuple)) or len(coefficients) not in (1, 3):
        raise TypeError("coefficients must be a list [Y, Cb, Cr] of (B, hb, wb, 64) tensors "
                        "(see jpegtutor.diff.dct_coefficients)")
    b = coefficients[0].shape[0]
    for c in coefficients:
        if c.ndim != 4 or c.shape[-1] != 64 or c.shape[0] != b:
            raise ValueError(f"each component must be (B, hb, wb, 64) with B = {b}, got {tuple(c.shape)}")
    if tables.shape != (b, 2, 8, 8):
        raise ValueError(f"tables must have shape (B, 2, 8, 8) = ({b}, 2, 8, 8), got {tuple(tables.shape)}")


def scaled_coefficients(coefficients, tables) -> list[torch.Tensor]:
    """``c / Q`` per component, ``(B, hb, wb, 64)`` each: what the quantizer rounds."""
    _check(coefficients, tables)
    return [c / tables[:, min(k, 1)].reshape(-1, 1, 1, 64).to(c) for k, c in enumerate(coefficients)]


def log_proxy(coefficients, tables) -> torch.Tensor:
    """``sum log2(1 + |c| / Q)`` over all coefficients of each image, ``(B,)``."""
    return sum(torch.log2(1 + s.abs()).sum((1, 2, 3)) for s in scaled_coefficients(coefficients, tables))


def l1_proxy(coefficients, tables) -> torch.Tensor:
    """``sum |c| / Q`` over all coefficients of each image, ``(B,)``."""
    return sum(s.abs().sum((1, 2, 3)) for s in scaled_coefficients(coefficients, tables))


def empirical_entropy_bits(coefficients, tables) -> torch.Tensor:
    """Bits an ideal coder of each (component, frequency) would spend on ``round(c / Q)``: the
    blocks' count times the entropy of the symbol histogram, summed, per image ``(B,)``. Not
    differentiable (a reference for the others)."""
    from ..diff.rounding import round_half_away

    out = []
    scaled = scaled_coefficients(coefficients, tables)
    for i in range(scaled[0].shape[0]):
        bits = 0.0
        for s in scaled:
            q = round_half_away(s[i].detach()).reshape(-1, 64).to(torch.int64)
            for k in range(64):
                _, counts = torch.unique(q[:, k], return_counts=True)
                p = counts.double() / counts.sum()
                bits += float(-(counts.double() * torch.log2(p)).sum())
        out.append(bits)
    return torch.tensor(out, dtype=torch.float64)


def struempler_regularizer(tables: torch.Tensor, attention: torch.Tensor | None = None, alpha: float = 1.0,
                           beta: float = 1.0) -> torch.Tensor:
    """Struempler et al. (2020): ``alpha * ||1 / Q||_1 + beta * mean(A)`` per image, ``(B,)``.

    ``tables``: ``(B, 2, 8, 8)``; ``attention``: the editor's attention map ``(B, ...)`` in [0, 1]
    (optional). Large table entries and a sparse attention mean fewer bits; the term knows nothing
    about the image itself.
    """
    if tables.ndim != 4 or tables.shape[1:] != (2, 8, 8):
        raise ValueError(f"tables must have shape (B, 2, 8, 8), got {tuple(tables.shape)}")
    out = alpha * (1.0 / tables).flatten(1).sum(1)
    if attention is not None:
        out = out + beta * attention.flatten(1).mean(1)
    return out
