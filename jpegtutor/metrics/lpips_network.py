"""LPIPS (Zhang et al., CVPR 2018), version 0.1, with AlexNet or VGG-16, without torchvision.

The network is small enough to write down: an ImageNet backbone cut into five stages, each stage's
activations normalised to unit length along channels, squared differences weighted per channel by
a learned 1x1 "linear" layer, averaged over space and summed over stages. We build the two
backbones here (torchvision cannot be imported next to the CPU build of torch) and load:

- the official LPIPS v0.1 linear weights, shipped in ``jpegtutor/zoo/weights`` (BSD-2-Clause,
  Copyright (c) 2018 Richard Zhang, Phillip Isola, Alexei A. Efros, Eli Shechtman, Oliver Wang;
  from the ``lpips`` 0.1.4 package, see ``jpegtutor/zoo/weights/LICENSE-lpips``);
- the ImageNet backbone weights (torchvision's, BSD-3-Clause), found in this order: an explicit
  path, ``$JPEGTUTOR_WEIGHTS``, ``../shared/weights``, the torch hub cache, then a download of
  torchvision's file (hash-checked; never when ``$JPEGTUTOR_OFFLINE`` is set).

>>> from jpegtutor.metrics import lpips
>>> d = lpips(x, y, net="alex")        # x, y: (B, 3, H, W) in [0, 1]; d: (B,)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .. import zoo
from ..resources import ResourceNotFoundError, download, offline, shared_dirs
from ._checks import check_pair

__all__ = ["LPIPS", "MIN_SIDE", "NETS", "backbone_weights_path", "imagenet_features", "lpips"]

MIN_SIDE = 32  # AlexNet's first four stages shrink a side by 16 and need 3x3 left for pooling


@dataclass(frozen=True)
class _Net:
    # torchvision ``features`` layout: ("C", in, out, kernel, stride, padding) | ("R",) | ("M", kernel)
    layers: tuple
    stage_ends: tuple[int, ...]  # the ReLU after which each of the five stages is tapped
    channels: tuple[int, ...]
    shared_file: str  # features-only file in ../shared/weights
    hub_file: str  # torchvision's full checkpoint name in the torch hub cache
    url: str


def _vgg16_layers() -> tuple:
    layers, cin = [], 3
    for block in ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)):
        for cout in block:
            layers += [("C", cin, cout, 3, 1, 1), ("R",)]
            cin = cout
        layers.append(("M", 2))
    return tuple(layers)


NETS: dict[str, _Net] = {
    "alex": _Net(
        layers=(("C", 3, 64, 11, 4, 2), ("R",), ("M", 3), ("C", 64, 192, 5, 1, 2), ("R",), ("M", 3),
                ("C", 192, 384, 3, 1, 1), ("R",), ("C", 384, 256, 3, 1, 1), ("R",),
                ("C", 256, 256, 3, 1, 1), ("R",), ("M", 3)),
        stage_ends=(2, 5, 8, 10, 12),
        channels=(64, 192, 384, 256, 256),
        shared_file="alexnet_features_imagenet.pth",
        hub_file="alexnet-owt-7be5be79.pth",
        url="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
    ),
    "vgg": _Net(
        layers=_vgg16_layers(),
        stage_ends=(4, 9, 16, 23, 30),
        channels=(64, 128, 256, 512, 512),
        shared_file="vgg16_features_imagenet.pth",
        hub_file="vgg16-397923af.pth",
        url="https://download.pytorch.org/models/vgg16-397923af.pth",
    ),
}


def _build_features(net: _Net) -> nn.Sequential:
    modules: list[nn.Module] = []
    for spec in net.layers:
        if spec[0] == "C":
            _, cin, cout, k, s, p = spec
            modules.append(nn.Conv2d(cin, cout, k, stride=s, padding=p))
        elif spec[0] == "R":
            modules.append(nn.ReLU(inplace=False))
        else:
            modules.append(nn.MaxPool2d(kernel_size=spec[1], stride=2))
    return nn.Sequential(*modules)


def imagenet_features(net: str, upto: int, weights: str | os.PathLike | None = None) -> nn.Sequential:
    """The first ``upto`` layers of an LPIPS backbone's ``features`` (``"vgg"``: VGG-16, ``"alex"``)
    with their ImageNet weights, e.g. ``imagenet_features("vgg", 17)``: VGG-16 to its third pooling
    (stride 8, 256 channels). Inputs are ImageNet-normalized RGB."""
    if net not in NETS:
        raise ValueError(f"net must be one of {sorted(NETS)}, got {net!r}")
    layers = _build_features(NETS[net])[:upto]
    state = torch.load(backbone_weights_path(net, weights), map_location="cpu", weights_only=True)
    own = layers.state_dict()
    layers.load_state_dict({k: state[f"features.{k}"] for k in own})
    return layers


def backbone_weights_path(net: str, path: str | os.PathLike | None = None) -> Path:
    """Find (or download) the ImageNet weights of an LPIPS backbone; see the module docstring."""
    if net not in NETS:
        raise ValueError(f"net must be one of {sorted(NETS)}, got {net!r}")
    spec = NETS[net]
    places: list[Path] = []
    if path is not None:
        places.append(Path(path).expanduser())
    if os.environ.get("JPEGTUTOR_WEIGHTS"):
        places.append(Path(os.environ["JPEGTUTOR_WEIGHTS"]).expanduser() / spec.shared_file)
    places += [shared / "weights" / spec.shared_file for shared in shared_dirs()]
    hub = Path(torch.hub.get_dir()) / "checkpoints" / spec.hub_file
    places.append(hub)
    for place in places:
        if place.is_file():
            return place
    if path is not None:
        raise ResourceNotFoundError(f"LPIPS backbone weights: no file at {path}")
    if not offline():
        hash_prefix = spec.hub_file.rsplit("-", 1)[-1].split(".")[0]
        return download(spec.url, hub, sha256_prefix=hash_prefix, desc=spec.hub_file)
    searched = "\n".join(f"  - {p}" for p in places)
    raise ResourceNotFoundError(
        f"ImageNet weights for the LPIPS {net!r} backbone were not found. Searched:\n{searched}\n"
        f"Download is off (JPEGTUTOR_OFFLINE is set). Get {spec.url} into {hub.parent}, "
        "or set $JPEGTUTOR_WEIGHTS to a folder holding " + spec.shared_file + "."
    )


class LPIPS(nn.Module):
    """LPIPS v0.1 distance as a module (frozen weights, eval mode).

    ``forward(x, y)``: ``(B, 3, H, W)`` float in ``[0, 1]`` each, to ``(B,)`` distances (0 = identical).
    Differentiable with respect to the inputs, so it can serve as a training loss.
    """

    # LPIPS' ScalingLayer: inputs in [-1, 1] are standardised with these (ImageNet statistics).
    SHIFT = (-0.030, -0.088, -0.188)
    SCALE = (0.458, 0.448, 0.450)

    def __init__(self, net: str = "alex", weights: str | os.PathLike | None = None):
        super().__init__()
        if net not in NETS:
            raise ValueError(f"net must be one of {sorted(NETS)}, got {net!r}")
        self.net = net
        spec = NETS[net]
        self.features = _build_features(spec)
        self.stage_ends = spec.stage_ends
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in spec.channels)
        self.register_buffer("shift", torch.tensor(self.SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(self.SCALE).view(1, 3, 1, 1))
        self._load(backbone_weights_path(net, weights), zoo.path(f"lpips-{net}"))
        self.requires_grad_(False)
        self.eval()

    def _load(self, backbone: Path, linear: Path) -> None:
        state = torch.load(backbone, map_location="cpu", weights_only=True)
        features = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
        missing = set(self.features.state_dict()) - set(features)
        if missing:
            raise ValueError(f"{backbone} is not a {self.net} checkpoint: missing {sorted(missing)[:3]}")
        self.features.load_state_dict({k: features[k] for k in self.features.state_dict()})
        lin = torch.load(linear, map_location="cpu", weights_only=True)
        self.lins.load_state_dict({f"{i}.weight": lin[f"lin{i}.model.1.weight"] for i in range(5)})

    def stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The five tapped activations for ``x`` in ``[0, 1]``, ``(B, 3, H, W)``."""
        h = ((2 * x - 1) - self.shift) / self.scale
        taps, start = [], 0
        for end in self.stage_ends:
            h = self.features[start:end](h)
            taps.append(h)
            start = end
        return taps

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x, y = check_pair(x, y, "lpips", min_side=MIN_SIDE)
        total = x.new_zeros(x.shape[0])
        for lin, fx, fy in zip(self.lins, self.stages(x), self.stages(y)):
            fx = fx / (fx.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            fy = fy / (fy.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            total = total + lin((fx - fy).pow(2)).mean((1, 2, 3))
        return total


_CACHE: dict[tuple[str, str], LPIPS] = {}


def lpips(x: torch.Tensor, y: torch.Tensor, net: str = "alex") -> torch.Tensor:
    """LPIPS v0.1 distance per image: ``(B, 3, H, W)`` pairs in ``[0, 1]`` to ``(B,)``.

    The network for each ``(net, device)`` is built once and cached.
    """
    if net not in NETS:
        raise ValueError(f"net must be one of {sorted(NETS)}, got {net!r}")
    key = (net, str(x.device) if isinstance(x, torch.Tensor) else "cpu")
    if key not in _CACHE:
        _CACHE[key] = LPIPS(net).to(key[1])
    return _CACHE[key](x, y)
