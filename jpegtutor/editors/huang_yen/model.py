"""Huang and Yen's colour-reduction network: a small U-Net that corrects a colour-reduced image.

    reduced = colour_reduce(x)                          # k = 4 colours, no gradient (.palette)
    edited  = clamp(reduced + tanh(UNet([reduced, x])), 0, 1)

The U-Net (facts from the paper and the authors' public code): the two images concatenated (6
channels); three stride-2 3x3 convolutions to 32, 64 and 128 channels, each followed by ReLU then
batch norm; transposed convolutions back up, each concatenated with the encoder's map of the same
size; a last 3x3 convolution to 3 channels, which also sees the input itself. Ours: the last
convolution starts as ``original - reduced``, so a new network returns ``reduced + tanh(original -
reduced)``, within 1 % of the original where the two differ by less than 0.2 (with a short CPU
budget, the network learns where to leave the original, not how to rebuild it from four colours);
inputs are padded (reflect) to a multiple of 8 pixels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .palette import colour_reduce

__all__ = ["ColourReductionEditor", "UNet", "load_editor"]


def _down(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.ReLU(inplace=True), nn.BatchNorm2d(cout))


def _up(cin, cout):
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1), nn.ReLU(inplace=True), nn.BatchNorm2d(cout))


class UNet(nn.Module):
    """``(B, 6, H, W)`` (H, W multiples of 8) -> ``(B, 3, H, W)``, unbounded."""

    def __init__(self, channels=(32, 64, 128)):
        super().__init__()
        c1, c2, c3 = channels
        self.down1, self.down2, self.down3 = _down(6, c1), _down(c1, c2), _down(c2, c3)
        self.up3, self.up2, self.up1 = _up(c3, c2), _up(2 * c2, c1), _up(2 * c1, c1)
        self.out = nn.Conv2d(c1 + 6, 3, 3, padding=1)
        # start near the identity: the last layer passes (original - reduced) from the skipped input
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        with torch.no_grad():
            for c in range(3):
                self.out.weight[c, c1 + c, 1, 1] = -1.0  # input channels 0-2: the colour-reduced image
                self.out.weight[c, c1 + 3 + c, 1, 1] = 1.0  # 3-5: the original

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d1 = self.down1(x)
        d2 = self.down2(d1)
        d3 = self.down3(d2)
        u = self.up3(d3)
        u = self.up2(torch.cat([u, d2], 1))
        u = self.up1(torch.cat([u, d1], 1))
        return self.out(torch.cat([u, x], 1))


class ColourReductionEditor(nn.Module):
    """``editor(image (B, 3, H, W) in [0, 1], quality (B,) ignored) -> edited, same shape, in [0, 1]``.

    The network is trained at one quality (Q = 10) and does not see it. ``colours``: the palette
    size k; ``seed``: the palette fit's seed. :meth:`parts` returns the colour-reduced image and
    the residual as well."""

    def __init__(self, colours: int = 4, seed: int = 0):
        super().__init__()
        self.colours, self.seed = int(colours), int(seed)
        self.unet = UNet()

    def parts(self, image: torch.Tensor) -> dict:
        h, w = image.shape[-2:]
        reduced = colour_reduce(image, self.colours, self.seed)
        ph, pw = -h % 8, -w % 8
        inputs = torch.cat([reduced, image], 1)
        if ph or pw:
            inputs = F.pad(inputs, (0, pw, 0, ph), mode="reflect" if min(h, w) > max(ph, pw) else "replicate")
        residual = torch.tanh(self.unet(inputs))[..., :h, :w]
        return {"reduced": reduced, "residual": residual, "edited": (reduced + residual).clamp(0, 1)}

    def forward(self, image: torch.Tensor, quality: torch.Tensor | None = None) -> torch.Tensor:
        return self.parts(image)["edited"]


def load_editor(name: str = "huang-yen", checkpoint=None) -> ColourReductionEditor:
    """A trained editor in eval mode: the shipped weights ``name`` (``huang-yen``, ``shin-song``)
    or a ``checkpoint`` (a trainer's ``final.pt`` or a shipped file)."""
    from ... import zoo

    state = zoo.load_state(name) if checkpoint is None else zoo.load_state(file=checkpoint)
    editor = ColourReductionEditor()
    try:
        editor.load_state_dict(state)
    except RuntimeError as exc:
        source = checkpoint or f"the shipped {name} weights"
        raise ValueError(f"{source} does not hold a Huang & Yen editor: {str(exc).splitlines()[0]}") from None
    return editor.eval()
