"""Train the learned rate proxies and measure every proxy against real JPEG bits.

    python -m jpegtutor.experiments.rate_proxies train [--images 480] [--steps 1500] [--ship]   # zoo rate-density, rate-network
    python -m jpegtutor.experiments.rate_proxies evaluate     # data/results/rate_proxies.json

Training uses the ``train`` crops (256x256), one random quality in [5, 95] per crop, 4:2:0 and
the standard tables. Evaluation uses images none of them saw: LIVE1 and the BSDS500 test set
(every second image), at qualities 5, 10, 25, 50, 75 and 90: Spearman and Pearson correlation of
each proxy with the real bits, the relative error of the proxies that predict bits, and a gradient
test (lower each proxy by editing the image at a fixed distortion, then measure the real file).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from .. import datasets as data
from .. import zoo
from ..diff import dct_coefficients
from ..image import read_image, to_tensor
from ..jpeg.quant import tables_for_quality
from ..runtime import progress, seed_everything
from ..files import write_json, write_with
from ..rate import proxies
from ..rate.density import FactorizedDensity
from ..rate.exact import image_rate
from ..rate.inputs import features
from ..rate.network import RateNetwork
from ..rate.pretrained import load_pretrained
from . import write_result

__all__ = ["EVAL_QUALITIES", "PROXIES", "evaluate", "train"]

EVAL_QUALITIES = (5, 10, 25, 50, 75, 90)


def _batches(samples, batch: int, gen: torch.Generator):
    """Random batches of same-size samples: stacked coefficients, tables and block-bit targets."""
    order = torch.randperm(len(samples), generator=gen).tolist()
    for start in range(0, len(order) - batch + 1, batch):
        chosen = [samples[i] for i in order[start:start + batch]]
        coefficients = [torch.cat([s[0][k] for s in chosen]) for k in range(3)]
        tables = torch.cat([s[1] for s in chosen])
        targets = [torch.stack([torch.from_numpy(s[2].block_bits[k]).float() for s in chosen]) for k in range(3)]
        yield coefficients, tables, targets


def train(images: int = 480, steps: int = 1500, batch: int = 16, seed: int = 0, out: Path = Path("runs/rate-proxies"), ship: bool = False,
          echo=print) -> dict:
    """Fit the factorized density (maximum likelihood under uniform noise) and the rate network
    (L1 on the exact bits of every block) on ``train`` crops; save both with a JSON card."""
    gen = seed_everything(seed)
    paths = data.image_paths("train")
    pick = torch.randperm(len(paths), generator=gen)[:images].tolist()
    qualities = torch.randint(5, 96, (len(pick),), generator=gen).tolist()
    start = time.perf_counter()
    samples = [features(read_image(paths[i]), q) for i, q in
               progress(list(zip(pick, qualities)), desc="features")]
    feature_seconds = time.perf_counter() - start
    density, network = FactorizedDensity(), RateNetwork()
    models = {"density": density, "network": network}
    optimizers = {"density": torch.optim.Adam(density.parameters(), lr=1e-2),
                  "network": torch.optim.Adam(network.parameters(), lr=1e-3)}
    history = {name: [] for name in models}
    step = 0
    bar = progress(range(steps), desc="train")
    while step < steps:
        for coefficients, tables, targets in _batches(samples, batch, gen):
            pixels = 256 * 256
            density.train()
            loss_d = density(coefficients, tables).mean() / pixels  # bits per pixel under noise
            predicted = network.block_bits(coefficients, tables)
            loss_n = sum((p - t).abs().sum((1, 2)) for p, t in zip(predicted, targets)).mean() / pixels
            for name, loss in (("density", loss_d), ("network", loss_n)):
                optimizers[name].zero_grad()
                loss.backward()
                optimizers[name].step()
                history[name].append(loss.item())
            bar.update(1)
            step += 1
            if step % 100 == 0:
                bar.set_postfix(density_bpp=f"{np.mean(history['density'][-100:]):.3f}",
                                network_l1_bpp=f"{np.mean(history['network'][-100:]):.3f}")
            if step >= steps:
                break
    bar.close()
    out = Path(out)
    card = {"data": f"train: {len(pick)} random crops (seed {seed}), one quality each, uniform in [5, 95], 4:2:0",
            "steps": steps, "batch": batch, "seconds": time.perf_counter() - start, "feature_seconds": feature_seconds,
            "command": f"python -m jpegtutor.experiments.rate_proxies train --images {images} --steps {steps}",
            "torch": torch.__version__}
    for name, model in models.items():
        write_with(out / f"{name}.pt", lambda handle, model=model: torch.save(model.state_dict(), handle))
        summary = {"final_loss_bpp": float(np.mean(history[name][-100:])), "loss_history_every_10": history[name][::10]}
        write_json(out / f"{name}.json", {**card, **summary})
        if ship:
            zoo.ship(f"rate-{name}", out / f"{name}.pt", {**card, **summary})
    echo(f"trained in {card['seconds']:.0f} s; wrote {out}/density.pt and network.pt" + (" and shipped them" if ship else ""))
    return history


PROXIES = ("log", "l1", "struempler", "entropy", "density", "network")


def _proxy_values(coefficients, tables, density, network) -> dict:
    with torch.no_grad():
        return {"log": float(proxies.log_proxy(coefficients, tables)),
                "l1": float(proxies.l1_proxy(coefficients, tables)),
                "struempler": float(proxies.struempler_regularizer(tables)),
                "entropy": float(proxies.empirical_entropy_bits(coefficients, tables)),
                "density": float(density(coefficients, tables)),
                "network": float(network(coefficients, tables))}


def _proxy_fn(name: str, density, network):
    return {"log": proxies.log_proxy, "l1": proxies.l1_proxy,
            "struempler": lambda c, t: proxies.struempler_regularizer(t),
            "density": lambda c, t: density(c, t), "network": lambda c, t: network(c, t)}[name]


def gradient_test(images, quality: int = 25, steps: int = 30, psnr_db: float = 38.0, lr: float = 2e-3,
                  density=None, network=None) -> dict:
    """Edit each image to lower a proxy while keeping PSNR >= ``psnr_db`` to the original (projected
    Adam steps), then encode the edit for real: the file-size change per proxy (percent, mean)."""
    density = density or load_pretrained("density")
    network = network or load_pretrained("network")
    tables = torch.from_numpy(tables_for_quality(quality)).float()[None]
    budget = 10 ** (-psnr_db / 10)  # MSE on [0, 1]
    results = {}
    for name in ("log", "l1", "struempler", "density", "network"):
        fn = _proxy_fn(name, density, network)
        changes, psnrs = [], []
        for image in images:
            x0 = to_tensor(image)
            x = x0.clone().requires_grad_(True)
            optimizer = torch.optim.Adam([x], lr=lr)
            for _ in range(steps):
                optimizer.zero_grad()
                value = fn(dct_coefficients(x), tables).sum()
                if not value.requires_grad:  # a function of the tables only (Struempler's): nothing to edit
                    break
                value.backward()
                optimizer.step()
                with torch.no_grad():  # project back onto the distortion budget and the valid range
                    delta = x - x0
                    mse = (delta ** 2).mean()
                    if mse > budget:
                        delta *= torch.sqrt(budget / mse)
                    x.copy_((x0 + delta).clamp(0, 1))
            edited = (x.detach()[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
            before, after = image_rate(image, quality).file_bytes, image_rate(edited, quality).file_bytes
            changes.append(100 * (after - before) / before)
            mse = np.mean((edited.astype(float) - image) ** 2)
            psnrs.append(10 * np.log10(255**2 / mse) if mse > 0 else None)
        finite = [p for p in psnrs if p is not None]
        results[name] = {"file_size_change_percent": float(np.mean(changes)),
                         "psnr_db": float(np.mean(finite)) if finite else None}  # None: the images were not edited
    return results


def evaluate(bsds_every: int = 2, qualities=EVAL_QUALITIES, gradient_images: int = 8, echo=print) -> dict:
    """Correlations and errors of every proxy against the real bits on LIVE1 + BSDS500 test."""
    from scipy import stats

    density, network = load_pretrained("density"), load_pretrained("network")
    paths = data.image_paths("live1") + data.image_paths("bsds500-test")[::bsds_every]
    rows = []
    start = time.perf_counter()
    for path in progress(paths, desc="evaluate"):
        image = read_image(path)
        for q in qualities:
            coefficients, tables, rate = features(image, q)
            row = {"image": path.name, "quality": q, "pixels": image.shape[0] * image.shape[1],
                   "file_bits": 8 * rate.file_bytes, "entropy_coded_bits": 8 * rate.entropy_bytes}
            row.update(_proxy_values(coefficients, tables, density, network))
            rows.append(row)
    seconds = time.perf_counter() - start
    real = np.array([r["file_bits"] for r in rows], dtype=float)
    coded = np.array([r["entropy_coded_bits"] for r in rows], dtype=float)
    table = {}
    for name in PROXIES:
        values = np.array([r[name] for r in rows], dtype=float)
        entry = {"spearman": float(stats.spearmanr(values, real).statistic),
                 "pearson": float(stats.pearsonr(values, real).statistic)}
        if name in ("entropy", "density", "network"):  # these predict bits: compare with the coded data
            relative = np.abs(values - coded) / coded
            entry["median_relative_error"] = float(np.median(relative))
            entry["mean_relative_error"] = float(np.mean(relative))
        table[name] = entry
    crops = []
    for path in data.image_paths("live1")[:gradient_images]:
        image = read_image(path)
        top, left = (image.shape[0] - 256) // 2, (image.shape[1] - 256) // 2
        crops.append(np.ascontiguousarray(image[top:top + 256, left:left + 256]))
    gradient = gradient_test(crops, density=density, network=network)
    for name, result in gradient.items():
        table[name].update(result)
    echo(f"evaluated {len(rows)} (image, quality) pairs in {seconds:.0f} s")
    return {"datasets": f"live1 (all {len(data.image_paths('live1'))}) + bsds500-test (every {bsds_every})",
            "qualities": list(qualities), "subsampling": "4:2:0", "pairs": len(rows), "seconds": seconds,
            "proxies": table, "gradient_test": {"images": f"{gradient_images} LIVE1 centre crops 256x256",
                                                "quality": 25, "steps": 30, "psnr_floor_db": 38.0},
            "rows": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jpegtutor.experiments.rate_proxies", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("train")
    p.add_argument("--images", type=int, default=480)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/rate-proxies")
    p.add_argument("--ship", action="store_true", help="then ship both in the package (zoo rate-density, rate-network)")
    p = sub.add_parser("evaluate")
    p.add_argument("--out", default="rate_proxies.json", help="under data/results/")
    p.add_argument("--bsds-every", type=int, default=2)
    args = parser.parse_args(argv)
    if args.what == "train":
        train(args.images, args.steps, seed=args.seed, out=Path(args.out), ship=args.ship)
    else:
        result = evaluate(args.bsds_every)
        write_result(args.out, result)
        for name, entry in result["proxies"].items():
            print(f"{name:11s} " + "  ".join(f"{k} {v:.3f}" if v is not None else f"{k} -" for k, v in entry.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
