"""Huang and Yen, "Differentiable JPEG-guided pre-processing for perceptual enhancement at extremely
low bitrates" (2026), and the two baselines they compare with: registered as ``huang-yen``,
``shin-song`` and ``shoda``.

- :mod:`.palette`: colour reduction with a Gaussian mixture palette (k = 4 colours per image);
- :mod:`.model`: the U-Net that adds a residual to the colour-reduced image;
- :mod:`.recipe`: training at Q = 10 through a simulator, with L1 + VGG + LPIPS;
- :mod:`.contour`: Shoda et al.'s pseudo-contour suppression (median, Canny, closing, region
  flattening, guided filter), which Huang and Yen drop.

``huang-yen`` is the network trained through our careful simulator (smooth mode); ``shin-song`` the
same network trained through Shin and Song's cubic rounding; ``shoda`` the ``shin-song`` network
followed by pseudo-contour suppression, as Shoda et al. built it.

    jpegtutor train huang-yen --profile cpu --out runs/huang-yen [--set simulator=cubic]
    jpegtutor preedit huang-yen IN.png OUT.jpg --quality 10
    jpegtutor eval --method huang-yen --dataset kodak
"""

from __future__ import annotations

from ... import registry, zoo
from .contour import gradient_regions, guided_filter, suppress_pseudo_contours
from .model import ColourReductionEditor, UNet, load_editor
from .palette import colour_reduce, gmm_palette
from .recipe import OPTIONS, PROFILES, SIMULATORS, TRAINED_QUALITY, HuangYenLoss, build, simulated_decode, train

__all__ = ["MODELS", "OPTIONS", "PROFILES", "SIMULATORS", "TRAINED_QUALITY", "ColourReductionEditor", "HuangYenLoss",
           "UNet", "build", "colour_reduce", "gmm_palette", "gradient_regions", "guided_filter", "load", "load_editor",
           "simulated_decode", "suppress_pseudo_contours", "train"]

MODELS = {"huang-yen": "smooth", "shin-song": "cubic"}  # zoo name -> the simulator it was trained through
POINTS = (TRAINED_QUALITY,)  # trained at Q = 10 only; RD curves pass their qualities (and are warned outside it)


def load(name: str = "huang-yen", checkpoint=None, contours: bool = False):
    """``edit(image uint8 (H, W, 3), quality, subsampling, per_image_steps=0, ...) -> uint8`` of a
    trained editor (``contours``: then Shoda et al.'s suppression). Per-image steps minimise the
    training loss through the same simulator."""
    from ..run import network_editor

    def per_image_loss(subsampling, simulator=MODELS.get(name, "smooth"), **weights):
        loss = HuangYenLoss(simulator, subsampling=subsampling, **weights)
        return lambda edited, original, quality: loss.distortion(
            simulated_decode(edited, quality, simulator, subsampling), original)

    edit = network_editor(load_editor(name, checkpoint), name, per_image_loss)
    if not contours:
        return edit

    def edit_with_suppression(image, quality, subsampling="4:2:0", **options):
        return suppress_pseudo_contours(edit(image, quality, subsampling, **options))

    return edit_with_suppression


def _missing(name: str, simulator: str):
    def missing():
        return None if name in zoo.manifest() else \
            f"no {name} weights shipped (python -m jpegtutor.experiments.huang_yen train --simulator {simulator}, then ship)"
    return missing


_SETTINGS = {k: v for k, v in PROFILES["cpu"].items() if k in ("crop", "batch", "lr")}
registry.register_editor(registry.Editor(
    "huang-yen", "Huang & Yen 2026: GMM colour reduction (k = 4) + U-Net residual, trained at Q = 10 through the "
                 "smooth simulator with L1 + VGG + LPIPS",
    load=lambda checkpoint=None: load("huang-yen", checkpoint), points=POINTS,
    trained_range=(TRAINED_QUALITY, TRAINED_QUALITY), train=train, profiles=tuple(PROFILES), options=dict(OPTIONS),
    weights="huang-yen", build=build, step_settings=_SETTINGS, missing=_missing("huang-yen", "smooth")))
registry.register_editor(registry.Editor(
    "shin-song", "Shin & Song 2017's cubic rounding as the simulator: Huang & Yen's network trained through it",
    load=lambda checkpoint=None: load("shin-song", checkpoint), points=POINTS,
    trained_range=(TRAINED_QUALITY, TRAINED_QUALITY), train=lambda *a, **kw: train(*a, **{"simulator": "cubic", **kw}),
    profiles=tuple(PROFILES), options={**OPTIONS, "simulator": "cubic"}, weights="shin-song", build=build,
    step_settings=_SETTINGS, missing=_missing("shin-song", "cubic")))
registry.register_editor(registry.Editor(
    "shoda", "Shoda et al. 2023: colour reduction network (trained through Shin & Song's rounding) + pseudo-contour "
             "suppression (median, Canny, closing, flattened gradient regions, guided filter)",
    load=lambda checkpoint=None: load("shin-song", checkpoint, contours=True), points=POINTS,
    trained_range=(TRAINED_QUALITY, TRAINED_QUALITY), weights="shin-song", missing=_missing("shin-song", "cubic")))
