"""Struempler, Yang, Mentzer and Liang, "Learning to improve image compression without changing the
standard decoder" (ECCV Workshops 2020): DCT-domain attention and learned quantization tables.

The first method of the book that edits the DCT coefficients and changes the tables: its file is
written from the masked coefficients with the learned tables (:func:`.model.write_file`), a
baseline JPEG at 4:4:4 any decoder reads.

Files: :mod:`.model` (attention, tables, the file writer), :mod:`.recipe` (the loss and training).
"""

from __future__ import annotations

from .model import Attention, LearnedTables, StruemplerModel, file_tables, load_model, trainable_state, write_file
from .recipe import LAMBDAS, OPTIONS, PROFILES, StruemplerLoss, build, checkpoint_name, train

__all__ = ["Attention", "LAMBDAS", "LearnedTables", "OPTIONS", "PROFILES", "StruemplerLoss", "StruemplerModel", "build",
           "checkpoint_name", "file_tables", "load_model", "train", "trainable_state", "write_file"]
