"""JDNO, JPNeO's decoding neural operator: from a file's dequantized spectra straight to pixels.

A JPEG decoder multiplies the stored integers by the quantization table, inverts each 8x8 DCT and
interpolates the chroma up. JDNO replaces those three steps with a network that has learned what
images look like (Han et al. Eq. 19-22):

1. **group embedding** ``g``: both spectra in one basis. Luma: inverse 8x8 DCT, then a 4x4 DCT of
   every 4x4 sub-block (16 channels on an ``H/4 x W/4`` grid); chroma: inverse 8x8 DCT, the
   decoder's upsampling ``U``, the same 4x4 DCT (a change of basis, so all three components sit on
   one grid): ``(B, 48, H/4, W/4)``;
2. **feature extractor** ``f``: a compact Swin-style stack (attention inside 8x8 windows of the
   grid, every other block shifted by half a window);
3. **cosine neural operator**: at every pixel, for the 4 nearest grid cells, ``A cos(pi F_h d_h)
   cos(pi F_w d_w)`` with amplitudes ``A = h_q(Q) * h_a(z)`` (the quantization table enters here)
   and frequencies ``F = h_f(z)``, then a Galerkin operator to RGB.

The output is added to the plain decode of the same spectra (float inverse DCT, bilinear chroma):
ours, so that an untrained JDNO is an ordinary decoder and training only learns the correction.
It needs the network at the decoder: JDNO is post-processing, not pre-editing (the file is any
encoder's; only this decoder sees the gain).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..image import to_uint8
from ..jpeg import read_coefficients
from ..jpeg.color import ycbcr_to_rgb
from ..jpeg.dct import dct_matrix
from .galerkin import NeuralOperator
from .jeno import upsample_chroma
from .layers import ResBlock, pad_to_multiple
from .sampling import neighbours

__all__ = ["JDNO", "DecoderCNN", "Spectra", "decode_with", "group_embedding", "plain_decode", "spectra_from_file",
           "spectra_from_coefficients"]

_C8 = torch.from_numpy(dct_matrix(8)).float()
_C4 = torch.from_numpy(dct_matrix(4)).float()


class Spectra:
    """Dequantized DCT blocks of one batch: ``luma``, ``cb``, ``cr`` ``(B, hb, wb, 64)`` (natural
    order, orthonormal scale, 0-255 sample units), ``tables`` ``(B, 2, 8, 8)`` float, ``size = (H, W)``."""

    def __init__(self, luma, cb, cr, tables, size):
        self.luma, self.cb, self.cr, self.tables, self.size = luma, cb, cr, tables, (int(size[0]), int(size[1]))


def _planes(blocks: torch.Tensor) -> torch.Tensor:
    """``(B, hb, wb, 64)`` DCT blocks -> ``(B, 1, 8 hb, 8 wb)`` samples in [0, 1] (inverse DCT, level shift)."""
    b, hb, wb, _ = blocks.shape
    c = _C8.to(blocks)
    pixels = c.T @ blocks.view(b, hb, wb, 8, 8) @ c
    return (pixels.permute(0, 1, 3, 2, 4).reshape(b, 1, 8 * hb, 8 * wb) + 128.0) / 255.0


def _ycc(spectra: Spectra) -> torch.Tensor:
    """Luma and upsampled chroma ``(B, 3, 8 hb, 8 wb)`` in [0, 1] (Cb, Cr centred on 128/255)."""
    y = _planes(spectra.luma)
    chroma = torch.cat([_planes(spectra.cb), _planes(spectra.cr)], dim=1)
    return torch.cat([y, upsample_chroma(chroma, y.shape[-2:])], dim=1)


def plain_decode(spectra: Spectra) -> torch.Tensor:
    """What an ordinary decoder makes of ``spectra`` (float IDCT, bilinear chroma): ``(B, 3, H, W)``, unclipped."""
    return ycbcr_to_rgb(_ycc(spectra))[..., : spectra.size[0], : spectra.size[1]]


def group_embedding(spectra: Spectra) -> torch.Tensor:
    """Eq. 19: ``(B, 48, 2 hb, 2 wb)``: the 4x4 DCT of every 4x4 sub-block of Y, U(Cb), U(Cr) (centred)."""
    ycc = _ycc(spectra) - 0.5
    b, _, h, w = ycc.shape
    c = _C4.to(ycc)
    blocks = ycc.view(b, 3, h // 4, 4, w // 4, 4).permute(0, 1, 2, 4, 3, 5)
    coefs = c @ blocks @ c.T
    return coefs.permute(0, 1, 4, 5, 2, 3).reshape(b, 48, h // 4, w // 4)


class WindowBlock(nn.Module):
    """A Swin block on ``(B, C, H, W)`` (``H``, ``W`` multiples of ``window``): attention inside each
    window with a learned relative-position bias, then an MLP. ``shift``: the windows are moved by
    half a window (a cyclic roll; unlike Swin, without the mask at the wrapped border: ours)."""

    def __init__(self, dim: int, heads: int, window: int, shift: bool):
        super().__init__()
        self.heads, self.window, self.shift = heads, window, window // 2 if shift else 0
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.bias = nn.Parameter(torch.zeros(heads, (2 * window - 1) ** 2))
        ys, xs = torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
        pos = torch.stack([ys.flatten(), xs.flatten()])
        rel = (pos[:, :, None] - pos[:, None, :]) + window - 1
        self.register_buffer("index", rel[0] * (2 * window - 1) + rel[1], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        s, win = self.shift, self.window
        t = x.permute(0, 2, 3, 1)
        if s:
            t = torch.roll(t, (-s, -s), (1, 2))
        windows = t.reshape(b, h // win, win, w // win, win, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, win * win, c)
        qkv = self.qkv(self.norm1(windows)).view(windows.shape[0], win * win, 3, self.heads, c // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        bias = self.bias[:, self.index]
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=bias[None])
        windows = windows + self.proj(attended.transpose(1, 2).reshape(windows.shape))
        windows = windows + self.mlp(self.norm2(windows))
        t = windows.view(b, h // win, w // win, win, win, c).permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, c)
        if s:
            t = torch.roll(t, (s, s), (1, 2))
        return t.permute(0, 3, 1, 2)


class JDNO(nn.Module):
    """``JDNO()(spectra) -> (B, 3, H, W)`` RGB in [0, 1] (unclipped).

    ``channels``/``depth``/``heads``/``window``: the Swin-style extractor (the paper: SwinV2 at 256
    channels); ``cosines``: ``M``, the cosine features (the paper: 128); ``width``/``op_heads``/``layers``:
    the Galerkin operator; ``pixel_head=1``: the ablation of chapter 14 (features to pixels by a conv
    and a pixel shuffle instead of the cosine operator). Defaults: the compact CPU model."""

    def __init__(self, channels: int = 64, depth: int = 4, heads: int = 4, window: int = 8, cosines: int = 32,
                 width: int = 48, op_heads: int = 4, layers: int = 2, pixel_head: int = 0):
        super().__init__()
        self.window, self.cosines = window, cosines
        # pixel_head=1, an ablation (ours): the same features to pixels by a conv + pixel shuffle, no cosine operator
        self.pixel_head = nn.Sequential(nn.Conv2d(channels, 48, 3, padding=1), nn.PixelShuffle(4)) if pixel_head else None
        if pixel_head:
            nn.init.zeros_(self.pixel_head[0].weight)
            nn.init.zeros_(self.pixel_head[0].bias)
        self.embed = nn.Conv2d(48, channels, 3, padding=1)
        self.blocks = nn.ModuleList(WindowBlock(channels, heads, window, shift=i % 2 == 1) for i in range(depth))
        self.after = nn.Conv2d(channels, channels, 3, padding=1)
        self.h_f = nn.Conv2d(channels, 2 * cosines, 3, padding=1)
        self.h_a = nn.Conv2d(channels, cosines, 3, padding=1)
        self.h_q = nn.Linear(128, cosines)
        self.operator = NeuralOperator(4 * (cosines + 2) + 2, 3, width, op_heads, layers)

    def features(self, spectra: Spectra) -> torch.Tensor:
        """``f(g(spectra))``: ``(B, channels, 2 hb, 2 wb)``."""
        g = group_embedding(spectra)
        h, w = g.shape[-2:]
        z = self.embed(pad_to_multiple(g, self.window))
        skip = z
        for block in self.blocks:
            z = block(z)
        return (skip + self.after(z))[..., :h, :w]

    def forward(self, spectra: Spectra) -> torch.Tensor:
        z = self.features(spectra)
        if self.pixel_head is not None:
            h, w = spectra.size
            return plain_decode(spectra) + self.pixel_head(z)[..., :h, :w]
        b = z.shape[0]
        amplitude = self.h_a(z) * self.h_q(spectra.tables.reshape(b, 128) / 255.0)[:, :, None, None]
        grid = torch.cat([amplitude, self.h_f(z)], dim=1)
        size = (4 * z.shape[-2], 4 * z.shape[-1])
        m = self.cosines
        parts = []
        for value, offset, weight in neighbours(grid, size):
            a, fh, fw = value[:, :m], value[:, m:2 * m], value[:, 2 * m:]
            cosine = a * torch.cos(math.pi * fh * offset[:, :1]) * torch.cos(math.pi * fw * offset[:, 1:])
            parts += [weight * cosine, offset]
        parts.append(z.new_full((b, 2, *size), 0.25))  # the cell: one pixel is a quarter of a grid cell
        correction = self.operator(torch.cat(parts, dim=1))
        h, w = spectra.size
        return plain_decode(spectra) + correction[..., :h, :w]


class DecoderCNN(nn.Module):
    """The same-size CNN baseline of JDNO: a small U-Net on the plain decode (and the tables' mean
    steps as two constant channels), adding a residual. ``DecoderCNN()(spectra) -> (B, 3, H, W)``."""

    def __init__(self, channels: int = 20):
        super().__init__()
        c = channels
        self.head = nn.Sequential(nn.Conv2d(5, c, 3, padding=1), ResBlock(c))
        self.down1 = nn.Sequential(nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), ResBlock(2 * c))
        self.down2 = nn.Sequential(nn.Conv2d(2 * c, 4 * c, 3, stride=2, padding=1), ResBlock(4 * c), ResBlock(4 * c))
        self.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)
        self.mid = ResBlock(2 * c)
        self.up1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
        self.tail = nn.Sequential(ResBlock(c), nn.Conv2d(c, 3, 3, padding=1))
        nn.init.zeros_(self.tail[-1].weight)
        nn.init.zeros_(self.tail[-1].bias)

    def forward(self, spectra: Spectra) -> torch.Tensor:
        plain = plain_decode(spectra)
        h, w = spectra.size
        steps = spectra.tables.mean((-1, -2)) / 255.0  # (B, 2)
        x = pad_to_multiple(plain, 4)
        x = torch.cat([x, steps[:, :, None, None].expand(-1, -1, *x.shape[-2:])], dim=1)
        e1 = self.head(x)
        e2 = self.down1(e1)
        e3 = self.down2(e2)
        d2 = self.mid(self.up2(e3) + e2)
        out = self.tail(self.up1(d2) + e1)
        return plain + out[..., :h, :w]


def spectra_from_coefficients(coefs) -> Spectra:
    """A file's :class:`~jpegtutor.jpeg.Coefficients` (3 components) as a batch of one :class:`Spectra`."""
    if len(coefs.blocks) != 3:
        raise ValueError(f"JDNO decodes colour (3-component) JPEGs, this one has {len(coefs.blocks)} component(s)")
    if coefs.sampling[1] != (1, 1) or coefs.sampling[2] != (1, 1) or coefs.sampling[0] not in ((1, 1), (2, 1), (2, 2)):
        raise ValueError(f"JDNO reads 4:4:4, 4:2:2 and 4:2:0 files, not sampling factors {coefs.sampling}")
    parts = []
    for c, blocks in enumerate(coefs.blocks):
        table = coefs.tables[coefs.table_of[c]].astype(np.float32)
        dequantized = blocks.astype(np.float32) * table
        parts.append(torch.from_numpy(dequantized.reshape(1, *blocks.shape[:2], 64)))
    tables = np.stack([coefs.tables[coefs.table_of[0]], coefs.tables[coefs.table_of[1]]]).astype(np.float32)
    return Spectra(*parts, torch.from_numpy(tables)[None], (coefs.height, coefs.width))


def spectra_from_file(data: bytes) -> Spectra:
    """Read a real JPEG's coefficients and tables with our decoder (:func:`jpegtutor.jpeg.read_coefficients`)."""
    return spectra_from_coefficients(read_coefficients(data))


def decode_with(model: nn.Module, data: bytes) -> np.ndarray:
    """A real JPEG decoded by ``model`` (JDNO or its baseline): ``uint8 (H, W, 3)``."""
    spectra = spectra_from_file(data)
    with torch.no_grad():
        rgb = model.eval()(spectra)[0]
    return to_uint8(rgb)
