"""Rate (Part III): exact JPEG bits and differentiable rate proxies.

- :mod:`.exact`: the file size to the byte, from quantized coefficients (``exact_rate``, ``image_rate``);
- :mod:`.proxies`: closed forms (``log_proxy``, ``l1_proxy``), the empirical entropy, Struempler's
  regularizer;
- :mod:`.density`: Balle et al.'s learned factorized density (``FactorizedDensity``);
- :mod:`.network`: a learned per-block rate network (``RateNetwork``);
- :mod:`.study`: training the learned proxies and measuring every proxy against real bits.
"""

from .density import FactorizedDensity
from .exact import ExactRate, exact_rate, image_rate
from .network import RateNetwork
from .proxies import empirical_entropy_bits, l1_proxy, log_proxy, scaled_coefficients, struempler_regularizer

__all__ = ["ExactRate", "FactorizedDensity", "RateNetwork", "empirical_entropy_bits", "exact_rate", "image_rate",
           "l1_proxy", "log_proxy", "scaled_coefficients", "struempler_regularizer"]
