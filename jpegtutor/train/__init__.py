"""Training utilities (one trainer for every model of the book); see the appendix "Training on a GPU".

- :mod:`.loop`: :class:`Trainer`, :class:`TrainConfig`, the ``quick`` and ``full`` profiles;
- :mod:`.checkpoint`: atomic, ``weights_only`` checkpoints with every random state;
- :mod:`.batches`: reproducible random crops with a JPEG quality per sample;
- :mod:`.options`: ``--set KEY=VALUE`` parsing against a recipe's options and ``TrainConfig``'s fields.

The trainer names no model; the recipes of :mod:`jpegtutor.editors` (``tiny``, ``talebi``) hand theirs over.
"""

from .checkpoint import CheckpointError, latest_checkpoint, load_checkpoint, save_checkpoint
from .batches import CropDataset
from .loop import PROFILES, Trainer, TrainConfig, plot_log
from .options import parse_settings

__all__ = ["PROFILES", "CheckpointError", "CropDataset", "TrainConfig", "Trainer", "latest_checkpoint",
           "load_checkpoint", "parse_settings", "plot_log", "save_checkpoint"]
