"""Shoda et al.'s pseudo-contour suppression (their Section 4.2), the step Huang and Yen leave out.

Colour reduction turns a smooth gradient (a sky) into a few bands with hard edges, which JPEG then
codes as blocks. On the luma plane of the edited image:

1. a 5x5 median filter, Canny edges (thresholds 20 and 30), a closing with a 5x5 disk: what is not
   an edge is a low-frequency region;
2. each connected low-frequency region larger than 10 % of the image whose own edges (Canny with
   thresholds 0 and 10) cover less than 3 % of it is a gradient region, and is set to its mean
   luma;
3. a guided filter (He et al.; radius 10, eps = (0.1 * 255)^2, guided by the luma before step 2)
   softens the borders of the replaced regions.

Chroma is left as it is. We use scikit-image for the median, Canny and morphology; its Canny smooths
with a Gaussian first (sigma 0.5 here, ours) and measures the gradient with the same 3x3 Sobel
kernels as OpenCV's, on 0-255 values. The guided filter is a few box filters, written out in
:func:`guided_filter`.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ...checks import check_image_u8
from ...jpeg.color import rgb_to_ycbcr_libjpeg, ycbcr_to_rgb_libjpeg

__all__ = ["gradient_regions", "guided_filter", "suppress_pseudo_contours"]

AREA = 0.10  # a region must cover more than this share of the image
INTERNAL_EDGES = 0.03  # and its own edges less than this share of the region


def _canny(plane: np.ndarray, low: float, high: float) -> np.ndarray:
    from skimage.feature import canny

    return canny(plane.astype(np.float64), sigma=0.5, low_threshold=low, high_threshold=high)


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int = 10, eps: float = (0.1 * 255) ** 2) -> np.ndarray:
    """He, Sun and Tang's guided filter, grey guide: ``(H, W)`` float planes -> ``(H, W)`` float.

    In every window of ``(2 radius + 1)^2`` pixels the output is a linear function of the guide,
    ``a * guide + b``, fitted to ``source`` by least squares with ridge ``eps``; ``a`` and ``b``
    are then averaged over the windows covering each pixel."""
    size = 2 * radius + 1

    def box(plane):
        return ndimage.uniform_filter(plane, size, mode="reflect")

    guide, source = guide.astype(np.float64), source.astype(np.float64)
    mean_g, mean_s = box(guide), box(source)
    var_g = box(guide * guide) - mean_g**2
    cov = box(guide * source) - mean_g * mean_s
    a = cov / (var_g + eps)
    b = mean_s - a * mean_g
    return box(a) * guide + box(b)


def gradient_regions(luma: np.ndarray) -> np.ndarray:
    """Steps 1 and 2: ``(H, W)`` uint8 luma -> int labels ``(H, W)``, 0 outside every gradient region.

    A region's own edges are the sensitive Canny's edges of the (median-filtered) luma at least 3
    pixels inside the region (ours: the region's border would otherwise count as its own edge)."""
    from skimage.measure import label
    from skimage.morphology import closing, disk, erosion

    smoothed = ndimage.median_filter(luma, size=5, mode="reflect")
    low = closing(_canny(smoothed, 20, 30).astype(np.uint8), disk(2)) == 0
    sensitive = _canny(smoothed, 0, 10)
    labels = label(low, connectivity=1)  # 4-connected, so that 8-connected edge lines separate regions
    out = np.zeros_like(labels)
    count = 0
    for region in range(1, labels.max() + 1):
        inside = labels == region
        area = int(inside.sum())
        if area <= AREA * luma.size:
            continue
        interior = erosion(inside.astype(np.uint8), disk(3)) > 0
        if (sensitive & interior).sum() < INTERNAL_EDGES * area:
            count += 1
            out[inside] = count
    return out


def suppress_pseudo_contours(image: np.ndarray) -> np.ndarray:
    """Shoda et al.'s suppression on ``uint8 (H, W, 3)`` RGB -> ``uint8 (H, W, 3)`` (luma changed only)."""
    check_image_u8(image, "image", channels=(3,))
    ycc = rgb_to_ycbcr_libjpeg(image)
    luma = ycc[..., 0]
    regions = gradient_regions(luma)
    flattened = luma.astype(np.float64)
    for region in range(1, regions.max() + 1):
        inside = regions == region
        flattened[inside] = flattened[inside].mean()
    if regions.max() == 0:
        return image.copy()
    ycc = ycc.copy()
    ycc[..., 0] = np.clip(np.round(guided_filter(luma, flattened)), 0, 255).astype(np.uint8)
    return ycbcr_to_rgb_libjpeg(ycc)
