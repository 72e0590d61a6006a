"""The zigzag scan: the order in which JPEG stores the 64 coefficients of a block.

Low frequencies first, so that the zeros of the high frequencies gather at the end of the list,
where one end-of-block symbol covers them all.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ZIGZAG", "UNZIGZAG", "from_zigzag", "to_zigzag"]


def _zigzag_order() -> np.ndarray:
    # Walk the anti-diagonals u + v = s; odd diagonals go down-left, even ones up-right.
    order = []
    for s in range(15):
        cells = [(u, s - u) for u in range(8) if 0 <= s - u < 8]  # (row, col), row increasing
        order += cells if s % 2 else cells[::-1]
    return np.array([r * 8 + c for r, c in order])


ZIGZAG = _zigzag_order()  # ZIGZAG[k] = natural (row-major) index of the k-th coefficient in zigzag order
UNZIGZAG = np.argsort(ZIGZAG)  # UNZIGZAG[natural index] = zigzag position


def to_zigzag(blocks: np.ndarray) -> np.ndarray:
    """``(..., 8, 8)`` blocks in natural order to ``(..., 64)`` in zigzag order."""
    blocks = np.asarray(blocks)
    if blocks.shape[-2:] != (8, 8):
        raise ValueError(f"blocks must end in (8, 8), got shape {blocks.shape}")
    return blocks.reshape(*blocks.shape[:-2], 64)[..., ZIGZAG]


def from_zigzag(vectors: np.ndarray) -> np.ndarray:
    """``(..., 64)`` zigzag-ordered coefficients back to ``(..., 8, 8)`` natural order."""
    vectors = np.asarray(vectors)
    if vectors.shape[-1] != 64:
        raise ValueError(f"vectors must end in 64, got shape {vectors.shape}")
    return vectors[..., UNZIGZAG].reshape(*vectors.shape[:-1], 8, 8)
