"""Han et al., "JPEG Processing Neural Operator for Backward-Compatible Coding" (JPNeO, 2025):
neural operators on either side of an unchanged JPEG file.

- :mod:`.galerkin`: Galerkin attention, ``Q (K^T V) / n``, and the neural operator built from it;
- :mod:`.sampling`: the sampling operator S (4 nearest cells, area weights, offsets, cell size);
- :mod:`.jeno`: JENO, the encoder side: chroma subsampling chosen for the decoder's upsampling,
  written by our codec from raw planes (:func:`jpegtutor.jpeg.encode_planes`); any decoder reads it;
- :mod:`.jdno`: JDNO, the decoder side: a file's dequantized spectra -> pixels (group embedding,
  Swin-style features, cosine neural operator conditioned on the tables); it reads any encoder's files;
- :mod:`.recipe`: training both, and the same-size CNN baselines ``jeno-cnn`` and ``jdno-cnn``.

Registered: the encoders ``jeno``, ``jeno-cnn`` and ``chroma-ls`` (JENO's objective solved per
image, no network) (4:2:0 and 4:2:2, optimized Huffman tables)
and the decoders ``jdno`` and ``jdno-cnn``.

    jpegtutor train jdno --profile cpu --out runs/jdno
    jpegtutor decode --decoder jdno IN.jpg OUT.png
    jpegtutor eval --method jeno --dataset live1
    jpegtutor eval --method libjpeg-optimized --decoder jdno --dataset live1 --qualities 10,20,30,40
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import torch

from .. import registry, zoo
from .galerkin import GalerkinAttention, GalerkinBlock, NeuralOperator, galerkin_attention
from .jdno import JDNO, DecoderCNN, Spectra, decode_with, group_embedding, plain_decode, spectra_from_file
from .jeno import JENO, ChromaCNN, LeastSquaresChroma, box_subsample, chroma_planes, encode_with, reconstruct, upsample_chroma
from .recipe import MODELS, PROFILES, JDNOLoss, JENOLoss, build, spectra_of, train, training_tables
from .sampling import neighbours, sample_features

__all__ = ["JDNO", "JENO", "MODELS", "PROFILES", "ChromaCNN", "LeastSquaresChroma", "DecoderCNN", "GalerkinAttention", "GalerkinBlock",
           "JDNOLoss", "JENOLoss", "NeuralOperator", "Spectra", "box_subsample", "build", "chroma_planes", "decode_with", "encode_with",
           "galerkin_attention", "group_embedding", "load", "neighbours", "plain_decode", "reconstruct", "sample_features",
           "spectra_from_file", "spectra_of", "train", "training_tables", "upsample_chroma"]


def load(name: str, checkpoint=None) -> torch.nn.Module:
    """The network ``name`` (:data:`MODELS`) with its shipped weights (or ``checkpoint``: a state dict
    file, built with the default options or those of its card beside it), in eval mode."""
    network, defaults, _ = MODELS[name]
    if checkpoint is None:
        state, options = zoo.load_state(name), {**defaults, **zoo.card(name).get("options", {})}
    else:
        state, options = torch.load(checkpoint, map_location="cpu", weights_only=True), dict(defaults)
    model = network(**{k: int(v) for k, v in options.items()})
    model.load_state_dict(state)
    return model.eval().requires_grad_(False)


@lru_cache(maxsize=None)
def _shipped(name: str) -> torch.nn.Module:
    return load(name)


def _missing(name: str):
    def missing():
        return None if name in zoo.manifest() else \
            f"no {name} weights shipped (python -m jpegtutor.experiments.neuralop train --model {name}, then ship)"
    return missing


def _trainer(name: str):
    def run(out, profile="quick", max_steps=None, seed=None, resume=False, echo=print, overwrite=False, **settings):
        return train(name, out, profile, max_steps, seed, resume, echo, overwrite, **settings)
    return run


_STEP = {k: v for k, v in PROFILES["cpu"].items() if k in ("crop", "batch", "lr")}
_DESCRIPTIONS = {
    "jeno": "JPNeO's encoding neural operator (Han et al. 2025): chroma subsampled by EDSR features + a Galerkin "
            "operator, written by libjpeg's steps from raw planes; any decoder reads it",
    "jeno-cnn": "JENO's same-size CNN baseline: EDSR features averaged per chroma sample, a residual on libjpeg's averaging",
    "chroma-ls": "JENO's goal without a network: per image, the chroma samples whose bilinear upsampling is closest "
                 "to the image (least squares), written by libjpeg's steps from raw planes",
    "jdno": "JPNeO's decoding neural operator (Han et al. 2025): a file's spectra -> Swin-style features -> cosine "
            "neural operator conditioned on the tables -> RGB",
    "jdno-cnn": "JDNO's same-size CNN baseline: a U-Net residual on the plain decode",
}


def _network(name: str) -> torch.nn.Module:
    return LeastSquaresChroma() if name == "chroma-ls" else _shipped(name)


def _encoder(name: str):
    last = {}  # the planes of the last image: they do not depend on the quality, so a sweep runs the network once

    def encode(image, quality, subsampling):
        key = (hashlib.sha1(image.tobytes()).hexdigest(), image.shape, subsampling)
        if key not in last:
            last.clear()
            last[key] = chroma_planes(_network(name), image, subsampling)
        return encode_with(_network(name), image, quality, subsampling, optimize=True, planes=last[key])
    return encode


for _name in ("jeno", "jeno-cnn"):
    registry.register_encoder(registry.Encoder(
        _name, _DESCRIPTIONS[_name], _encoder(_name),
        {"library": "jpegtutor's libjpeg-exact codec from raw planes", "huffman": "optimized", "progressive": False,
         "chroma": f"subsampled by {_name}"},
        subsamplings=("4:2:2", "4:2:0"), missing=_missing(_name), train=_trainer(_name), profiles=tuple(PROFILES),
        options=dict(MODELS[_name][1]), weights=_name))
registry.register_encoder(registry.Encoder(
    "chroma-ls", _DESCRIPTIONS["chroma-ls"], _encoder("chroma-ls"),
    {"library": "jpegtutor's libjpeg-exact codec from raw planes", "huffman": "optimized", "progressive": False,
     "chroma": "least squares for the decoder's upsampling, per image (L-BFGS, 30 iterations)"},
    subsamplings=("4:2:2", "4:2:0")))
for _name in ("jdno", "jdno-cnn"):
    registry.register_decoder(registry.Decoder(
        _name, _DESCRIPTIONS[_name], lambda data, _n=_name: decode_with(_shipped(_n), data), missing=_missing(_name),
        weights=_name, train=_trainer(_name), profiles=tuple(PROFILES), options=dict(MODELS[_name][1]),
        build=build(_name), step_settings=_STEP))
