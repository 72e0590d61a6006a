"""Ye et al.'s preprocessor as we build it, and the rate network that trains beside it.

The paper's architecture is not public. Ours (:class:`Preprocessor`) is a compact residual CNN:
five 3x3 convolutions of 32 channels with LeakyReLU and reflect padding, the JPEG quality / 100
as a constant input channel, and a zero-initialised last layer, so that a new preprocessor is the
identity. Its receptive field (11 x 11 pixels) covers a JPEG block and a ring of its neighbours,
which is the reach a pre-edit needs to know what the quantizer will do to a block; 29 k weights
keep a training step cheap on a CPU.

:class:`YeModel` holds the preprocessor and the rate network (:class:`jpegtutor.rate.RateNetwork`)
so that the trainer's checkpoints hold both: a resumed run continues with the rate network it had.
Only the preprocessor runs at inference (:func:`load_preprocessor`).
"""

from __future__ import annotations

import torch
from torch import nn

from ...rate import RateNetwork
from ..layers import constant_channels

__all__ = ["Preprocessor", "YeModel", "load_preprocessor", "load_rate_network"]


class Preprocessor(nn.Module):
    """``(image (B, 3, H, W) in [0, 1], quality (B,) in [1, 100]) -> edited image in [0, 1]``, same shape."""

    def __init__(self, channels: int = 32, layers: int = 5):
        super().__init__()
        body = [nn.Conv2d(4, channels, 3, padding=1, padding_mode="reflect"), nn.LeakyReLU(0.2)]
        for _ in range(layers - 2):
            body += [nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect"), nn.LeakyReLU(0.2)]
        body.append(nn.Conv2d(channels, 3, 3, padding=1, padding_mode="reflect"))
        self.body = nn.Sequential(*body)
        nn.init.zeros_(self.body[-1].weight)
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, image: torch.Tensor, quality) -> torch.Tensor:
        quality = torch.as_tensor(quality, dtype=image.dtype, device=image.device)
        quality = quality.expand(image.shape[0]) if quality.ndim == 0 else quality
        return (image + self.body(constant_channels(image, quality / 100.0))).clamp(0, 1)


class YeModel(nn.Module):
    """The preprocessor and its rate network; ``forward`` is the preprocessor's."""

    def __init__(self, channels: int = 32, layers: int = 5, rate_width: int = 64):
        super().__init__()
        self.preprocessor = Preprocessor(channels, layers)
        self.rate = RateNetwork(rate_width)

    def forward(self, image, quality):
        return self.preprocessor(image, quality)


def load_preprocessor(name: str = "ye", checkpoint=None) -> Preprocessor:
    """A trained :class:`Preprocessor` in eval mode: the shipped weights ``name`` (``ye``,
    ``ye-msssim``, ``ye-lpips``) or a ``checkpoint`` (a trainer's ``final.pt`` or a shipped file)."""
    from ... import zoo

    state = zoo.load_state(name) if checkpoint is None else zoo.load_state(file=checkpoint)
    source = checkpoint or f"the shipped {name} weights"
    own = {k[len("preprocessor."):]: v for k, v in state.items() if k.startswith("preprocessor.")} or state
    if "body.0.weight" not in own:
        raise ValueError(f"{source} holds no Ye preprocessor weights (keys like {sorted(state)[:2]})")
    channels = own["body.0.weight"].shape[0]
    layers = sum(1 for k in own if k.endswith(".weight"))
    model = Preprocessor(channels, layers)
    try:
        model.load_state_dict(own)
    except RuntimeError as exc:
        raise ValueError(f"{source} does not match the Ye preprocessor: {str(exc).splitlines()[0]}") from None
    return model.requires_grad_(False).eval()


def load_rate_network(name: str = "ye", checkpoint=None) -> RateNetwork:
    """The rate network as refitted during the training of ``name`` (or of ``checkpoint``), frozen;
    the shipped ``rate-network`` where the file holds none."""
    from ... import zoo

    state = zoo.load_state(name) if checkpoint is None else zoo.load_state(file=checkpoint)
    own = {k[len("rate."):]: v for k, v in state.items() if k.startswith("rate.")} or zoo.load_state("rate-network")
    network = RateNetwork(own["net.0.weight"].shape[0])
    network.load_state_dict(own)
    return network.requires_grad_(False).eval()
