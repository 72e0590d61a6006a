"""Training throughput of a small editor: fp32 eager against the faster configurations, one run.

    jpegtutor bench train [--device cpu|cuda] [--batch 16] [--crop 128] [--steps 10] [--json]

Each configuration trains a model handed over as ``build() -> (model, loss)`` (the CLI passes the
``tiny`` editor: through the exact simulator and the rate proxy) on the same random batch: a fresh model and Adam, warm-up steps (where ``torch.compile`` compiles),
then ``steps`` timed optimizer steps. Configurations: ``eager-fp32``, ``compile-fp32`` and, on
CUDA, ``eager-bf16`` and ``compile-bf16`` (bfloat16 autocast, as the trainer uses there).
"""

from __future__ import annotations

import time

import torch

__all__ = ["training_speed"]


def _measure(build, device, batch, crop, steps, compile_: bool, bf16: bool, warmup: int) -> float:
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(batch, 3, crop, crop, generator=gen).to(device)
    qualities = torch.randint(10, 51, (batch,), generator=gen).float().to(device)
    torch.manual_seed(0)
    model, loss_fn = build()
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    run = torch.compile(model) if compile_ else model

    def step():
        optimizer.zero_grad(set_to_none=True)
        if bf16:
            with torch.autocast(device.type, torch.bfloat16):
                loss = loss_fn(run, images, qualities)["loss"]
        else:
            loss = loss_fn(run, images, qualities)["loss"]
        loss.backward()
        optimizer.step()

    for _ in range(warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - start)


def training_speed(build, device: str = "cpu", batch: int = 16, crop: int = 128, steps: int = 10, warmup: int = 3,
                   configs: tuple[str, ...] | None = None) -> dict:
    """Images per second of ``build() -> (model, loss)`` in each configuration, and the fastest one's ratio to ``eager-fp32``."""
    dev = torch.device(device)
    available = ["eager-fp32", "compile-fp32"] + (["eager-bf16", "compile-bf16"] if dev.type == "cuda" else [])
    configs = tuple(configs or available)
    unknown = set(configs) - set(available)
    if unknown:
        raise ValueError(f"unknown configuration(s) {sorted(unknown)} on {dev.type}; available: {available}")
    result = {"device": str(dev), "batch": batch, "crop": crop, "steps": steps, "torch": torch.__version__}
    if dev.type == "cuda":
        result["gpu"] = torch.cuda.get_device_name(dev)
    for name in configs:
        mode, precision = name.split("-")
        result[f"{name}_img_per_s"] = _measure(build, dev, batch, crop, steps, mode == "compile", precision == "bf16", warmup)
    fastest = max(configs, key=lambda n: result[f"{n}_img_per_s"])
    result["fastest"] = fastest
    if "eager-fp32" in configs:
        result["fastest_vs_eager_fp32"] = result[f"{fastest}_img_per_s"] / result["eager-fp32_img_per_s"]
    return result
