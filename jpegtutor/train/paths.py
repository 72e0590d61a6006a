"""How a training step runs: the fast path (the default) or the eager fp32 reference path.

Fast path: bfloat16 autocast for the networks where the hardware has bfloat16 arithmetic (CUDA,
CPUs with AVX512-BF16 or AMX), channels-last tensors (the layout oneDNN and cuDNN convolve
fastest), and the simulator's fused exact mode. The simulator itself always runs in float32
(its exactness needs it) and the loss terms are summed in float32. Reference path: every tensor
float32 and contiguous, every operation recorded by autograd, as the book's code reads
(:func:`jpegtutor.diff.reference_path`). ``jpegtutor bench train`` times one against the other.
"""

from __future__ import annotations

import contextlib

import torch

from ..diff import reference_path

__all__ = ["StepPath", "bfloat16_available"]


def bfloat16_available(device: torch.device) -> bool:
    """Whether ``device`` has bfloat16 arithmetic (emulated bfloat16 would be slower than float32)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False
    return False


class StepPath:
    """``StepPath(fast, device)``: ``place(module)`` moves a model or loss to the device (channels-last on
    the fast path), ``inputs(images)`` does the same for a batch, and ``with path.context():`` wraps
    the forward pass (autocast on the fast path, :func:`~jpegtutor.diff.reference_path` on the reference one)."""

    def __init__(self, fast: bool, device: torch.device | str):
        self.fast, self.device = fast, torch.device(device)
        self.bfloat16 = fast and bfloat16_available(self.device)
        self.memory_format = torch.channels_last if fast else torch.contiguous_format

    def place(self, module):
        if isinstance(module, torch.nn.Module):
            module = module.to(self.device)
            if self.fast:
                module = module.to(memory_format=torch.channels_last)
        return module

    def inputs(self, images: torch.Tensor) -> torch.Tensor:
        images = images.to(self.device)
        return images.contiguous(memory_format=self.memory_format) if images.ndim == 4 else images

    def context(self):
        if not self.fast:
            return reference_path()
        if self.bfloat16:
            return torch.autocast(self.device.type, torch.bfloat16)
        return contextlib.nullcontext()

    def describe(self) -> str:
        if not self.fast:
            return "reference (eager fp32)"
        return "fast (" + ", ".join((["bfloat16 autocast"] if self.bfloat16 else []) + ["channels-last", "fused simulator"]) + ")"
