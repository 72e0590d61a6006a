"""The Ye et al. experiments behind chapter 11 (results in ``data/results/ye/``).

    python -m jpegtutor.experiments.ye train [--variant mse|msssim|lpips|<ablation>] [--steps N]   # runs/ye/<variant>
    python -m jpegtutor.experiments.ye ship               # ye, ye-msssim, ye-lpips into the zoo
    python -m jpegtutor.experiments.ye evaluate [--dataset kodak|live1] [--variants a,b]   # ye/summary_<dataset>.json
    python -m jpegtutor.experiments.ye parts              # the rate network and the masks on unseen images: ye/parts.json
    python -m jpegtutor.experiments.ye per-image [--steps 50] [--limit 8]   # per-image optimization for LPIPS

Variants: the three models (``mse``, the main one; ``msssim``; ``lpips``) and the ablations of
the MSE model, each with one part replaced (``mask-none``, ``mask-lowpass``, ``lam-fixed``: one
lambda for every image, the median of the content-dependent ones; ``rate-log``: Part III's closed-form
proxy instead of the refitted rate network; ``sim-exact``: libjpeg's decoded pixels as the
distortion's value, straight-through gradients through the same mask), and ``mse-short``, the main model trained as long
as the ablations. Every evaluation writes real files at full size and measures them against
libjpeg 4:2:0 at the same qualities, with optimized Huffman tables on both sides (and with the
standard tables on both sides, since the paper does not say which its baseline used).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from .. import zoo
from ..editors import ye
from ..eval import compare, evaluate, per_image_bd_rate
from . import RESULTS, write_result

__all__ = ["ABLATION_STEPS", "VARIANTS", "evaluate_variants", "fixed_lambda", "main", "measure_parts", "per_image",
           "ship", "train", "training_curve"]

RUNS = Path("runs/ye")
ABLATION_STEPS = 1000
VARIANTS = {  # variant -> (settings, steps or None for the profile's)
    "mse": ({}, None),
    "msssim": ({"distortion": "ms-ssim", "crop": 176, "batch": 4}, 1200),
    "lpips": ({"distortion": "lpips"}, 1200),
    "mse-short": ({}, ABLATION_STEPS),
    "mask-none": ({"mask": "none"}, ABLATION_STEPS),
    "mask-lowpass": ({"mask": "lowpass"}, ABLATION_STEPS),
    "lam-fixed": ({"lam": "fixed"}, ABLATION_STEPS),
    "rate-log": ({"rate": "log"}, ABLATION_STEPS),
    "sim-exact": ({"simulator": "exact"}, ABLATION_STEPS),
}
SHIPPED = {"mse": "ye", "msssim": "ye-msssim", "lpips": "ye-lpips"}
QUALITIES = (10, 15, 20, 25, 30, 40, 50)


def fixed_lambda(crops: int = 256, seed: int = 0) -> float:
    """The median content-dependent lambda (MSE) over random training crops at qualities 10-50:
    the one multiplier of the ``lam-fixed`` ablation."""
    from ..train.batches import CropDataset

    dataset = CropDataset("train", 96, ye.TRAINED_QUALITIES, seed=seed)
    rng = np.random.default_rng(seed)
    picks = [dataset[(0, int(i))] for i in rng.choice(len(dataset), crops, replace=len(dataset) < crops)]
    images, qualities = torch.stack([p[0] for p in picks]), torch.tensor([p[1] for p in picks])
    lam = ye.content_lambda(images, qualities, ye.distortion_function("mse"))["lambda"]
    return float(lam.median())


def train(variant: str = "mse", steps: int | None = None, echo=print) -> dict:
    settings, default_steps = VARIANTS[variant]
    settings = dict(settings)
    if settings.get("lam") == "fixed":
        settings["lam"] = f"{fixed_lambda():.1f}"
        echo(f"lam-fixed: lambda = {settings['lam']} (the median content-dependent one)")
    return ye.train(RUNS / variant, "cpu", max_steps=steps or default_steps, resume=(RUNS / variant).is_dir(),
                    echo=echo, **settings)


def _seconds(run: Path) -> float:
    lines = (run / "log.jsonl").read_text().splitlines()
    batch = json.loads((run / "config.json").read_text())["batch"]
    return sum(batch / json.loads(line)["images_per_s"] for line in lines)


def ship(echo=print) -> list:
    """Ship the three trained models (preprocessor and refitted rate network, about 0.3 MB each) with their cards."""
    shipped = []
    for variant, name in SHIPPED.items():
        run = RUNS / variant
        if not (run / "ye.json").is_file():
            continue
        card = {**json.loads((run / "ye.json").read_text()), "variant": variant, "seconds": round(_seconds(run), 1)}
        zoo.ship(name, run / "ye.pt", card, description=f"Ye et al. (from the abstract), trained for {card['options']['distortion']} on a CPU")
        shipped.append(name)
        echo(f"shipped {name} ({card['steps']} steps, {card['seconds'] / 60:.0f} min)")
    path = RESULTS / "ye/training.json"  # a model shipped earlier, whose run is gone, keeps its curve
    runs = json.loads(path.read_text())["runs"] if path.is_file() else {}
    runs.update({v: training_curve(RUNS / v) for v in SHIPPED if (RUNS / v / "ye.json").is_file()})
    write_result("ye/training.json", {"runs": {v: runs[v] for v in SHIPPED if v in runs},
                                      "smoothing": "mean over windows of 50 steps"}, echo=echo)
    return shipped


def training_curve(run: Path, window: int = 50) -> dict:
    """The simulated and the real relative RD cost of a run, averaged over windows of ``window`` steps."""
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    chunks = [log[i:i + window] for i in range(0, len(log), window)]
    return {"step": [c[-1]["step"] for c in chunks],
            **{k: [float(np.mean([r[k] for r in c])) for c in chunks] for k in ("rd_cost", "real_rd_cost", "rate_error")},
            "steps": log[-1]["step"], "minutes": _seconds(run) / 60}


def _reference(dataset: str, method: str, limit=None, cache=None) -> dict:
    return evaluate(method, dataset, QUALITIES, "4:2:0", limit=limit, cache=cache)


def evaluate_variants(dataset: str = "kodak", variants=None, limit: int | None = None, echo=print) -> dict:
    """Each trained variant through libjpeg with optimized Huffman tables (and the main models
    with the standard ones), against libjpeg at the same qualities: ``ye/<variant>_<dataset>.json``
    and ``ye/summary_<dataset>.json`` (BD-rates overall and per image: best, median, worst)."""
    variants = [v for v in (variants or VARIANTS) if (RUNS / v / "ye.pt").is_file()]
    cache = {}  # standard and optimized Huffman tables decode to the same pixels: measured once
    references = {"libjpeg-optimized": _reference(dataset, "libjpeg-optimized", limit, cache)}
    rows = []
    for variant in variants:
        for encoder in ("libjpeg-optimized", "libjpeg") if variant in SHIPPED else ("libjpeg-optimized",):
            if encoder not in references:
                references[encoder] = _reference(dataset, encoder, limit, cache)
            name = f"ye-{variant}" if encoder == "libjpeg-optimized" else f"ye-{variant}+{encoder}"
            method = "ye" if encoder == "libjpeg-optimized" else f"ye+{encoder}"
            result = evaluate(method, dataset, QUALITIES, "4:2:0", limit=limit, checkpoint=str(RUNS / variant / "ye.pt"),
                              label=name, cache=cache)
            result.update(compare(result, references[encoder]))
            spread = {}
            for metric in ("psnr_db", "ms_ssim", "lpips_alex"):
                values = [v for v in per_image_bd_rate(result, references[encoder], metric) if v is not None]
                if values:
                    spread[metric] = {"best": float(np.min(values)), "median": float(np.median(values)),
                                      "worst": float(np.max(values)), "images": len(values)}
            result["per_image_bd_rate"] = spread
            if limit is None:
                write_result(f"ye/{name}_{dataset}.json", result, echo=echo)
            card = json.loads((RUNS / variant / "ye.json").read_text())
            rows.append({"variant": variant, "method": name, "encoder": encoder, "against": encoder,
                         "bd_rate_percent": result["bd_rate_percent"], "per_image": spread, "points": result["points"],
                         "steps": card["steps"], "options": card["options"],
                         "train_seconds": round(_seconds(RUNS / variant), 1)})
            echo(f"{name}: {json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result['bd_rate_percent'].items()})}")
    out = {"dataset": dataset, "subsampling": "4:2:0", "qualities": list(QUALITIES), "rows": rows,
           "references": {k: v["points"] for k, v in references.items()}}
    path = RESULTS / f"ye/summary_{dataset}.json"
    if path.is_file() and limit is None:  # a run for some variants keeps the rows of the others
        done = {row["method"] for row in rows}
        out["rows"] = [r for r in json.loads(path.read_text())["rows"] if r["method"] not in done] + rows
    if limit is None:
        write_result(f"ye/summary_{dataset}.json", out, echo=echo)
    return out


def measure_parts(images: int = 12, crops_per_image: int = 4, crop: int = 128, echo=print) -> dict:
    """On Kodak crops (never trained on), at qualities 10-50: how close each mask brings the simulated
    distortion to libjpeg's, and how well each rate estimate follows the real bits: the shipped
    rate network, the one refitted while training ``ye``, and Part III's closed-form proxy."""
    from ..datasets import image_paths
    from ..diff import dct_coefficients, quality_to_tables, simulate
    from ..image import read_image, to_tensor
    from ..rate import load_pretrained, log_proxy

    rng = np.random.default_rng(0)
    batch, qualities = [], []
    for path in image_paths("kodak")[:images]:
        image = read_image(path)
        for _ in range(crops_per_image):
            top, left = rng.integers(0, image.shape[0] - crop), rng.integers(0, image.shape[1] - crop)
            batch.append(to_tensor(image[top:top + crop, left:left + crop].copy())[0])
            qualities.append(float(rng.choice(QUALITIES)))
    x, q = torch.stack(batch), torch.tensor(qualities)
    out = {"crops": len(batch), "crop": crop, "images": images, "qualities": list(QUALITIES)}
    with torch.no_grad():
        real = 255.0**2 * ((simulate(x, q) - x) ** 2).mean((1, 2, 3))
        out["masks"] = {}
        for mask in ye.MASKS:
            simulated = 255.0**2 * ((ye.simulated_decode(x, q, mask=mask) - x) ** 2).mean((1, 2, 3))
            ratio = simulated / real
            out["masks"][mask] = {"mean_ratio": float(ratio.mean()), "mean_abs_error_percent": float(100 * (ratio - 1).abs().mean()),
                                  "correlation": float(np.corrcoef(simulated, real)[0, 1])}
        bits = ye.real_bits(x, q)
        coefficients, tables = dct_coefficients(x), quality_to_tables(q)
        estimates = {"rate network (shipped, standard Huffman)": load_pretrained("network")(coefficients, tables),
                     "log proxy (Part III)": log_proxy(coefficients, tables)}
        if "ye" in zoo.manifest():
            estimates["rate network refitted while training ye"] = ye.load_rate_network("ye")(coefficients, tables)
        out["rate"] = {}
        for name, estimate in estimates.items():
            log_e, log_r = np.log(estimate.numpy()), np.log(bits.numpy())
            out["rate"][name] = {"pearson_log": float(np.corrcoef(log_e, log_r)[0, 1]),
                                 "mean_abs_error_percent": float(100 * ((estimate - bits).abs() / bits).mean())}
    write_result("ye/parts.json", out, echo=echo)
    echo(json.dumps(out, indent=1))
    return out


