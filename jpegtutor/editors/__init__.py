"""Pre-editors (Part IV): networks that edit an image before a standard JPEG encoder.

- :mod:`.blocks`: the training loss every editor shares (:class:`~.blocks.PreEditLoss`) and
  per-image optimization (:func:`~.blocks.optimize_image`);
- :mod:`.talebi`: Talebi et al.'s smoothing CNN and patch-based spatial transformer;
- :mod:`.apply`: run a trained editor on an image and write a standard JPEG
  (``jpegtutor preedit``), and register each editor as an ``eval`` method;
- :mod:`.study`: the training runs and evaluations behind chapter 09's numbers.
"""
