"""Benchmarks of the differentiable simulator: fidelity to libjpeg and speed, optionally beside kornia.

    jpegtutor bench diffjpeg [--compare kornia] [--device cpu|cuda] [--batch B] [--size S] [--modes exact,smooth]
                             [--fidelity [--qualities 1-100] [--subsamplings 444,422,420]] [--json] [--out F.json]

Speed: forward + backward images per second on random ``(B, 3, S, S)`` batches, each side measured
in the same run, taking turns (medians over the rounds; each speed-up the median of the rounds' ratios). Fidelity: PSNR between the simulator's output and Pillow's decoded JPEG of the
same image and settings, over the 24 Kodak images (central ``S x S`` crops).
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch

from ..image import read_image, to_tensor
from ..jpeg.reference import pillow_decode, pillow_encode
from .simulator import simulate

__all__ = ["fidelity", "parse_qualities", "speed"]


def _kornia_fn():
    try:
        from kornia.enhance import jpeg_codec_differentiable
    except ImportError as exc:  # benchmark-only extra
        raise RuntimeError("--compare kornia needs kornia (pip install 'kornia==0.9.*'); it is a "
                           "benchmark-only dependency") from exc
    return lambda x, q: jpeg_codec_differentiable(x, q)


def _timed(fns: dict, x, q, device, repeats: int) -> dict:
    """Seconds per forward+backward of each function in each of ``repeats`` rounds, after a warm-up.

    The functions take turns within every round, so a noisy machine slows them alike."""
    def step(fn):
        x.grad = None
        fn(x, q).mean().backward()
        if device.type == "cuda":
            torch.cuda.synchronize()

    seconds = {}
    for name, fn in fns.items():
        step(fn)
        seconds[name] = []
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            step(fn)
            seconds[name].append(time.perf_counter() - start)
    return seconds


def speed(device: str = "cpu", batch: int = 16, size: int = 256, compare: str | None = None,
          repeats: int = 9, modes=("exact", "smooth"), subsampling: str = "4:2:0", compile: bool = False) -> dict:
    """Forward+backward images/s of the simulator (quality 50) in each mode, and of kornia's with
    ``compare="kornia"``, all timed in one interleaved run: medians over ``repeats`` rounds, the
    speed-ups the median of the rounds' ratios. ``ours_fwd_bwd_img_per_s`` is the first mode."""
    if isinstance(modes, str):
        modes = (modes,)
    dev = torch.device(device)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(batch, 3, size, size, generator=gen).to(dev).requires_grad_(True)
    q = torch.full((batch,), 50.0, device=dev)
    fns = {}
    for mode in modes:
        fn = (lambda m: lambda image, quality: simulate(image, quality, subsampling=subsampling, mode=m))(mode)
        fns[f"ours_{mode}"] = torch.compile(fn) if compile else fn
    if compare == "kornia":
        fns["kornia"] = _kornia_fn()
    result = {"device": str(dev), "batch": batch, "size": size, "subsampling": subsampling, "compile": compile,
              "torch": torch.__version__}
    if dev.type == "cuda":
        result["gpu"] = torch.cuda.get_device_name(dev)
    seconds = _timed(fns, x, q, dev, repeats)
    result["repeats"] = repeats
    for name in fns:
        result[f"{name}_fwd_bwd_img_per_s"] = batch / statistics.median(seconds[name])
    result["ours_fwd_bwd_img_per_s"] = result[f"ours_{modes[0]}_fwd_bwd_img_per_s"]
    if compare == "kornia":
        for mode in modes:
            result[f"speedup_{mode}_vs_kornia"] = statistics.median(
                k / o for k, o in zip(seconds["kornia"], seconds[f"ours_{mode}"]))
    return result


def _kodak_crops(size: int) -> list[np.ndarray]:
    from ..datasets import image_paths

    crops = []
    for path in image_paths("kodak"):
        image = read_image(path)
        top, left = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
        crops.append(image[top:top + size, left:left + size])
    return crops


def fidelity(qualities=(1, 10, 50, 90), subsamplings=("4:2:0", "4:4:4"), size: int = 256,
             modes=("smooth", "exact"), compare: str | None = None, device: str = "cpu", progress: bool = True) -> dict:
    """PSNR (dB) to Pillow's decoded JPEG over the Kodak crops, per mode, subsampling and quality.

    The PSNR comes from the MSE pooled over all 24 crops (identical crops would make a mean of
    per-image PSNRs infinite; 200 dB stands for identical). Exact mode also reports the number of
    differing pixels. Kornia (``compare="kornia"``) only simulates 4:2:0.
    """
    from ..runtime import progress as progress_bar

    def psnr(a, b):
        return 10 * torch.log10(1.0 / ((a.double() - b.double()) ** 2).mean().clamp_min(1e-20))

    crops = _kodak_crops(size)
    batch = torch.cat([to_tensor(c) for c in crops]).to(device)
    kornia = _kornia_fn() if compare == "kornia" else None
    table: dict = {}
    steps = [(s, q) for s in subsamplings for q in qualities]
    for subsampling, q in progress_bar(steps, desc="fidelity", disable=None if progress else True):
        reference = torch.cat([to_tensor(pillow_decode(pillow_encode(c, q, subsampling))) for c in crops]).to(device)
        with torch.no_grad():
            for mode in modes:
                out = simulate(batch, q, subsampling=subsampling, mode=mode).clamp(0, 1)
                table[f"{mode}_{subsampling}_q{q}_psnr_db"] = psnr(out, reference).item()
                if mode == "exact":
                    table[f"exact_{subsampling}_q{q}_differing_pixels"] = int(
                        (torch.round(out * 255) != torch.round(reference * 255)).any(1).sum())
            if kornia is not None and subsampling == "4:2:0":
                out = kornia(batch, torch.full((batch.shape[0],), float(q), device=device)).clamp(0, 1)
                table[f"kornia_{subsampling}_q{q}_psnr_db"] = psnr(out, reference).item()
    return table


def parse_qualities(text: str) -> tuple[int, ...]:
    """``"1,10,50"`` or ranges ``"1-100"`` (inclusive), mixed: ``"1-5,50,90"``."""
    qualities = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        try:
            values = range(int(low), int(high or low) + 1)
        except ValueError:
            raise ValueError(f"qualities must look like 1,10,50 or 1-100, got {text!r}") from None
        qualities.extend(values)
    if not qualities or min(qualities) < 1 or max(qualities) > 100:
        raise ValueError(f"qualities must be in 1-100, got {text!r}")
    return tuple(qualities)
