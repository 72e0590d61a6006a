"""Training and evaluating the no-reference quality model (:mod:`jpegtutor.metrics.noref`).

    python -m jpegtutor.experiments.noref train [--samples 4000] [--steps 2000]   # ships zoo weights "noref"
    python -m jpegtutor.experiments.noref evaluate                               # data/results/noref_quality.json

Training data (deterministic from the seed): random 128x128 crops of the ``train`` images, each
damaged by JPEG at a quality uniform in [2, 100] (4:2:0 with probability 0.8, else 4:4:4), a
fraction first blurred (Gaussian, sigma 0.5-2.5 px) and/or given mild Gaussian noise, and a few
left undamaged (target 0). Blur is in the mix on purpose: the editor that uses this loss smooths
images, and a model that had only seen JPEG could reward blur. Everything is held in memory as
uint8; the target is computed once per sample with :func:`jpegtutor.metrics.lpips`.

The loss is L1 between square roots, ``|sqrt(pred + e) - sqrt(target + e)|``: LPIPS spans about
0.01 (quality 95) to 0.6 (quality 2), and on a linear scale the few heavily damaged samples would
dominate, while the editor works at moderate qualities where the differences are small. The square
root evens the scale out (a log would over-weight near-zero targets, where LPIPS itself is noisy).

Evaluation (``evaluate``) uses LIVE1 (29 images, full size, never seen in training) at qualities
5, 10, 20, 30, 50, 70, 90 with 4:2:0, plus every image blurred (sigma 1.5) then JPEG q 50. The
results file ``data/results/noref_quality.json`` holds, flat:

- ``pairs``, ``spearman``, ``pearson``: correlation of the prediction with the true LPIPS-Alex
  over all (image, quality) pairs of plain JPEG;
- ``within_image_spearman_mean`` / ``_min``: Spearman over the 7 qualities of one image, averaged
  over (and worst of) the 29 images;
- ``blur_*``: for blur sigma ``blur_sigma`` + JPEG ``blur_quality``: Spearman and Pearson over the
  29 blurred images, ``blur_true_mean``/``blur_pred_mean`` (and ``jpeg_true_mean_q50`` /
  ``jpeg_pred_mean_q50`` for the unblurred q 50 files), ``blur_order_agreement`` (the fraction of
  images where the model orders "blur + q 50" against "q 50" as LPIPS does), and
  ``spearman_with_blur`` (all pairs, blurred ones included);
- ``rows``: one record per file: ``image``, ``quality``, ``blur_sigma``, ``lpips`` (true),
  ``predicted``.

The evaluate command also copies the summary numbers into the weights' card (``noref.json``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import zoo
from ..files import write_json, write_with
from . import write_result
from ..metrics.noref import DEFAULT_WIDTH, MIN_SIDE, NoRefQuality, load_pretrained

EVAL_QUALITIES = (5, 10, 20, 30, 50, 70, 90)
_SQRT_EPS = 1e-3


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of ``uint8 (H, W, 3)`` with standard deviation ``sigma`` px (reflecting edges)."""
    from scipy.ndimage import gaussian_filter

    out = gaussian_filter(image.astype(np.float32), sigma=(sigma, sigma, 0), mode="reflect")
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _jpeg(image: np.ndarray, quality: int, subsampling: str) -> np.ndarray:
    from ..jpeg.reference import pillow_decode, pillow_encode

    return pillow_decode(pillow_encode(image, int(quality), subsampling))


