"""Training utilities (one trainer for every model of the book); see the appendix "Training on a GPU".

- :mod:`.loop`: :class:`Trainer`, :class:`TrainConfig`, the ``quick`` and ``full`` profiles;
- :mod:`.checkpoint`: atomic, ``weights_only`` checkpoints with every random state;
- :mod:`.data`: reproducible random crops with a JPEG quality per sample;
- :mod:`.models`: the models the trainer knows by name (``tiny``, ``talebi``) and their options.
"""

from .checkpoint import CheckpointError, latest_checkpoint, load_checkpoint, save_checkpoint
from .data import CropDataset
from .loop import PROFILES, Trainer, TrainConfig, plot_log
from .models import MODELS, build_model

__all__ = ["MODELS", "build_model", "PROFILES", "CheckpointError", "CropDataset", "TrainConfig", "Trainer", "latest_checkpoint",
           "load_checkpoint", "plot_log", "save_checkpoint"]
