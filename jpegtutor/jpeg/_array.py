"""Tiny helpers that let each libjpeg step be written once, for NumPy, exact torch and surrogate torch.

Each libjpeg step (colour conversion, downsampling, fancy upsampling, quantization, the DCTs) is
written once in integer form, with every division by a power of two spelled :func:`floor_shift`.
The codec calls it with NumPy integers (``floor=None``: an arithmetic shift); the differentiable
simulator (Part II) calls the same code with float tensors and a surrogate ``floor`` function, so
its forward values equal libjpeg's (exact mode) while gradients flow through the surrogate.
"""

from __future__ import annotations

import numpy as np
import torch


def is_torch(a) -> bool:
    return isinstance(a, torch.Tensor)


def floor_shift(x, bits: int, floor=None):
    """``floor(x / 2**bits)``: ``x >> bits`` on integers (``floor=None``), else ``floor(x * 2**-bits)`` with the
    given (surrogate) floor on float tensors (a power of two: the product is exact, and cheaper than
    the division). Exact in float32 while ``|x| < 2**24``, which every caller keeps."""
    if floor is None:
        return x >> bits
    return floor(x * 2.0**-bits)


def as_int64(a):
    return a.to(torch.int64) if is_torch(a) else np.asarray(a, dtype=np.int64)


def stack(parts, axis: int):
    return torch.stack(parts, axis) if is_torch(parts[0]) else np.stack(parts, axis)


def cat(parts, axis: int):
    return torch.cat(parts, axis) if is_torch(parts[0]) else np.concatenate(parts, axis)


def clip_uint8(a):
    return a.clamp(0, 255).to(torch.uint8) if is_torch(a) else np.clip(a, 0, 255).astype(np.uint8)


def arange_like(n: int, like):
    return torch.arange(n, device=like.device, dtype=torch.int64) if is_torch(like) else np.arange(n, dtype=np.int64)


def extend_edge(a, count: int, axis: int):
    """Append ``count`` copies of the last slice along ``axis`` (libjpeg's edge replication)."""
    if count <= 0:
        return a
    index = [slice(None)] * a.ndim
    index[axis] = slice(-1, None)
    last = a[tuple(index)]
    if is_torch(a):
        shape = list(last.shape)
        shape[axis] = count
        return torch.cat([a, last.expand(*shape)], axis)
    return np.concatenate([a, np.repeat(last, count, axis=axis)], axis)


def neighbours(a, axis: int):
    """``(previous, next)`` neighbour of every sample along ``axis``, the edge sample standing in for
    the missing one: two views of one padded copy."""
    n = a.shape[axis]
    first, last, whole = [slice(None)] * a.ndim, [slice(None)] * a.ndim, [slice(None)] * a.ndim
    first[axis], last[axis] = slice(0, 1), slice(n - 1, n)
    padded = cat([a[tuple(first)], a, a[tuple(last)]], axis)
    previous, following = list(whole), list(whole)
    previous[axis], following[axis] = slice(0, n), slice(2, n + 2)
    return padded[tuple(previous)], padded[tuple(following)]


def interleave(even, odd, axis: int):
    """Merge two arrays along a negative ``axis``: even[0], odd[0], even[1], odd[1], ..."""
    stacked = stack([even, odd], axis)  # the pair sits right after the merged axis
    shape = list(even.shape)
    shape[axis] *= 2
    return stacked.reshape(shape)
