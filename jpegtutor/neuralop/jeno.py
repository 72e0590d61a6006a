"""JENO, JPNeO's encoding neural operator: chroma subsampling that keeps what the decoder's upsampling loses.

A JPEG encoder keeps chroma at half resolution (4:2:0: half height and width; 4:2:2: half width),
libjpeg by averaging each 2x2 (or 2x1) block: ``X'``. The decoder interpolates it back (libjpeg's
"fancy" upsampling is bilinear interpolation, ``U``). Averaging is not the best choice for that
decoder: JENO predicts a residual ``r`` so that ``U(X' + r)`` is closer to the original chroma:

    X_C = X' + G(S(f(X), delta_C)),     trained with  || X - RGB(X_Y, U(X_C)) ||_1

(Han et al. Eq. 13 and 15): ``f`` an EDSR feature extractor on the full-resolution RGB image,
``S`` the sampling operator at the chroma grid ``delta_C``, ``G`` a Galerkin neural operator. It
is trained "distortion blind" (no quantization), on 4:2:0 and 4:2:2 drawn at random. The planes go
to an ordinary encoder (:func:`jpegtutor.jpeg.encode_planes`): any decoder reads the file.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..image import to_tensor
from ..jpeg import SAMPLING, encode_planes
from ..jpeg.codec import normalize_subsampling
from ..jpeg.color import rgb_to_ycbcr, rgb_to_ycbcr_libjpeg, ycbcr_to_rgb
from .galerkin import NeuralOperator
from .layers import EDSR, ResBlock, pad_to_multiple
from .sampling import sample_features

__all__ = ["JENO", "ChromaCNN", "LeastSquaresChroma", "box_subsample", "chroma_planes", "encode_with", "upsample_chroma", "reconstruct"]


def _factors(subsampling: str) -> tuple[int, int]:
    """``(fv, fh)``: chroma subsampling factors in height and width."""
    h, v = SAMPLING[normalize_subsampling(subsampling)]
    return v, h


def box_subsample(chroma: torch.Tensor, subsampling: str) -> torch.Tensor:
    """libjpeg's subsampling in float: ``(B, C, H, W)`` -> ``(B, C, ceil(H / fv), ceil(W / fh))``, the
    mean of each block (edges replicated first, as libjpeg pads)."""
    fv, fh = _factors(subsampling)
    return F.avg_pool2d(pad_to_multiple(chroma, fv, fh), (fv, fh))


def upsample_chroma(chroma: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The decoder's upsampling ``U``: bilinear interpolation between sample centres with edges
    replicated (libjpeg's fancy upsampling), then cropped to ``size = (H, W)``."""
    h, w = chroma.shape[-2:]
    fv, fh = -(-size[0] // h), -(-size[1] // w)
    if (fv, fh) == (1, 1):
        return chroma[..., : size[0], : size[1]]
    up = F.interpolate(chroma, size=(h * fv, w * fh), mode="bilinear", align_corners=False)
    return up[..., : size[0], : size[1]]


def reconstruct(luma: torch.Tensor, chroma: torch.Tensor) -> torch.Tensor:
    """RGB ``(B, 3, H, W)`` from luma ``(B, 1, H, W)`` and subsampled chroma ``(B, 2, h, w)``, as a decoder does."""
    return ycbcr_to_rgb(torch.cat([luma, upsample_chroma(chroma, luma.shape[-2:])], dim=1))


class JENO(nn.Module):
    """``(B, 3, H, W)`` RGB in [0, 1] -> chroma ``(B, 2, ceil(H / fv), ceil(W / fh))`` in [0, 1] units.

    ``features``/``blocks``: the EDSR extractor (the paper: 64 x 16); ``width``/``heads``/``layers``:
    the Galerkin operator (the paper: 256, 16 heads, 2). The operator's last layer starts at zero,
    so an untrained JENO is libjpeg's averaging."""

    def __init__(self, features: int = 32, blocks: int = 4, width: int = 64, heads: int = 8, layers: int = 2):
        super().__init__()
        self.extract = EDSR(3, features, blocks)
        self.operator = NeuralOperator(4 * (features + 2) + 2, 2, width, heads, layers)

    def forward(self, rgb: torch.Tensor, subsampling: str = "4:2:0") -> torch.Tensor:
        fv, fh = _factors(subsampling)
        chroma = box_subsample(rgb_to_ycbcr(rgb)[:, 1:], subsampling)
        if (fv, fh) == (1, 1):
            return chroma
        padded = pad_to_multiple(rgb, fv, fh)
        z = self.extract(padded)
        query = sample_features(z, chroma.shape[-2:], (2.0 * fv / padded.shape[-2], 2.0 * fh / padded.shape[-1]))
        return chroma + self.operator(query)


class LeastSquaresChroma(nn.Module):
    """JENO's target without a network: for one image, the chroma samples ``c`` whose upsampling is
    closest to the image, ``argmin_c || RGB(X_Y, U(c)) - X ||_2^2``, found by L-BFGS from libjpeg's
    averages (``steps`` iterations; ``U`` is linear, so this is a least-squares problem).
    ``(B, 3, H, W)`` in [0, 1] -> ``(B, 2, ceil(H / fv), ceil(W / fh))``, like :class:`JENO`."""

    def __init__(self, steps: int = 30):
        super().__init__()
        self.steps = steps

    def forward(self, rgb: torch.Tensor, subsampling: str = "4:2:0") -> torch.Tensor:
        ycc = rgb_to_ycbcr(rgb)
        start = box_subsample(ycc[:, 1:], subsampling)
        if start.shape[-2:] == rgb.shape[-2:]:
            return start
        luma, target = ycc[:, :1].detach(), rgb.detach()
        chroma = start.detach().clone().requires_grad_(True)
        solver = torch.optim.LBFGS([chroma], lr=1.0, max_iter=self.steps, line_search_fn="strong_wolfe")

        def closure():
            solver.zero_grad()
            loss = ((reconstruct(luma, chroma) - target) ** 2).sum()  # a sum: a mean has gradients below L-BFGS's tolerance
            loss.backward()
            return loss

        with torch.enable_grad():
            solver.step(closure)
        return chroma.detach()


class ChromaCNN(nn.Module):
    """The same-size CNN baseline of JENO: EDSR features, averaged over each chroma block, a conv to
    a residual on ``X'`` (no coordinates, no operator)."""

    def __init__(self, features: int = 48, blocks: int = 5):
        super().__init__()
        self.extract = EDSR(3, features, blocks)
        self.tail = nn.Sequential(ResBlock(features), nn.Conv2d(features, 2, 3, padding=1))
        nn.init.zeros_(self.tail[-1].weight)
        nn.init.zeros_(self.tail[-1].bias)

    def forward(self, rgb: torch.Tensor, subsampling: str = "4:2:0") -> torch.Tensor:
        fv, fh = _factors(subsampling)
        chroma = box_subsample(rgb_to_ycbcr(rgb)[:, 1:], subsampling)
        if (fv, fh) == (1, 1):
            return chroma
        z = F.avg_pool2d(self.extract(pad_to_multiple(rgb, fv, fh)), (fv, fh))
        return chroma + self.tail(z)


def chroma_planes(model: nn.Module, image: np.ndarray, subsampling: str = "4:2:0") -> list[np.ndarray]:
    """The three planes a JENO file holds for ``uint8 (H, W, 3)``: libjpeg's own luma ``(H, W)`` and
    the model's Cb, Cr rounded to 8 bits ``(ceil(H / v), ceil(W / h))``, all ``uint8``."""
    subsampling = normalize_subsampling(subsampling)
    luma = rgb_to_ycbcr_libjpeg(image)[..., 0].astype(np.uint8)
    with torch.no_grad():
        chroma = model.eval()(to_tensor(image), subsampling)[0]
    planes = (chroma * 255.0).round().clamp(0, 255).to(torch.uint8).numpy()
    return [luma, planes[0], planes[1]]


def encode_with(model: nn.Module, image: np.ndarray, quality: int, subsampling: str = "4:2:0",
                optimize: bool = True, planes: list[np.ndarray] | None = None) -> bytes:
    """A real JPEG of ``uint8 (H, W, 3)`` whose chroma planes ``model`` chose (:func:`chroma_planes`,
    or ``planes`` computed before), then libjpeg's DCT, quantization and (optimized) Huffman coding."""
    planes = chroma_planes(model, image, subsampling) if planes is None else planes
    return encode_planes(planes, quality, normalize_subsampling(subsampling), optimize=optimize)
