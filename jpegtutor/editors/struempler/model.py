"""Struempler et al.'s model: DCT-domain attention from VGG features and two learned quantization tables.

- :class:`Attention`: ImageNet VGG-16 up to its third max-pooling (stride 8, 256 channels; the
  paper uses VGG-19's, whose weights are not at hand here), a 1x1 convolution to 128 channels and a
  sigmoid, reshaped to one 8x8 mask per block for luma and one for chroma (Sec. 3.2: the chroma
  mask serves Cb and Cr). ``(B, 3, H, W)`` in [0, 1] -> ``(B, 2, ceil(H/8), ceil(W/8), 64)`` in (0, 1),
  frequencies in natural order (``8 v + u``), as the simulator's coefficients.
- :class:`LearnedTables`: ``Q = w / s`` (luma, chroma), initialised uniformly in [1, 2] and kept
  in [1, 255] (Sec. 4.1). ``s`` sets how far one Adam step moves a table entry (the paper:
  learning rate 1e-6, s = 1e-5, so 0.1 per step); the file gets ``floor(Q + 1/2)``, the rounding
  libjpeg applies to the tables it scales (``(B s + 50) / 100`` in integers).
- :class:`StruemplerModel`: both, at 4:4:4; ``attention=False`` is the tables-only ablation, and
  ``tables=False`` the attention with fixed (IJG, quality 50) tables.

``encode(model, image)`` writes the real file from the masked coefficients (:func:`write_file`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...jpeg import codec, quant
from ...jpeg.errors import JPEGError
from ...metrics.lpips_network import imagenet_features
from ...zoo import load_state

__all__ = ["Attention", "LearnedTables", "StruemplerModel", "file_tables", "load_model", "reencoded_file", "trainable_state", "write_file"]

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


class Attention(nn.Module):
    """VGG-16 (to pool3) -> 1x1 conv (256 -> 128) -> sigmoid -> ``(B, 2, hb, wb, 64)`` masks."""

    def __init__(self, train_vgg: bool = False, weights=None):
        super().__init__()
        self.vgg = imagenet_features("vgg", 17, weights)
        self.vgg.requires_grad_(train_vgg)
        self.train_vgg = train_vgg
        self.head = nn.Conv2d(256, 128, 1)
        # The paper: Glorot uniform weights and zero bias, which on VGG's pool3 features (values in the
        # tens) saturates the sigmoid at random 0s and 1s. We start from the identity edit instead
        # (masks about 0.98: small weights, bias 4), which a CPU budget of hundreds of steps needs.
        nn.init.xavier_uniform_(self.head.weight, gain=0.01)
        nn.init.constant_(self.head.bias, 4.0)
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        b, _, h, w = images.shape
        hb, wb = -(-h // 8), -(-w // 8)
        x = nn.functional.pad(images, (0, wb * 8 - w, 0, hb * 8 - h), mode="replicate")  # as libjpeg pads
        x = (x - self.mean) / self.std
        with torch.set_grad_enabled(self.train_vgg and torch.is_grad_enabled()):
            features = self.vgg(x)
        masks = torch.sigmoid(self.head(features))  # (B, 128, hb, wb)
        return masks.view(b, 2, 64, hb, wb).permute(0, 1, 3, 4, 2)


class _ClampSTE(torch.autograd.Function):
    """Clamp to [1, 255] in the forward pass, identity gradient (so an entry at a bound can return)."""

    @staticmethod
    def forward(ctx, x):
        return x.clamp(1.0, 255.0)

    @staticmethod
    def backward(ctx, grad):
        return grad


class LearnedTables(nn.Module):
    """Two 8x8 tables ``Q = clamp(w / s, 1, 255)``; ``forward() -> (2, 8, 8)`` float."""

    def __init__(self, step: float = 0.1, lr: float = 1e-6, seed: int = 0):
        super().__init__()
        scale = lr / step  # s: one Adam step (about lr in w) moves Q by about `step`
        self.register_buffer("scale", torch.tensor(scale))  # in the state: w means nothing without it
        generator = torch.Generator().manual_seed(seed)
        self.w = nn.Parameter((1 + torch.rand(2, 8, 8, generator=generator, dtype=torch.float64).float()) * scale)

    def forward(self) -> torch.Tensor:
        return _ClampSTE.apply(self.w / self.scale)


def file_tables(tables: torch.Tensor) -> np.ndarray:
    """The integer tables the file stores: ``floor(Q + 1/2)`` clipped to [1, 255], ``(2, 8, 8)`` int32."""
    q = tables.detach().double().cpu().numpy()
    return np.clip(np.floor(q + 0.5), 1, 255).astype(np.int32)


class StruemplerModel(nn.Module):
    """``forward(images) -> (masks (B, 2, hb, wb, 64) or None, tables (2, 8, 8))``."""

    def __init__(self, attention: bool = True, tables: bool = True, train_vgg: bool = False, table_step: float = 0.1,
                 lr: float = 1e-6, seed: int = 0):
        super().__init__()
        if not attention and not tables:
            raise ValueError("a Struempler model needs the attention, the learned tables or both")
        self.attention = Attention(train_vgg) if attention else None
        self.tables = LearnedTables(table_step, lr, seed) if tables else None
        if not tables:
            self.register_buffer("fixed", torch.from_numpy(quant.tables_for_quality(50)).float())

    def forward(self, images: torch.Tensor):
        masks = self.attention(images) if self.attention is not None else None
        tables = self.tables() if self.tables is not None else self.fixed
        return masks, tables

    @staticmethod
    def component_masks(masks: torch.Tensor | None) -> list | None:
        """``[Y, Cb, Cr]`` masks for the simulator from ``(B, 2, hb, wb, 64)`` (chroma shared)."""
        return None if masks is None else [masks[:, 0], masks[:, 1], masks[:, 1]]


def write_file(model: StruemplerModel, image: np.ndarray, optimize: bool = True) -> bytes:
    """The real JPEG of ``uint8 (H, W, 3)``: libjpeg's own DCT coefficients (4:4:4), times the
    model's masks, quantized with its integer tables (``round(c m / Q)``, halves away from zero, in
    float32 as the simulator's exact mode computes it), written by :func:`jpegtutor.jpeg.write_coefficients`
    with the learned tables in the DQT segments."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be uint8 (H, W, 3), got {getattr(image, 'dtype', type(image))} {getattr(image, 'shape', '')}")
    model.eval()
    with torch.no_grad():
        x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255.0
        masks, tables = model(x)
    integer = file_tables(tables)
    dcts = codec.dct_coefficients(image, "4:4:4")  # per component (hb, wb, 8, 8), libjpeg's scale (x 8)
    blocks = []
    for c, dct8 in enumerate(dcts):
        coefficient = torch.from_numpy(dct8.reshape(*dct8.shape[:2], 64)).float() / 8.0
        if masks is not None:
            coefficient = coefficient * masks[0, min(c, 1)]
        ratio = coefficient / torch.from_numpy(integer[min(c, 1)].reshape(64)).float()
        levels = torch.sign(ratio) * torch.floor(ratio.abs() + 0.5)
        if levels.abs().max() > 1023:
            raise JPEGError("a quantized coefficient exceeds baseline JPEG's range (table entries too small)")
        blocks.append(levels.numpy().astype(np.int16).reshape(dct8.shape))
    h, w = image.shape[:2]
    coefs = codec.Coefficients(h, w, blocks, integer, [0, 1, 1], [(1, 1)] * 3, [1, 2, 3])
    return codec.write_coefficients(coefs, optimize=optimize)