def _damage(crop: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """One random damage of a ``uint8 (H, W, 3)`` crop and its description."""
    if rng.random() < 0.04:
        return crop, "none"
    out, parts = crop, []
    if rng.random() < 0.3:
        sigma = float(rng.uniform(0.5, 2.5))
        out, parts = _blur(out, sigma), parts + [f"blur {sigma:.2f}"]
    if rng.random() < 0.2:
        std = float(rng.uniform(1.0, 6.0))
        noisy = out.astype(np.float32) + rng.normal(0.0, std, out.shape).astype(np.float32)
        out, parts = np.clip(noisy + 0.5, 0, 255).astype(np.uint8), parts + [f"noise {std:.1f}"]
    quality = int(rng.integers(2, 101))
    subsampling = "4:2:0" if rng.random() < 0.8 else "4:4:4"
    out = _jpeg(out, quality, subsampling)
    return out, " + ".join(parts + [f"jpeg q{quality} {subsampling}"])


def damaged_samples(samples: int, crop: int = 128, seed: int = 0, batch: int = 32,
                    desc: str = "data") -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """``samples`` damaged random crops of the ``train`` images and their LPIPS-Alex to the original.

    Returns ``(images uint8 (N, 3, crop, crop), targets float32 (N,), descriptions)``, the same for
    the same ``seed``.
    """
    from .. import datasets as data
    from ..image import read_image, to_tensor
    from ..runtime import progress
    from ..metrics.lpips_network import lpips

    if samples < 1 or crop < MIN_SIDE:
        raise ValueError(f"need samples >= 1 and crop >= {MIN_SIDE}, got samples={samples}, crop={crop}")
    rng = np.random.default_rng(seed)
    paths = data.image_paths("train")
    cache: dict[int, np.ndarray] = {}
    images = torch.empty(samples, 3, crop, crop, dtype=torch.uint8)
    targets = torch.empty(samples)
    descriptions: list[str] = []
    bar = progress(range(samples), desc=desc)
    for start in range(0, samples, batch):
        originals, damaged = [], []
        for _ in range(min(batch, samples - start)):
            index = int(rng.integers(len(paths)))
            if index not in cache:
                cache[index] = read_image(paths[index])
            image = cache[index]
            top = int(rng.integers(image.shape[0] - crop + 1))
            left = int(rng.integers(image.shape[1] - crop + 1))
            original = np.ascontiguousarray(image[top:top + crop, left:left + crop])
            out, what = _damage(original, rng)
            originals.append(original)
            damaged.append(out)
            descriptions.append(what)
        x, y = to_tensor(np.stack(damaged)), to_tensor(np.stack(originals))
        with torch.no_grad():
            targets[start:start + len(damaged)] = lpips(x, y, "alex")
        images[start:start + len(damaged)] = torch.from_numpy(np.stack(damaged)).permute(0, 3, 1, 2)
        bar.update(len(damaged))
    bar.close()
    return images, targets, descriptions


def _loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((predicted + _SQRT_EPS).sqrt() - (target + _SQRT_EPS).sqrt()).abs().mean()


def train(samples: int = 4000, steps: int = 2000, batch: int = 32, seed: int = 0, out: Path = Path("runs/noref"),
          echo=print, crop: int = 128, lr: float = 1.5e-3, width: int = DEFAULT_WIDTH) -> dict:
    """Generate ``samples`` damaged crops, fit :class:`NoRefQuality` for ``steps`` Adam steps of
    ``batch`` crops (random flips), and save ``out/noref.pt`` (state dict) with its card ``noref.json``.

    Returns the card. Runs on one CPU thread (it is meant to share the machine with other jobs).
    """
    from ..runtime import progress, seed_everything

    if steps < 1 or batch < 1:
        raise ValueError(f"need steps >= 1 and batch >= 1, got steps={steps}, batch={batch}")
    torch.set_num_threads(1)
    gen = seed_everything(seed)
    start = time.perf_counter()
    images, targets, descriptions = damaged_samples(samples, crop=crop, seed=seed)
    data_seconds = time.perf_counter() - start
    model = NoRefQuality(width)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.05)
    history: list[float] = []
    bar = progress(range(steps), desc="train")
    for step in bar:
        pick = torch.randint(len(images), (min(batch, len(images)),), generator=gen)
        x = images[pick].float().div_(255)
        flips = torch.randint(2, (2,), generator=gen).tolist()  # 128 is a multiple of 16: the block grid survives
        if flips[0]:
            x = x.flip(-1)
        if flips[1]:
            x = x.flip(-2)
        loss = _loss(model(x), targets[pick])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        history.append(loss.item())
        if (step + 1) % 50 == 0:
            bar.set_postfix(sqrt_l1=f"{np.mean(history[-50:]):.4f}")
    train_seconds = time.perf_counter() - start - data_seconds
    model.eval()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    kinds = {"undamaged": sum(d == "none" for d in descriptions),
             "blurred": sum("blur" in d for d in descriptions),
             "noisy": sum("noise" in d for d in descriptions),
             "jpeg_444": sum("4:4:4" in d for d in descriptions)}
    card = {
        "model": "NoRefQuality",
        "architecture": (f"inputs [2x-1, LCN luma 7x7, 10 * 3x3 high-pass] (7 ch); 12x12 conv stride 8 "
                         f"(block-aligned, pad 2), 1x1, 3x3, 3x3 stride 2, width {width}, LeakyReLU(0.1); "
                         "1x1 head, softplus, spatial mean"),
        "width": width,
        "parameters": sum(p.numel() for p in model.parameters()),
        "receptive_field_px": 50,  # 12 + 16 + 16 px of convolutions, plus the 7x7 input window
        "target": "LPIPS-Alex v0.1 (jpegtutor.metrics.lpips) of the damaged crop against the original crop",
        "loss": f"L1 between sqrt(pred + {_SQRT_EPS}) and sqrt(target + {_SQRT_EPS})",
        "data": (f"train: {samples} random {crop}x{crop} crops (seed {seed}); JPEG q uniform in [2, 100], "
                 "4:2:0 (p 0.8) or 4:4:4; before it Gaussian blur sigma 0.5-2.5 (p 0.3) and/or noise "
                 "std 1-6 levels (p 0.2); undamaged p 0.04"),
        "data_counts": {"samples": samples, **kinds},
        "target_mean": float(targets.mean()), "target_max": float(targets.max()),
        "steps": steps, "batch": batch, "lr": lr, "optimizer": "Adam, one-cycle schedule",
        "seed": seed, "threads": 1,
        "seconds": time.perf_counter() - start, "data_seconds": data_seconds, "train_seconds": train_seconds,
        "command": (f"python -m jpegtutor.experiments.noref train --samples {samples} --steps {steps} "
                    f"--batch {batch} --seed {seed}"),
        "torch": torch.__version__,
        "final_loss": float(np.mean(history[-50:])),
        "loss_history_every_10": [round(v, 5) for v in history[::10]],
    }
    write_with(out / "noref.pt", lambda handle: torch.save(model.state_dict(), handle))
    write_json(out / "noref.json", card)
    echo(f"trained in {card['seconds']:.0f} s (data {data_seconds:.0f} s); wrote {out}/noref.pt and noref.json")
    return card


