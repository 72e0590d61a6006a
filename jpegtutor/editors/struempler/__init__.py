"""Struempler, Yang, Mentzer and Liang, "Learning to improve image compression without changing the
standard decoder" (ECCV Workshops 2020): DCT-domain attention and learned quantization tables.

The first method of the book that edits the DCT coefficients and changes the tables: its file is
written from the masked coefficients with the learned tables (:func:`.model.write_file`), a
baseline JPEG at 4:4:4 any decoder reads.

Files: :mod:`.model` (attention, tables, the file writer), :mod:`.recipe` (the loss and training).
"""

from __future__ import annotations

from .model import (Attention, LearnedTables, StruemplerModel, file_tables, load_model, reencoded_file, trainable_state,
                    write_file)
from .recipe import LAMBDAS, OPTIONS, PROFILES, RATES, StruemplerLoss, build, checkpoint_name, refine, train

__all__ = ["Attention", "LAMBDAS", "LearnedTables", "OPTIONS", "PROFILES", "RATES", "StruemplerLoss", "StruemplerModel", "build",
           "checkpoint_name", "file_tables", "refine", "load_model", "reencoded_file", "shipped_model", "train", "trainable_state",
           "shipped_lambdas", "write_file", "zoo_name"]

import functools

from ... import registry, zoo

VARIANTS = {"struempler": "both", "struempler-tables": "tables", "struempler-attention": "attention"}  # method -> variant


def zoo_name(variant: str, lam: float) -> str:
    """The zoo entry of a shipped model: ``struempler-<variant>-lambda<L>``."""
    return f"struempler-{variant}-lambda{lam:g}"


@functools.lru_cache(maxsize=16)
def shipped_model(variant: str, lam: float) -> StruemplerModel:
    """The shipped model of ``variant`` ("both", "tables", "attention") at operating point ``lam`` (cached)."""
    return load_model(zoo_name(variant, lam))


def shipped_lambdas(variant: str) -> tuple:
    """The operating points of ``variant`` with a shipped model (the registered method's points)."""
    names = zoo.manifest()
    return tuple(lam for lam in LAMBDAS if zoo_name(variant, lam) in names)


def _missing(variant: str):
    def missing():
        if len(shipped_lambdas(variant)) < 2:
            return (f"no trained models shipped for struempler's {variant} variant "
                    "(python -m jpegtutor.experiments.struempler train --variant ..., then ship)")
        return None
    return missing


def _check(variant: str, lam, subsampling: str) -> float:
    if subsampling != "4:4:4":
        raise ValueError(f"struempler writes 4:4:4 only (the paper's setting), not {subsampling}")
    available = shipped_lambdas(variant)
    if not any(abs(float(lam) - p) < 1e-12 for p in available):
        raise ValueError(f"lambda must be one of the trained operating points {list(available)}, got {lam!r}")
    return float(lam)


def _encoder(variant: str):
    def encode(image, lam, subsampling):
        return write_file(shipped_model(variant, _check(variant, lam, subsampling)), image)
    return encode


def _encoder_per_image(variant: str):
    def encode(image, lam, subsampling, steps):  # the global model refined on this image first (Sec. 4.8)
        lam = _check(variant, lam, subsampling)
        return write_file(refine(shipped_model(variant, lam), image, lam, steps), image)
    return encode


for _name, _variant in VARIANTS.items():
    registry.register_encoder(registry.Encoder(
        _name, "Struempler et al. 2020: " + {"both": "DCT-domain attention + learned tables",
                                             "tables": "learned quantization tables only (128 parameters)",
                                             "attention": "DCT-domain attention with the IJG quality-50 tables"}[_variant]
        + ", 4:4:4, written from the coefficients with the learned tables",
        _encoder(_variant), {"library": "jpegtutor (write_coefficients)", "huffman": "optimized", "progressive": False,
                             "tables": "IJG quality 50" if _variant == "attention" else "learned (one pair per lambda)",
                             "variant": _variant, "recipe": "cpu"},
        kind="coefficient-editor", point="lambda", points=shipped_lambdas(_variant) or LAMBDAS,
        point_range=(min(LAMBDAS), max(LAMBDAS)), trained_range=(min(LAMBDAS), max(LAMBDAS)), subsamplings=("4:4:4",), missing=_missing(_variant),
        takes_pixels=True, train=train, profiles=tuple(PROFILES), options=dict(OPTIONS),
        encode_per_image=_encoder_per_image(_variant), weights=f"struempler-{_variant}-lambda0.1"))
