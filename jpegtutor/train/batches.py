"""Training data: random crops with flips and a JPEG quality per sample, reproducible to the sample.

Every random choice of sample ``i`` of epoch ``e`` (crop position, flips, quality) comes from a
generator seeded with ``(seed, e, i)``, and the order of an epoch from one seeded with ``(seed, e)``.
So the data a step sees depends only on the step, not on workers, processes or restarts: a resumed
run, or a run split over several processes (each takes every ``world``-th sample of the global
batch), sees exactly the data of an uninterrupted single-process run.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import datasets as data
from ..image import read_image

__all__ = ["CropDataset", "StepBatches", "global_batch_indices", "step_loader"]


def _generator(*keys: int) -> torch.Generator:
    seed = 0
    for key in keys:
        seed = (seed * 1_000_003 + int(key)) % (2**63 - 1)
    return torch.Generator().manual_seed(seed)


class CropDataset(torch.utils.data.Dataset):
    """``dataset[(epoch, i)] -> (image (3, crop, crop) in [0, 1], quality float)``.

    ``source``: a dataset name (``train`` by default) or a folder; ``qualities``: the inclusive
    range JPEG qualities are drawn from, uniformly; images smaller than ``crop`` are refused.
    """

    def __init__(self, source: str = "train", crop: int = 64, qualities=(10, 50), seed: int = 0,
                 limit: int | None = None):
        self.paths = data.image_paths(source)[:limit]
        if not self.paths:
            raise ValueError(f"no images in {source!r}")
        if not 1 <= qualities[0] <= qualities[1] <= 100:
            raise ValueError(f"qualities must be a range within [1, 100], got {qualities}")
        self.crop, self.qualities, self.seed = crop, tuple(qualities), seed
        self._cache: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.paths)

    def _image(self, index: int) -> np.ndarray:
        if index not in self._cache:
            image = read_image(self.paths[index])
            if min(image.shape[:2]) < self.crop:
                raise ValueError(f"{self.paths[index]} is {image.shape[1]}x{image.shape[0]}, smaller than the crop {self.crop}")
            self._cache[index] = image
        return self._cache[index]

    def __getitem__(self, key: tuple[int, int]):
        epoch, index = key
        gen = _generator(self.seed, epoch, index)
        image = self._image(index)
        top = int(torch.randint(0, image.shape[0] - self.crop + 1, (1,), generator=gen))
        left = int(torch.randint(0, image.shape[1] - self.crop + 1, (1,), generator=gen))
        patch = torch.from_numpy(np.ascontiguousarray(image[top:top + self.crop, left:left + self.crop]))
        patch = patch.permute(2, 0, 1).float() / 255.0
        if torch.rand(1, generator=gen) < 0.5:
            patch = patch.flip(-1)
        if torch.rand(1, generator=gen) < 0.5:
            patch = patch.flip(-2)
        low, high = self.qualities
        quality = float(torch.randint(low, high + 1, (1,), generator=gen))
        return patch, quality

    def epoch_order(self, epoch: int) -> list[int]:
        return torch.randperm(len(self), generator=_generator(self.seed, epoch, -1)).tolist()


def global_batch_indices(dataset: CropDataset, step: int, global_batch: int) -> list[tuple[int, int]]:
    """The ``(epoch, index)`` keys of the samples of global batch ``step`` (0-based): consecutive
    slices of each epoch's permutation (a last partial batch of an epoch is dropped)."""
    per_epoch = len(dataset) // global_batch
    if per_epoch == 0:
        raise ValueError(f"the dataset has {len(dataset)} images, fewer than one global batch of {global_batch}")
    epoch, position = divmod(step, per_epoch)
    order = dataset.epoch_order(epoch)
    return [(epoch, i) for i in order[position * global_batch:(position + 1) * global_batch]]


class StepBatches(torch.utils.data.Dataset):
    """``batches[step] -> (images (b, 3, crop, crop), qualities (b,))``: this process's share of global
    batch ``step``. A pure function of the step, so a ``DataLoader`` may build batches in any number
    of worker processes, in any order, and the result is the same."""

    def __init__(self, dataset: CropDataset, global_batch: int, rank: int = 0, world: int = 1):
        self.dataset, self.global_batch, self.rank, self.world = dataset, global_batch, rank, world

    def __len__(self) -> int:
        return 2**62  # indexed by step; the loader's sampler says which steps

    def __getitem__(self, step: int):
        keys = global_batch_indices(self.dataset, step, self.global_batch)[self.rank::self.world]
        images, qualities = zip(*(self.dataset[k] for k in keys))
        return torch.stack(images), torch.tensor(qualities)


def step_loader(batches: StepBatches, first_step: int, last_step: int, num_workers: int = 0):
    """Batches for steps ``first_step .. last_step - 1`` in order; ``num_workers > 0`` prefetches them
    in background processes (use it on a GPU; 0 works everywhere)."""
    return torch.utils.data.DataLoader(batches, batch_size=None, sampler=range(first_step, last_step),
                                       num_workers=num_workers, persistent_workers=False,
                                       prefetch_factor=2 if num_workers else None)
