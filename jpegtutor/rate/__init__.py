"""Rate (Part III): exact JPEG bits and differentiable rate proxies.

- :mod:`.exact`: the file size to the byte, from quantized coefficients (``exact_rate``, ``image_rate``);
- :mod:`.proxies`: closed forms (``log_proxy``, ``l1_proxy``), the empirical entropy, Struempler's
  regularizer;
- :mod:`.density`: Balle et al.'s learned factorized density (``FactorizedDensity``);
- :mod:`.network`: a learned per-block rate network (``RateNetwork``);
- :mod:`.inputs`: ``features(image, quality)``, what every proxy takes and the exact bits it is measured against;
- :mod:`.theory`: rate-distortion theory of Gaussian sources (``gaussian_rd``, ``reverse_water_filling``,
  ``coding_gain``, ``klt``), chapter 06a;
- :mod:`.pretrained`: the shipped learned proxies (``load_pretrained``); trained and measured by
  :mod:`jpegtutor.experiments.rate_proxies`.
"""

from .density import FactorizedDensity
from .exact import ExactRate, exact_rate, image_rate
from .inputs import features
from .network import RateNetwork
from .pretrained import load_pretrained
from . import theory
from .proxies import empirical_entropy_bits, l1_proxy, log_proxy, scaled_coefficients, struempler_regularizer

__all__ = ["ExactRate", "FactorizedDensity", "RateNetwork", "empirical_entropy_bits", "exact_rate", "features", "image_rate",
           "l1_proxy", "load_pretrained", "log_proxy", "scaled_coefficients", "struempler_regularizer", "theory"]
