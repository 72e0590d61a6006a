"""The shipped learned rate proxies (zoo names ``rate-density`` and ``rate-network``)."""

from __future__ import annotations

import torch

from .. import zoo
from .density import FactorizedDensity
from .network import RateNetwork

__all__ = ["load_pretrained"]

_MODELS = {"density": FactorizedDensity, "network": RateNetwork}


def load_pretrained(name: str) -> torch.nn.Module:
    """The shipped ``"density"`` (:class:`FactorizedDensity`) or ``"network"`` (:class:`RateNetwork`), in
    eval mode; trained by ``python -m jpegtutor.experiments.rate_proxies train --ship`` (card: ``zoo.card("rate-NAME")``)."""
    if name not in _MODELS:
        raise ValueError(f"no learned proxy named {name!r}; choose from {sorted(_MODELS)}")
    model = _MODELS[name]()
    model.load_state_dict(zoo.load_state(f"rate-{name}"))
    return model.eval()