def reencoded_file(model: StruemplerModel, image: np.ndarray) -> bytes:
    """The other route: the edit as pixels (inverse DCT of the masked, *unquantized* coefficients,
    rounded to 8 bits, converted to RGB as libjpeg does), then encoded again as libjpeg (Pillow) would at 4:4:4 with the same integer
    tables and optimized Huffman tables. It quantizes a second, already edited DCT, so it costs
    what :func:`write_file` does not."""
    from ...jpeg import dct
    from ...jpeg.color import ycbcr_to_rgb_libjpeg

    model.eval()
    with torch.no_grad():
        x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255.0
        masks, tables = model(x)
    planes = []
    for c, dct8 in enumerate(codec.dct_coefficients(image, "4:4:4")):
        coefficient = dct8.reshape(*dct8.shape[:2], 64) / 8.0
        if masks is not None:
            coefficient = coefficient * masks[0, min(c, 1)].double().numpy()
        blocks = dct.idct2(coefficient.reshape(*dct8.shape)) + 128.0  # (hb, wb, 8, 8)
        hb, wb = blocks.shape[:2]
        planes.append(blocks.transpose(0, 2, 1, 3).reshape(hb * 8, wb * 8)[: image.shape[0], : image.shape[1]])
    ycc = np.clip(np.floor(np.stack(planes, axis=-1) + 0.5), 0, 255).astype(np.uint8)  # as a decoder rounds
    edited = ycbcr_to_rgb_libjpeg(ycc)
    return codec.encode(edited, None, "4:4:4", optimize=True, qtables=file_tables(tables))  # = Pillow's bytes


def trainable_state(model: StruemplerModel) -> dict:
    """The state to store: everything but a frozen VGG (ImageNet's weights, loaded from the backbone file)."""
    frozen = model.attention is not None and not model.attention.train_vgg
    return {k: v for k, v in model.state_dict().items() if not (frozen and k.startswith("attention.vgg."))}


def load_model(checkpoint, **options) -> StruemplerModel:
    """A trained model from a state-dict file or a zoo name. The model's shape (attention, tables)
    is read from the state; a state without VGG weights gets ImageNet's (a frozen VGG)."""
    path = str(checkpoint)
    state = torch.load(path, map_location="cpu", weights_only=True) if path.endswith(".pt") else load_state(path)
    attention = any(k.startswith("attention.") for k in state)
    tables = any(k.startswith("tables.") for k in state)
    model = StruemplerModel(attention=attention, tables=tables,
                            train_vgg=any(k.startswith("attention.vgg.") for k in state), **options)
    if tables and "tables.scale" not in state:
        raise ValueError(f"{path} has learned tables but no tables.scale (Q = w / scale): not a complete Struempler state")
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [k for k in missing if not k.startswith("attention.vgg.")]:
        raise ValueError(f"{path} is not a Struempler model: missing {missing[:3]}, unexpected {unexpected[:3]}")
    return model.eval()

