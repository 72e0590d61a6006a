"""Per-image pre-editing (Talebi et al.'s Eq. 4): minimize an editor's loss over one image's pixels."""

from __future__ import annotations

import torch

from ..runtime import progress

__all__ = ["optimize_image"]


def optimize_image(image: torch.Tensor, quality, loss, steps: int = 100, lr: float = 0.005,
                   start: torch.Tensor | None = None, progress_desc: str | None = None) -> torch.Tensor:
    """Per-image pre-editing (Talebi et al.'s Eq. 4): minimize ``loss`` over the pixels themselves.

    ``image``: ``(B, 3, H, W)`` in [0, 1], the original (the loss's reference); ``quality``: number
    or ``(B,)``; ``start``: where to begin (e.g. a feed-forward editor's output; default the image).
    Adam on the pixels, projected back to [0, 1] after every step. Returns the edited image,
    detached, same shape. ``loss(edited, original, quality) -> dict`` with the term ``"loss"``:
    any editor's :class:`PreEditLoss`, or another editor's pixel loss (Ye et al.'s ``PixelLoss``).
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    image = image.detach()
    q = torch.as_tensor(quality, dtype=image.dtype, device=image.device)
    q = q.expand(image.shape[0]) if q.ndim == 0 else q
    edited = (image if start is None else start.detach()).clone().requires_grad_(True)
    optimizer = torch.optim.Adam([edited], lr=lr)
    for _ in progress(range(steps), desc=progress_desc or "per-image optimization", total=steps):
        optimizer.zero_grad(set_to_none=True)
        loss(edited, image, q)["loss"].backward()
        optimizer.step()
        with torch.no_grad():
            edited.clamp_(0, 1)
    return edited.detach()
