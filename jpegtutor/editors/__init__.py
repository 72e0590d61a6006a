"""Pre-editors (Part IV): networks that edit an image before a standard JPEG encoder.

The editor contract (:class:`jpegtutor.registry.Editor`): a pixel editor maps ``(B, 3, H, W)``
images in [0, 1] and a JPEG quality ``(B,)`` to an edited image of the same shape in [0, 1]; a
registered editor's ``load(checkpoint)`` returns ``edit(image uint8 (H, W, 3), quality, subsampling)``
whose output any registered encoder writes (``talebi+mozjpeg``). Each editor is one module or
folder that registers itself; importing this package registers them all.

- :mod:`.loss`: the training loss every editor shares (:class:`~.loss.PreEditLoss`);
- :mod:`.optimize`: per-image optimization (:func:`~.optimize.optimize_image`, Talebi's Eq. 4);
- :mod:`.layers`: layers the editors share; :mod:`.run`: a trained network as an ``edit`` function;
- :mod:`.tiny`: the trainer's demo editor; :mod:`.talebi`: Talebi et al.'s editor; :mod:`.struempler`:
  Struempler et al.'s attention and learned tables (a coefficient editor, registered as an encoder).
"""

from . import huang_yen, struempler, talebi, tiny, ye  # noqa: F401  (each registers itself)
from .loss import PreEditLoss, VGGFeatures, total_variation
from .optimize import optimize_image

__all__ = ["PreEditLoss", "VGGFeatures", "optimize_image", "total_variation"]