def per_image(steps: int = 50, limit: int = 8, name: str = "ye", distortion: str = "lpips", echo=print) -> dict:
    """Per-image optimization (the contract's per-image mode) with ``distortion`` as the loss, on the
    first ``limit`` Kodak images: BD-rates per image against libjpeg-optimized and against the
    network alone (mean and best): ``ye/per-image_kodak.json``."""
    from .. import registry

    reference = _reference("kodak", "libjpeg-optimized", limit)
    network = evaluate(name, "kodak", QUALITIES, "4:2:0", limit=limit)
    spec = registry.get_method(name, per_image_steps=steps, loss_options={"distortion": distortion})
    refined = evaluate(spec, "kodak", QUALITIES, "4:2:0", limit=limit, label=f"{name}-per-image-{distortion}")
    out = {"name": name, "steps": steps, "distortion": distortion, "images": limit, "rows": {}}
    for label, result in (("network", network), ("per-image", refined)):
        per = {m: per_image_bd_rate(result, reference, m) for m in ("psnr_db", "ms_ssim", "lpips_alex")}
        out["rows"][label] = {"bd_rate_percent": compare(result, reference)["bd_rate_percent"], "per_image": per,
                              "points": result["points"],
                              "seconds_per_encode": float(np.median([p["seconds"] for p in result["points"]]))}
    write_result("ye/per-image_kodak.json", out, echo=echo)
    echo(json.dumps({k: v["bd_rate_percent"] for k, v in out["rows"].items()}))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jpegtutor.experiments.ye", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["train", "ship", "evaluate", "parts", "per-image"])
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="mse")
    parser.add_argument("--variants", help="evaluate: comma-separated variants (default: every trained one)")
    parser.add_argument("--steps", type=int, help="train: steps (default: the variant's); per-image: steps per image (50)")
    parser.add_argument("--dataset", default="kodak", choices=("kodak", "live1"))
    parser.add_argument("--limit", type=int)
    args = parser.parse_args(argv)
    if args.what == "train":
        train(args.variant, args.steps)
    elif args.what == "ship":
        ship()
    elif args.what == "evaluate":
        evaluate_variants(args.dataset, args.variants.split(",") if args.variants else None, args.limit)
    elif args.what == "parts":
        measure_parts()
    else:
        per_image(args.steps or 50, args.limit or 8)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