# --- evaluation --------------------------------------------------------------------------------

def evaluate(model: nn.Module | None = None, qualities=EVAL_QUALITIES, blur_sigma: float = 1.5,
             blur_quality: int = 50, limit: int | None = None, echo=print) -> dict:
    """Prediction against true LPIPS-Alex on LIVE1 (full size, 4:2:0); see the module docstring."""
    from scipy import stats

    from .. import datasets as data
    from ..image import read_image, to_tensor
    from ..runtime import progress
    from ..metrics.lpips_network import lpips

    model = model if model is not None else load_pretrained()
    paths = data.image_paths("live1")[:limit]
    rows = []
    start = time.perf_counter()
    for path in progress(paths, desc="evaluate"):
        image = read_image(path)
        original = to_tensor(image)
        versions = [(q, 0.0, _jpeg(image, q, "4:2:0")) for q in qualities]
        if blur_sigma:
            versions.append((blur_quality, blur_sigma, _jpeg(_blur(image, blur_sigma), blur_quality, "4:2:0")))
        for quality, sigma, decoded in versions:
            x = to_tensor(decoded)
            with torch.no_grad():
                rows.append({"image": path.name, "quality": quality, "blur_sigma": sigma,
                             "lpips": float(lpips(x, original, "alex")[0]), "predicted": float(model(x)[0])})
    seconds = time.perf_counter() - start

    def corr(selected):
        true = np.array([r["lpips"] for r in selected])
        pred = np.array([r["predicted"] for r in selected])
        return float(stats.spearmanr(pred, true).statistic), float(stats.pearsonr(pred, true).statistic)

    plain = [r for r in rows if r["blur_sigma"] == 0]
    spearman, pearson = corr(plain)
    within = [corr([r for r in plain if r["image"] == p.name])[0] for p in paths]
    result = {"dataset": f"live1 (all {len(paths)} images, full size)", "qualities": list(qualities),
              "subsampling": "4:2:0", "pairs": len(plain), "spearman": spearman, "pearson": pearson,
              "within_image_spearman_mean": float(np.mean(within)),
              "within_image_spearman_min": float(np.min(within))}
    blurred = [r for r in rows if r["blur_sigma"] != 0]
    if blurred:
        reference = {r["image"]: r for r in plain if r["quality"] == blur_quality}
        agree = [np.sign(b["predicted"] - reference[b["image"]]["predicted"])
                 == np.sign(b["lpips"] - reference[b["image"]]["lpips"]) for b in blurred] if reference else []
        blur_spearman, blur_pearson = corr(blurred) if len(blurred) > 2 else (float("nan"), float("nan"))
        result.update({
            "blur_sigma": blur_sigma, "blur_quality": blur_quality, "blur_pairs": len(blurred),
            "blur_spearman": blur_spearman, "blur_pearson": blur_pearson,
            "blur_true_mean": float(np.mean([r["lpips"] for r in blurred])),
            "blur_pred_mean": float(np.mean([r["predicted"] for r in blurred])),
            "jpeg_true_mean_q50": float(np.mean([r["lpips"] for r in reference.values()])) if reference else None,
            "jpeg_pred_mean_q50": float(np.mean([r["predicted"] for r in reference.values()])) if reference else None,
            "blur_order_agreement": float(np.mean(agree)) if agree else None,
            "spearman_with_blur": corr(rows)[0],
        })
    result["seconds"] = seconds
    result["rows"] = rows
    echo(f"evaluated {len(rows)} files in {seconds:.0f} s")
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jpegtutor.experiments.noref", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("train", help="generate the damaged crops and fit the model (about 8 minutes on a CPU)")
    p.add_argument("--samples", type=int, default=4000)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/noref", help="run folder for noref.pt and its card")
    p.add_argument("--ship", action="store_true", help="then ship the weights in the package (zoo name noref)")
    p = sub.add_parser("evaluate", help="correlation with true LPIPS-Alex on LIVE1; writes the results JSON")
    p.add_argument("--out", default="noref_quality.json", help="under data/results/")
    p.add_argument("--weights", default=None, help="a noref.pt other than the shipped one")
    args = parser.parse_args(argv)
    if args.what == "train":
        card = train(args.samples, args.steps, args.batch, seed=args.seed, out=Path(args.out))
        if args.ship:
            print(f"shipped {zoo.ship('noref', Path(args.out) / 'noref.pt', card)}")
        return 0
    result = evaluate(load_pretrained(args.weights))
    write_result(args.out, result)
    if args.weights is None:  # the shipped card carries the summary numbers of its weights
        card = zoo.card("noref")
        card["evaluation"] = {k: v for k, v in result.items() if k != "rows"}
        zoo.ship("noref", zoo.path("noref"), card)
    for key, value in result.items():
        if key != "rows":
            print(f"{key:28s} {value:.4f}" if isinstance(value, float) else f"{key:28s} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
