"""The sampling operator S of JPNeO (LIIF's local ensemble): read a feature grid at other points.

A feature map ``z`` of ``H x W`` cells is a function on ``[-1, 1]^2``, each cell's value at its
centre. To read it at a query point (a chroma sample of a subsampled grid, or a pixel when the
features are coarser), take the 4 nearest cell centres ``delta_i``, the offsets
``Delta_i = query - delta_i`` (in cells) and the area weights ``s_i``: the area of the rectangle
between the query and the *opposite* neighbour, so the nearest neighbour weighs most (bilinear
interpolation's weights, written as areas). JPNeO's S returns ``[s_i z(delta_i), Delta_i]`` for the
four, plus the cell size ``c`` of the query grid.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["cell_centres", "neighbours", "sample_features"]


def cell_centres(height: int, width: int, device=None) -> torch.Tensor:
    """``(height, width, 2)`` centres of a ``height x width`` grid on ``[-1, 1]^2`` as ``(y, x)``."""
    ys = -1 + (2 * torch.arange(height, device=device, dtype=torch.float32) + 1) / height
    xs = -1 + (2 * torch.arange(width, device=device, dtype=torch.float32) + 1) / width
    return torch.stack(torch.meshgrid(ys, xs, indexing="ij"), dim=-1)


def neighbours(features: torch.Tensor, size: tuple[int, int]):
    """The 4 nearest cells of every query point of a ``size = (h, w)`` grid.

    ``features``: ``(B, K, H, W)``. Returns a list of four ``(values (B, K, h, w), offsets (B, 2, h, w)
    in cells (y, x), weights (B, 1, h, w))``; the weights sum to 1 at every point."""
    b, _, fh, fw = features.shape
    h, w = size
    query = cell_centres(h, w, features.device)
    centres = cell_centres(fh, fw, features.device).permute(2, 0, 1)[None].expand(b, 2, fh, fw)
    eps = 1e-6
    picks, areas = [], []
    for dy in (-1, 1):
        for dx in (-1, 1):
            shifted = query.clone()
            shifted[..., 0] += dy / fh - dy * eps  # half a cell towards this neighbour, never past an edge cell
            shifted[..., 1] += dx / fw - dx * eps
            shifted = shifted.clamp(-1 + eps, 1 - eps)
            grid = shifted.flip(-1)[None].expand(b, h, w, 2)  # grid_sample wants (x, y)
            value = F.grid_sample(features, grid, mode="nearest", align_corners=False)
            centre = F.grid_sample(centres, grid, mode="nearest", align_corners=False)
            offset = (query.permute(2, 0, 1)[None] - centre) * torch.tensor([fh / 2, fw / 2], device=features.device).view(1, 2, 1, 1)
            picks.append((value, offset))
            areas.append((offset[:, :1] * offset[:, 1:]).abs() + 1e-9)
    total = sum(areas)
    # the weight of a neighbour is the area towards the diagonally opposite one: order (-1,-1), (-1,1), (1,-1), (1,1)
    return [(value, offset, areas[3 - i] / total) for i, (value, offset) in enumerate(picks)]


def sample_features(features: torch.Tensor, size: tuple[int, int], cell: tuple[float, float]) -> torch.Tensor:
    """JPNeO's S: ``(B, K, H, W)`` features read on an ``(h, w)`` grid -> ``(B, 4 (K + 2) + 2, h, w)``:
    ``[s_i z(delta_i), Delta_i]`` for the 4 nearest cells, then the cell size ``c`` (two constants)."""
    parts = []
    for value, offset, weight in neighbours(features, size):
        parts += [weight * value, offset]
    b = features.shape[0]
    c = torch.tensor(cell, dtype=features.dtype, device=features.device).view(1, 2, 1, 1).expand(b, 2, *size)
    return torch.cat(parts + [c], dim=1)
