"""Talebi, Kelly, Luo, Garcia Dorado, Yang, Milanfar and Elad, "Better compression with deep pre-editing"
(IEEE TIP 2021).

Two editors run before a standard JPEG encoder, each conditioned on the JPEG quality:

- :class:`SmoothingNet`: a residual CNN (r = 2 residual blocks, 3x3 kernels, 64 feature maps, batch
  norm, LeakyReLU, reflect padding); input RGB plus two constant channels, the noise standard
  deviation and the quality / 100. Pre-trained as a denoiser (L2, Gaussian noise with sigma drawn
  from [0, 0.15]); as an editor it runs with sigma = 0 and learns to remove what costs bits.
- :class:`PatchTransformer`: a small CNN predicts an affine transform (6 numbers) for every 8x8
  JPEG block; each transform acts on the 32x32 window centred on its block; every pixel's sampling
  position is the average of the positions given by all windows covering it (16 in the interior),
  and ``grid_sample`` resamples the image there. Initialised to the identity.

:class:`TalebiEditor` chains them (either can be left out). Training (:func:`train`) follows the
paper: the smoother pre-trained as a denoiser, then smoother and transformer trained separately
with :class:`jpegtutor.editors.blocks.PreEditLoss`, then fine-tuned jointly.

    jpegtutor train talebi --profile quick|full --out runs/talebi
    jpegtutor preedit talebi IN.png OUT.jpg --quality 15 [--per-image-steps 50]
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import PreEditLoss, constant_channels

__all__ = ["CHECKPOINT", "PatchTransformer", "SmoothingNet", "TalebiEditor", "denoise_loss", "load_editor", "train"]

CHECKPOINT = "talebi.pt"  # in data/checkpoints, with its card talebi.json
CHECKPOINT_URL = "https://github.com/jpegtutor/jpegtutor/raw/main/data/checkpoints/talebi.pt"
CHECKPOINT_SHA256 = "81fbf2470a3226f182db046a507880e5997ad790fa617f944079ebb816196320"  # written by `python -m jpegtutor.editors.study ship`
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

def denoise_loss(model: nn.Module, images: torch.Tensor, qualities: torch.Tensor) -> dict:
    """Pre-training of the smoother: L2 between its output on ``images + sigma * noise`` and ``images``,
    sigma uniform in [0, 0.15] per image (torch's global generator, seeded and checkpointed by the trainer)."""
    smoother = model.module.smoother if hasattr(model, "module") else model.smoother
    sigma = torch.rand(images.shape[0], device=images.device) * MAX_SIGMA
    noisy = images + sigma.view(-1, 1, 1, 1) * torch.randn_like(images)
    mse = ((smoother(noisy, qualities, sigma) - images) ** 2).mean()
    return {"loss": 255.0**2 * mse / 100.0, "mse_255": 255.0**2 * mse}


class _EditLoss(nn.Module):
    """``loss(model, images, qualities) -> dict``: the editor's output through :class:`PreEditLoss`."""

    def __init__(self, **options):
        super().__init__()
        self.terms = PreEditLoss(**options)

    def forward(self, model, images, qualities):
        return self.terms(model(images, qualities), images, qualities)


def build(parts: str = "smoother,transformer", stage: str = "edit", quality_model: str = "noref",
          quality_weight: float = 0.02, tv_weight: float = 0.0, rate_weight: float = 1.0, distance: str = "vgg",
          simulator: str = "soft"):
    """The trainer's entry (``MODELS["talebi"]``): ``(editor, loss)``. ``stage``: ``"denoise"`` (the
    smoother's pre-training) or ``"edit"`` (Eq. 5 through the simulator)."""
    editor = TalebiEditor(parts)
    if stage == "denoise":
        if editor.smoother is None:
            raise ValueError("stage 'denoise' trains the smoother: parts must include 'smoother'")
        return editor, denoise_loss
    if stage != "edit":
        raise ValueError(f"stage must be 'denoise' or 'edit', got {stage!r}")
    return editor, _EditLoss(quality_model=quality_model, quality_weight=quality_weight, tv_weight=tv_weight,
                             rate_weight=rate_weight, distance=distance, simulator=simulator)


# The paper's recipe as trainer runs: (name, parts, stage, initialised from, share of the steps, lr factor)
RECIPE = (
    ("1-denoise", "smoother", "denoise", (), 0.2, 1.0),
    ("2-smoother", "smoother", "edit", ("1-denoise",), 0.25, 1.0),
    ("3-transformer", "transformer", "edit", (), 0.25, 1.0),
    ("4-joint", "smoother,transformer", "edit", ("2-smoother", "3-transformer"), 0.3, 0.3),
)
PROFILES = {
    "quick": {"limit_images": 64, "crop": 64, "batch": 4, "max_steps": 40, "lr": 1e-3, "qualities": (8, 25)},
    "cpu": {"crop": 64, "batch": 8, "max_steps": 1000, "lr": 5e-4, "qualities": (8, 25), "ema": 0.99},
    "full": {"crop": 256, "batch": 16, "max_steps": 40000, "lr": 1e-4, "qualities": (8, 25), "ema": 0.999,
             "compile": True, "num_workers": 6},
}


def stage_seconds(run) -> float:
    """Training time of one trainer run, from its log (sum of batch / images_per_s over the steps):
    the same whether the run went through in one go or was resumed."""
    run = Path(run)
    batch = json.loads((run / "config.json").read_text())["batch"]
    lines = (run / "log.jsonl").read_text().splitlines()
    return sum(batch / json.loads(line)["images_per_s"] for line in lines)


def train(out, profile: str = "quick", max_steps: int | None = None, quality_weight: float = 0.02,
          tv_weight: float = 0.0, rate_weight: float = 1.0, simulator: str = "soft", quality_model: str = "noref",
          seed: int = 0, resume: bool = False, echo=print, **overrides) -> dict:
    """Run the paper's four stages (:data:`RECIPE`) in ``out/<stage>/`` and write ``out/talebi.pt``
    (the joint editor's weights) with its card ``out/talebi.json``. ``max_steps``: the total over
    the stages (default: the profile's). ``quality_model``: ``"noref"`` or a TorchScript NR model
    such as NIMA (see :func:`jpegtutor.metrics.noref.load_quality_model`). Returns the card."""
    from ..train import Trainer, TrainConfig

    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
    settings = {**PROFILES[profile], **overrides}
    total = int(max_steps if max_steps is not None else settings.pop("max_steps"))
    settings.pop("max_steps", None)
    base_lr = settings.pop("lr")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start, stages = time.perf_counter(), []
    for name, parts, stage, inits, share, lr_factor in RECIPE:
        steps = max(1, round(share * total))
        options = {"parts": parts, "stage": stage}
        if stage == "edit":
            options.update(quality_weight=quality_weight, tv_weight=tv_weight, rate_weight=rate_weight, simulator=simulator,
                           quality_model=quality_model)
        config = TrainConfig(model="talebi", options=options, init=tuple(str(out / i / "final.pt") for i in inits),
                             max_steps=steps, lr=base_lr * lr_factor, seed=seed, warmup=min(50, steps // 10 + 1),
                             checkpoint_every=max(1, min(500, steps)), **settings)
        echo(f"stage {name}: {parts}, {stage}, {steps} steps")
        t0 = time.perf_counter()
        last = Trainer(config, out / name, resume=resume and (out / name).is_dir(), echo=echo).run()
        stages.append({"stage": name, "parts": parts, "loss": stage, "steps": steps,
                       "seconds": round(stage_seconds(out / name), 1), "wall_seconds": round(time.perf_counter() - t0, 1),
                       "last": last})
    weights = torch.load(out / RECIPE[-1][0] / "final.pt", map_location="cpu", weights_only=True)
    torch.save(weights, out / ".talebi.pt.tmp")
    os.replace(out / ".talebi.pt.tmp", out / CHECKPOINT)
    card = {"model": "talebi", "parts": list(PARTS), "profile": profile, "total_steps": total, "seed": seed,
            "quality_weight": quality_weight, "tv_weight": tv_weight, "rate_weight": rate_weight, "simulator": simulator,
            "quality_model": str(quality_model),
            "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()}, "base_lr": base_lr,
            "stages": stages, "seconds": round(sum(s["seconds"] for s in stages), 1),
            "wall_seconds": round(time.perf_counter() - start, 1), "torch": torch.__version__,
            "device": "cuda" if torch.cuda.is_available() else "cpu",
            "command": f"jpegtutor train talebi --profile {profile} --max-steps {total} --out {out}"}
    (out / "talebi.json").write_text(json.dumps(card, indent=1))
    return card


# -- using a trained editor ----------------------------------------------------------------------

def _find_checkpoint(checkpoint) -> Path:
    from ..resources import ResourceNotFoundError, cache_dir, download, offline, repo_root

    if checkpoint is not None:
        path = Path(checkpoint).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"no checkpoint at {path}")
        return path
    places = []
    if os.environ.get("JPEGTUTOR_CHECKPOINTS"):
        places.append(Path(os.environ["JPEGTUTOR_CHECKPOINTS"]) / CHECKPOINT)
    if repo_root() is not None:
        places.append(repo_root() / "data" / "checkpoints" / CHECKPOINT)
    places.append(cache_dir() / "checkpoints" / CHECKPOINT)
    for place in places:
        if place.is_file():
            return place
    if not offline() and CHECKPOINT_SHA256:
        return download(CHECKPOINT_URL, places[-1], sha256=CHECKPOINT_SHA256, desc=CHECKPOINT)
    raise ResourceNotFoundError("the trained Talebi editor was not found; searched:\n" + "\n".join(f"  - {p}" for p in places)
                                + "\ntrain one with `jpegtutor train talebi --out DIR` and pass --checkpoint DIR/talebi.pt")


def load_editor(checkpoint=None, parts=None) -> TalebiEditor:
    """A trained :class:`TalebiEditor` in eval mode (frozen). ``checkpoint``: a ``.pt`` state dict
    (default: the shipped ``data/checkpoints/talebi.pt``); its parts are read from its keys."""
    path = _find_checkpoint(checkpoint)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated or not a torch file
        raise ValueError(f"{path} is not a readable checkpoint: {exc}") from exc
    if not isinstance(state, dict) or not state:
        raise ValueError(f"{path} does not hold a state dict")
    found = tuple(p for p in PARTS if any(k.startswith(p + ".") for k in state))
    if not found:
        raise ValueError(f"{path} holds no Talebi editor weights (keys like {sorted(state)[:2]})")
    editor = TalebiEditor(parts or found)
    editor.load_state_dict({k: v for k, v in state.items() if k.split(".")[0] in editor.parts})
    return editor.requires_grad_(False).eval()
