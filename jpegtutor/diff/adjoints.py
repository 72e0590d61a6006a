"""The transposes of libjpeg's linear steps: the backward pass of exact mode, written out.

With straight-through rounding every floor, rounding and clip of exact mode passes its gradient
unchanged, so the gradient of the whole simulator is that of a linear map: the colour matrices, edge
replication, box downsampling, triangle ("fancy") upsampling, the DCT and the division and
multiplication by the table. Each function here is the adjoint (transpose) of one of those steps, on
float tensors ``(..., H, W)``; :func:`jpegtutor.diff.simulate` chains them in its
fast path instead of recording and replaying every operation of the forward pass.
"""

from __future__ import annotations

import torch

from ..jpeg.color import RGB_TO_YCBCR_FIXED, SCALEBITS, YCBCR_TO_RGB_FIXED

__all__ = ["color_adjoints", "downsample_adjoint", "fit_adjoint", "upsample_adjoint"]

_UNIT = float(1 << SCALEBITS)


def fit_adjoint(grad: torch.Tensor, n: int, axis: int) -> torch.Tensor:
    """Adjoint of fitting a length-``n`` axis to ``grad``'s length by replicating the last slice
    (longer) or cropping (shorter): the gradients of the copies add onto the last slice; a crop pads zeros."""
    m = grad.shape[axis]
    if m == n:
        return grad
    if m < n:
        pad = [0, 0] * (-axis - 1) + [0, n - m]
        return torch.nn.functional.pad(grad, pad)
    keep, extra = grad.narrow(axis, 0, n), grad.narrow(axis, n, m - n)
    last = keep.narrow(axis, n - 1, 1) + extra.sum(axis, keepdim=True)
    return torch.cat([keep.narrow(axis, 0, n - 1), last], axis)


def _fancy_adjoint(grad: torch.Tensor, axis: int) -> torch.Tensor:
    """Adjoint of the 1-D triangle upsampling ``x[i] -> (3 x[i] + x[i -/+ 1]) / 4`` at ``2i`` and ``2i + 1``
    (edge samples repeated) along ``axis``: length ``2n`` to ``n``."""
    n = grad.shape[axis] // 2
    even, odd = grad.narrow(axis, 0, 2 * n).unflatten(axis, (n, 2)).unbind(axis)
    before = torch.cat([even.narrow(axis, 0, 1), odd.narrow(axis, 0, n - 1)], axis)  # gradient at 2i - 1
    after = torch.cat([even.narrow(axis, 1, n - 1), odd.narrow(axis, n - 1, 1)], axis)  # gradient at 2i + 2
    return (3.0 * (even + odd) + before + after) * 0.25


def upsample_adjoint(grad: torch.Tensor, fh: int, fv: int, comp_h: int, comp_w: int) -> torch.Tensor:
    """Adjoint of :func:`jpegtutor.jpeg.sampling.upsample_libjpeg`: ``(..., height, width)`` to the
    component's ``(..., comp_h, comp_w)``."""
    if (fh, fv) == (1, 1):
        return fit_adjoint(fit_adjoint(grad, comp_h, -2), comp_w, -1)
    fancy = (fh, fv) == (1, 2) or ((fh, fv) in ((2, 1), (2, 2)) and comp_w > 2)
    grad = fit_adjoint(fit_adjoint(grad, comp_h * fv, -2), comp_w * fh, -1)  # the crop to the image size
    if not fancy:  # replication
        return grad.unflatten(-1, (comp_w, fh)).sum(-1).unflatten(-2, (comp_h, fv)).sum(-2)
    if fh == 2:
        grad = _fancy_adjoint(grad, -1)
    if fv == 2:
        grad = _fancy_adjoint(grad, -2)
    return grad


def downsample_adjoint(grad: torch.Tensor, fh: int, fv: int) -> torch.Tensor:
    """Adjoint of :func:`jpegtutor.jpeg.sampling.downsample_libjpeg`'s box average (before its edge
    replication): each sample's gradient spreads evenly over its ``fv x fh`` box."""
    if fh == 1 and fv == 1:
        return grad
    spread = grad * (1.0 / (fh * fv))
    if fh > 1:
        spread = spread.repeat_interleave(fh, -1)
    if fv > 1:
        spread = spread.repeat_interleave(fv, -2)
    return spread


def color_adjoints(dtype=torch.float32, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """The colour conversions' transposes as ``3 x 3`` matrices ``(decoder, encoder)``: ``decoder @ g``
    takes the gradient of R, G, B (decoded) to that of Y, Cb, Cr, ``encoder @ g`` the gradient of
    Y, Cb, Cr to that of R, G, B (input); from :mod:`jpegtutor.jpeg.color`'s fixed-point constants."""
    (_, r_cr), (g_cb, g_cr), (b_cb, _) = YCBCR_TO_RGB_FIXED
    inverse = torch.tensor([[_UNIT, 0.0, r_cr], [_UNIT, g_cb, g_cr], [_UNIT, b_cb, 0.0]], dtype=torch.float64) / _UNIT
    forward = torch.tensor(RGB_TO_YCBCR_FIXED, dtype=torch.float64) / _UNIT
    return inverse.T.to(device, dtype), forward.T.to(device, dtype)
