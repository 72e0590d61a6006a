"""Talebi, Kelly, Luo, Garcia Dorado, Yang, Milanfar and Elad, "Better compression with deep pre-editing"
(IEEE TIP 2021): the editor, registered as the method ``talebi``.

Two editors run before a standard JPEG encoder, each conditioned on the JPEG quality:

- :class:`SmoothingNet`: a residual CNN (r = 2 residual blocks, 3x3 kernels, 64 feature maps, batch
  norm, LeakyReLU, reflect padding); input RGB plus two constant channels, the noise standard
  deviation and the quality / 100. Pre-trained as a denoiser (L2, Gaussian noise with sigma drawn
  from [0, 0.15]); as an editor it runs with sigma = 0 and learns to remove what costs bits.
- :class:`PatchTransformer`: a small CNN predicts an affine transform (6 numbers) for every 8x8
  JPEG block; each transform acts on the 32x32 window centred on its block; every pixel's sampling
  position is the average of the positions given by all windows covering it (16 in the interior),
  and ``grid_sample`` resamples the image there. Initialised to the identity.

:class:`TalebiEditor` chains them (either can be left out). Training (:func:`.recipe.train`) follows
the paper: the smoother pre-trained as a denoiser, then smoother and transformer trained separately
with :class:`jpegtutor.editors.loss.PreEditLoss`, then fine-tuned jointly.

    jpegtutor train talebi --profile quick|full --out runs/talebi
    jpegtutor preedit talebi IN.png OUT.jpg --quality 15 [--per-image-steps 50]
    jpegtutor eval --method talebi+mozjpeg --dataset kodak --baseline mozjpeg

Files: :mod:`.model` (the networks, :func:`~.model.load_editor`), :mod:`.recipe` (the four stages).
"""

from __future__ import annotations

from ... import registry
from .model import PARTS, PatchTransformer, SmoothingNet, TalebiEditor, load_editor
from .recipe import CHECKPOINT, OPTIONS, PROFILES, RECIPE, build, denoise_loss, stage_seconds, train

__all__ = ["CHECKPOINT", "OPTIONS", "PARTS", "PROFILES", "RECIPE", "PatchTransformer", "SmoothingNet", "TalebiEditor",
           "build", "denoise_loss", "load", "load_editor", "stage_seconds", "train"]

TRAINED_QUALITIES = (8, 25)


def load(checkpoint=None):
    """``edit(image uint8 (H, W, 3), quality, subsampling, per_image_steps=0, ...) -> uint8`` of the trained editor."""
    from ..run import network_editor

    return network_editor(load_editor(checkpoint), "talebi")


registry.register_editor(registry.Editor(
    "talebi", "Talebi et al. 2021: quality-conditioned smoothing CNN (+ patch spatial transformer), shipped: smoother",
    load=load, points=(8, 10, 12, 15, 18, 21, 25), trained_range=TRAINED_QUALITIES, train=train,
    profiles=tuple(PROFILES), options=dict(OPTIONS), weights="talebi", build=build,
    step_settings={k: v for k, v in PROFILES["cpu"].items() if k in ("crop", "batch", "lr", "qualities")}))
