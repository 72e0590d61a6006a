"""Ye, Liu, Li and Liu, "Rate-distortion-optimized deep preprocessing for JPEG compression" (IEEE
TCSVT 2025), rebuilt from its abstract: registered as the methods ``ye`` (trained for MSE),
``ye-msssim`` and ``ye-lpips``.

The abstract splits the RD cost ``D + lambda R`` into three parts and builds one tool for each
(:mod:`.parts`): a rate network trained on real JPEG rates, the end-to-end distortion through a
simulator with an adaptive DCT-domain mask, and a content-dependent multiplier. A compact CNN
(:mod:`.model`) is trained on that cost (:mod:`.recipe`) and runs before an unchanged libjpeg.

    jpegtutor train ye --profile cpu --out runs/ye [--set distortion=lpips]
    jpegtutor preedit ye IN.png OUT.jpg --quality 20 [--per-image-steps 50]
    jpegtutor eval --method ye --dataset kodak
"""

from __future__ import annotations

from ... import registry
from .model import Preprocessor, YeModel, load_preprocessor, load_rate_network
from .parts import MASKS, SIMULATORS, content_lambda, lowpass_masks, real_bits, simulated_decode, zero_masks
from .recipe import DISTORTIONS, OPTIONS, PROFILES, PixelLoss, YeLoss, build, distortion_function, train

__all__ = ["DISTORTIONS", "MASKS", "MODELS", "SIMULATORS", "OPTIONS", "PROFILES", "PixelLoss", "Preprocessor", "YeLoss", "YeModel",
           "build", "content_lambda", "distortion_function", "load", "load_preprocessor", "load_rate_network",
           "lowpass_masks", "real_bits", "simulated_decode", "train", "zero_masks"]

TRAINED_QUALITIES = (10, 50)
MODELS = {"ye": "mse", "ye-msssim": "ms-ssim", "ye-lpips": "lpips"}  # method (= zoo name) -> distortion


def load(name: str = "ye", checkpoint=None):
    """``edit(image uint8 (H, W, 3), quality, subsampling, per_image_steps=0, lr=0.005, loss_options=None)``
    of a trained preprocessor; per-image steps minimize :class:`YeLoss` in the model's own
    distortion (``loss_options={"distortion": "lpips"}`` and the other :class:`YeLoss` options change it)."""
    from ..run import network_editor

    preprocessor = load_preprocessor(name, checkpoint)

    def per_image_loss(subsampling, distortion=MODELS.get(name, "mse"), **options):
        return PixelLoss(YeLoss(distortion, subsampling=subsampling, **options), load_rate_network(name, checkpoint))

    return network_editor(preprocessor, name, per_image_loss)


from ... import zoo  # noqa: E402


def _missing(name: str, variant: str):
    def missing():
        return None if name in zoo.manifest() else \
            f"no {name} weights shipped (python -m jpegtutor.experiments.ye train --variant {variant}, then ship)"
    return missing


for _name, _distortion in MODELS.items():
    registry.register_editor(registry.Editor(
        _name, f"Ye et al. 2025 (from the abstract): a compact CNN trained on D + lambda R, D = {_distortion}, "
               "content-dependent lambda, masked simulator, refitted rate network",
        load=lambda checkpoint=None, _n=_name: load(_n, checkpoint), points=(10, 15, 20, 25, 30, 40, 50),
        trained_range=TRAINED_QUALITIES, train=lambda *args, _d=_distortion, **kw: train(*args, **{"distortion": _d, **kw}),
        profiles=tuple(PROFILES),
        options={**OPTIONS, "distortion": _distortion}, weights=_name, build=build,
        step_settings={k: v for k, v in PROFILES["cpu"].items() if k in ("crop", "batch", "lr", "qualities")},
        missing=_missing(_name, {"ye": "mse", "ye-msssim": "msssim", "ye-lpips": "lpips"}[_name])))
