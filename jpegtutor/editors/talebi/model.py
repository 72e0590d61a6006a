"""Talebi et al.'s two editors as networks: the smoothing CNN and the patch-based spatial transformer."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import constant_channels

__all__ = ["MAX_SIGMA", "PARTS", "PatchTransformer", "SmoothingNet", "TalebiEditor", "load_editor"]

PARTS = ("smoother", "transformer")
MAX_SIGMA = 0.15


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, padding_mode="reflect")


class _ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(_conv(channels, channels), nn.BatchNorm2d(channels), nn.LeakyReLU(0.2),
                                  _conv(channels, channels), nn.BatchNorm2d(channels))

    def forward(self, x):
        return x + self.body(x)


class SmoothingNet(nn.Module):
    """``(image (B, 3, H, W) in [0, 1], quality (B,), sigma (B,) or None) -> (B, 3, H, W)``, unclamped.

    Predicts a residual added to the input (for a denoiser, minus the noise). ``sigma`` is the
    noise level the input is told it carries (0 for clean images, the default).
    """

    def __init__(self, channels: int = 64, blocks: int = 2):
        super().__init__()
        self.head = nn.Sequential(_conv(5, channels), nn.LeakyReLU(0.2))
        self.blocks = nn.Sequential(*[_ResidualBlock(channels) for _ in range(blocks)])
        self.merge = nn.Sequential(_conv(channels, channels), nn.BatchNorm2d(channels))
        self.tail = _conv(channels, 3)
        nn.init.zeros_(self.tail.weight)  # starts as the identity, like the transformer
        nn.init.zeros_(self.tail.bias)

    def forward(self, image, quality, sigma=None):
        if sigma is None:
            sigma = torch.zeros_like(quality)
        h = self.head(constant_channels(image, sigma, quality / 100.0))
        h = h + self.merge(self.blocks(h))
        return image + self.tail(h)


class PatchTransformer(nn.Module):
    """``(image (B, 3, H, W) in [0, 1], quality (B,)) -> warped image``, same shape, any H and W.

    Per 8x8 block an affine map ``p -> c + A (p - c) + t`` of its 32x32 window (``c`` the block
    centre); ``A = I + max_linear * tanh(a)``, ``t = max_shift * tanh(b)`` pixels, so each window
    moves at most ``max_shift`` pixels and changes scale by at most ``max_linear``. The last layer
    is zero, so a new transformer is the identity.
    """

    BLOCK, WINDOW = 8, 32

    def __init__(self, channels: int = 32, max_linear: float = 0.25, max_shift: float = 4.0):
        super().__init__()
        self.max_linear, self.max_shift = max_linear, max_shift
        self.localize = nn.Sequential(
            _conv(4, channels), nn.LeakyReLU(0.2),
            _conv(channels, channels, 2), nn.LeakyReLU(0.2),
            _conv(channels, 2 * channels, 2), nn.LeakyReLU(0.2),
            _conv(2 * channels, 2 * channels, 2), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * channels, 2 * channels, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * channels, 6, 1),
        )
        nn.init.zeros_(self.localize[-1].weight)
        nn.init.zeros_(self.localize[-1].bias)

    def transforms(self, image: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
        """The per-block parameters ``(B, 6, ceil(H/8), ceil(W/8))``: ``A - I`` (row-major, y/x) and ``t`` (y, x) in pixels."""
        h, w = image.shape[-2:]
        pad_h, pad_w = -h % self.BLOCK, -w % self.BLOCK
        padded = F.pad(image, (0, pad_w, 0, pad_h), mode="replicate") if (pad_h or pad_w) else image
        raw = self.localize(constant_channels(padded, quality / 100.0))
        return torch.cat([self.max_linear * torch.tanh(raw[:, :4]), self.max_shift * torch.tanh(raw[:, 4:])], 1)

    def displacement(self, params: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """Average displacement ``(B, 2, H, W)`` (y, x; pixels) over every 32x32 window covering each pixel."""
        b, _, hb, wb = params.shape
        block, half = self.BLOCK, self.WINDOW // 2
        reach = (half - block // 2 + block - 1) // block  # neighbouring blocks whose window can reach a pixel: 2
        padded = F.pad(params, (reach,) * 4)
        valid = F.pad(params.new_ones(1, 1, hb, wb), (reach,) * 4)
        offset = (torch.arange(block, dtype=params.dtype, device=params.device) + 0.5 - block / 2)  # pixel - own centre
        total = params.new_zeros(b, 2, hb * block, wb * block)
        count = params.new_zeros(1, 1, hb * block, wb * block)
        for dy in range(-reach, reach + 1):
            ry = (offset - block * dy).repeat(hb).view(1, 1, -1, 1)  # pixel - centre of the block dy rows away
            for dx in range(-reach, reach + 1):
                rx = (offset - block * dx).repeat(wb).view(1, 1, 1, -1)
                window = ((ry.abs() < half) & (rx.abs() < half)).to(params.dtype)
                sl = (slice(None), slice(None), slice(reach + dy, reach + dy + hb), slice(reach + dx, reach + dx + wb))
                p = padded[sl].repeat_interleave(block, 2).repeat_interleave(block, 3)
                m = valid[sl].repeat_interleave(block, 2).repeat_interleave(block, 3) * window
                disp_y = p[:, 0:1] * ry + p[:, 1:2] * rx + p[:, 4:5]
                disp_x = p[:, 2:3] * ry + p[:, 3:4] * rx + p[:, 5:6]
                total = total + torch.cat([disp_y, disp_x], 1) * m
                count = count + m
        return (total / count)[:, :, :height, :width]

    def forward(self, image: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
        b, _, h, w = image.shape
        disp = self.displacement(self.transforms(image, quality), h, w)
        ys = torch.arange(h, dtype=image.dtype, device=image.device).view(1, h, 1) + 0.5 + disp[:, 0]
        xs = torch.arange(w, dtype=image.dtype, device=image.device).view(1, 1, w) + 0.5 + disp[:, 1]
        grid = torch.stack([2 * xs / w - 1, 2 * ys / h - 1], dim=-1)  # (B, H, W, 2), x first
        return F.grid_sample(image, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


class TalebiEditor(nn.Module):
    """``editor(image (B, 3, H, W) in [0, 1], quality (B,) in [1, 100]) -> edited image in [0, 1]``.

    ``parts``: which of ``("smoother", "transformer")`` to run, in that order.
    """

    def __init__(self, parts=PARTS):
        super().__init__()
        parts = tuple(parts.split(",")) if isinstance(parts, str) else tuple(parts)
        if not parts or any(p not in PARTS for p in parts):
            raise ValueError(f"parts must be a non-empty subset of {PARTS}, got {parts}")
        self.parts = parts
        self.smoother = SmoothingNet() if "smoother" in parts else None
        self.transformer = PatchTransformer() if "transformer" in parts else None

    def forward(self, image: torch.Tensor, quality) -> torch.Tensor:
        quality = torch.as_tensor(quality, dtype=image.dtype, device=image.device)
        quality = quality.expand(image.shape[0]) if quality.ndim == 0 else quality
        out = image
        if self.smoother is not None:
            out = self.smoother(out, quality)
        if self.transformer is not None:
            out = self.transformer(out, quality)
        return out.clamp(0, 1)


# -- training -------------------------------------------------------------------------------------


def load_editor(checkpoint=None, parts=None) -> TalebiEditor:
    """A trained :class:`TalebiEditor` in eval mode (frozen). ``checkpoint``: a ``.pt`` state dict
    (default: the shipped weights, zoo name ``talebi``); its parts are read from its keys."""
    from ... import zoo

    state = zoo.load_state("talebi") if checkpoint is None else zoo.load_state(file=checkpoint)
    source = checkpoint or "the shipped talebi weights"
    found = tuple(p for p in PARTS if any(k.startswith(p + ".") for k in state))
    if not found:
        raise ValueError(f"{source} holds no Talebi editor weights (keys like {sorted(state)[:2]})")
    editor = TalebiEditor(parts or found)
    try:
        editor.load_state_dict({k: v for k, v in state.items() if k.split(".")[0] in editor.parts})
    except RuntimeError as exc:
        raise ValueError(f"{source} does not match the Talebi editor's layers: {str(exc).splitlines()[0]}") from None
    return editor.requires_grad_(False).eval()
