"""The Struempler et al. experiments behind chapter 10 (results in ``data/results/struempler/``).

    python -m jpegtutor.experiments.struempler train [--variant both|tables|attention] [--steps N]
    python -m jpegtutor.experiments.struempler ship        # the trained models into the package (zoo)
    python -m jpegtutor.experiments.struempler evaluate [--dataset kodak|live1] [--limit N]   # struempler/summary*.json
    python -m jpegtutor.experiments.struempler train --variant tables --rate density|network|log
    python -m jpegtutor.experiments.struempler rates      # the rate-term ablation: struempler/rates_kodak.json
    python -m jpegtutor.experiments.struempler refine [--steps 50]   # per-image refinement: struempler/refine_kodak.json

``train`` runs the CPU recipe (``cpu`` profile, frozen ImageNet VGG-16) for every lambda of
:data:`jpegtutor.editors.struempler.LAMBDAS` in ``runs/struempler/<variant>/``: ``both`` (attention
and learned tables, the paper's model), ``tables`` (learned tables only: 128 parameters) and
``attention`` (attention with the IJG quality-50 tables). ``evaluate`` writes real files of every
shipped variant on Kodak at 4:4:4 and measures them against libjpeg 4:4:4 with optimized and with
standard Huffman tables, over the whole range and below 0.4 bpp.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from .. import registry, zoo
from ..editors import struempler
from ..eval import compare, compare_curves, evaluate
from . import RESULTS, write_result

__all__ = ["BASELINES", "VARIANTS", "evaluate_rates", "evaluate_refinement", "evaluate_shipped", "main", "run_folder", "ship", "train"]

RUNS = Path("runs/struempler")
VARIANTS = {"both": {}, "tables": {"attention": False}, "attention": {"tables": False}}


RATE_WEIGHT = 100.0  # a rate proxy's weight on its bits per pixel: puts LAMBDAS near the regularizer's bit rates


def run_folder(variant: str, rate: str = "regularizer") -> Path:
    """``runs/struempler/<variant>`` (the paper's rate regularizer) or ``<variant>-<rate>`` (a Part III proxy)."""
    return RUNS / (variant if rate == "regularizer" else f"{variant}-{rate}")


def train(variant: str = "both", steps: int | None = None, lambdas=None, rate: str = "regularizer",
          echo=print) -> dict:
    options = dict(VARIANTS[variant])
    if lambdas:
        options["lambdas"] = lambdas
    if rate != "regularizer":
        options.update(rate=rate, rate_weight=RATE_WEIGHT)
    return struempler.train(run_folder(variant, rate), "cpu", max_steps=steps, resume=True, echo=echo, **options)


BASELINES = ("libjpeg-optimized", "libjpeg", "mozjpeg")  # at 4:4:4, from the classical experiment
WINDOWS = ((0.0, 0.4), (0.1, 0.6), (0.6, 1.5))  # below 0.4 bpp: the paper's claim


def evaluate_shipped(limit: int | None = None, dataset: str = "kodak", only=None, echo=print) -> dict:
    """Every shipped registered variant on Kodak 4:4:4 (real files, full size), with BD-rates against
    :data:`BASELINES` overall and within :data:`WINDOWS`; ``struempler/summary.json``. ``only``: the
    methods to evaluate again (the others' rows come from their earlier result files)."""
    rows = []
    methods = list(struempler.VARIANTS)
    if not registry.get_encoder("struempler").missing():  # the paper's setting: standard Huffman tables both sides
        registry.register_encoder(registry.Encoder(
            "struempler-standard-huffman", "struempler, its file written with the standard (Annex K) Huffman tables",
            lambda image, lam, s: struempler.write_file(struempler.shipped_model("both", float(lam)), image, optimize=False),
            {**registry.get_encoder("struempler").settings, "huffman": "standard"}, kind="coefficient-editor",
            point="lambda", points=registry.get_encoder("struempler").points,
            point_range=registry.get_encoder("struempler").point_range,
            subsamplings=("4:4:4",)))
        methods.append("struempler-standard-huffman")
    for method in methods:
        earlier = RESULTS / f"struempler/{method}_{dataset}_444.json"
        if only and method not in only and earlier.is_file():
            result = json.loads(earlier.read_text())
            rows.append({"method": method, "points": result["points"], "against": result["against"],
                         "against_420": result["against_420"]})
            continue
        if registry.get_encoder(method).missing():
            echo(f"skipping {method}: {registry.get_encoder(method).missing()}")
            continue
        result = evaluate(method, dataset, registry.get_encoder(method).points, "4:4:4", limit=limit)
        result["against"] = {}
        for base in BASELINES:
            path = RESULTS / f"classical/{base}_{dataset}_444.json"
            if path.is_file() and limit is None:
                deltas = compare(result, json.loads(path.read_text()), bpp_ranges=WINDOWS)
                result["against"][base] = {"all": deltas["bd_rate_percent"], **deltas["bd_rate_percent_by_range"]}
        result["against_420"] = {}  # where a user would start: 4:2:0 encoders (another subsampling: curves only)
        for base in ("libjpeg-optimized", "mozjpeg", "jpegli-optimized"):
            path = RESULTS / f"classical/{base}_{dataset}_420.json"
            if path.is_file() and limit is None:
                result["against_420"][base] = compare_curves(result["points"], json.loads(path.read_text())["points"])
        write_result(f"struempler/{method}_{dataset}_444.json", result, echo=echo)
        rows.append({"method": method, "points": result["points"], "against": result["against"],
                     "against_420": result["against_420"]})
        echo(f"{method}: {json.dumps(result['against'].get('libjpeg-optimized', {}).get('all'))}")
    out = {"dataset": dataset, "subsampling": "4:4:4", "lambdas": list(struempler.LAMBDAS), "rows": rows,
           "windows": [list(w) for w in WINDOWS]}
    write_result("struempler/summary.json" if dataset == "kodak" else f"struempler/summary_{dataset}.json", out, echo=echo)
    return out


def evaluate_rates(dataset: str = "kodak", limit: int | None = None, echo=print) -> dict:
    """The rate-term ablation: the tables-only model trained with each rate term of
    :data:`jpegtutor.editors.struempler.RATES` (same recipe, steps and lambdas), real files of every
    model on ``dataset`` at 4:4:4, BD-rates against libjpeg-optimized 4:4:4 and against the paper's
    regularizer; ``struempler/rates_<dataset>.json``. A model trained with a proxy is read from its
    run folder (``train --variant tables --rate R``)."""
    base_path = RESULTS / f"classical/libjpeg-optimized_{dataset}_444.json"
    reference = json.loads(base_path.read_text()) if base_path.is_file() else None
    rows = {}
    for rate in struempler.RATES:
        card_path = run_folder("tables", rate) / "struempler.json"
        if not card_path.is_file():
            echo(f"skipping rate {rate}: no {card_path} (python -m jpegtutor.experiments.struempler train "
                 f"--variant tables --rate {rate})")
            continue
        card = json.loads(card_path.read_text())
        models = {float(m["lambda"]): struempler.load_model(run_folder("tables", rate) / m["file"]) for m in card["models"]}
        name = f"struempler-tables-rate-{rate}"
        registry.register_encoder(registry.Encoder(
            name, f"Struempler's learned tables trained with the {rate} rate term (the ablation)",
            lambda image, lam, s, models=models: struempler.write_file(models[float(lam)], image),
            {"library": "jpegtutor (write_coefficients)", "huffman": "optimized", "rate": rate,
             "rate_weight": card["options"].get("rate_weight")}, kind="coefficient-editor", point="lambda",
            points=tuple(sorted(models)), point_range=(min(models), max(models)), subsamplings=("4:4:4",)))
        result = evaluate(name, dataset, tuple(sorted(models)), "4:4:4", limit=limit)
        result["training"] = {"steps": card["models"][0]["steps"], "seconds": sum(m["seconds"] for m in card["models"]),
                              "tables": {str(m["lambda"]): m["tables"] for m in card["models"]}}
        if reference is not None and limit is None:
            deltas = compare(result, reference, bpp_ranges=WINDOWS)
            result["against"] = {"libjpeg-optimized": {"all": deltas["bd_rate_percent"], **deltas["bd_rate_percent_by_range"]}}
        write_result(f"struempler/rate-{rate}_{dataset}_444.json", result, echo=echo)
        rows[rate] = result
    if "regularizer" in rows:
        for rate, result in rows.items():
            result.setdefault("against", {})["regularizer"] = compare_curves(result["points"], rows["regularizer"]["points"])
    out = {"dataset": dataset, "subsampling": "4:4:4", "variant": "tables", "rates": {
        rate: {"points": r["points"], "against": r.get("against", {}), "training": r["training"]} for rate, r in rows.items()}}
    write_result(f"struempler/rates_{dataset}.json", out, echo=echo)
    return out


REFINE_IMAGES = ("kodim01", "kodim04", "kodim13", "kodim23")  # texture, a face, texture, colour


def evaluate_refinement(steps: int = 50, lr: float = 1e-4, images=REFINE_IMAGES, variant: str = "both",
                        echo=print) -> dict:
    """The paper's single-image optimization (Sec. 4.8) as ``preedit --per-image-steps``: on each of
    ``images`` at every shipped lambda, the global model's file and the file of the model refined
    on that image for ``steps`` Adam steps; BD-rates of refined against global per image and of the
    mean curves; ``struempler/refine_kodak.json``."""
    import time

    from ..datasets import image_paths
    from ..image import read_image
    from ..metrics.measure import measure

    keys = ("bpp", "psnr_db", "psnr_y_db", "ms_ssim", "lpips_alex")
    paths = {p.stem: p for p in image_paths("kodak")}
    lambdas = struempler.shipped_lambdas(variant)
    per_image = []
    for stem in images:
        image = read_image(paths[stem])
        pixels = image.shape[0] * image.shape[1]
        curves = {"global": [], "refined": []}
        for lam in lambdas:
            model = struempler.shipped_model(variant, lam)
            t0 = time.perf_counter()
            refined = struempler.refine(model, image, lam, steps, lr, show_progress=False)
            seconds = time.perf_counter() - t0
            for which, m in (("global", model), ("refined", refined)):
                data = struempler.write_file(m, image)
                measured = measure(image, data)
                curves[which].append({"lambda": lam, "bytes": len(data), **{k: measured[k] for k in keys if k in measured},
                                      **({"seconds": round(seconds, 1)} if which == "refined" else {})})
            echo(f"{stem} lambda {lam:g}: global {curves['global'][-1]['bpp']:.3f} bpp {curves['global'][-1]['psnr_db']:.2f} dB, "
                 f"refined {curves['refined'][-1]['bpp']:.3f} bpp {curves['refined'][-1]['psnr_db']:.2f} dB ({seconds:.0f} s)")
        per_image.append({"name": stem, "pixels": pixels, **curves,
                          "refined_vs_global": compare_curves(curves["refined"], curves["global"])})
    mean = {which: [{k: sum(im[which][i][k] for im in per_image) / len(per_image) for k in per_image[0][which][i]}
                    for i in range(len(lambdas))] for which in ("global", "refined")}
    out = {"variant": variant, "steps": steps, "lr": lr, "images": per_image, "mean": mean,
           "refined_vs_global": compare_curves(mean["refined"], mean["global"])}
    write_result("struempler/refine_kodak.json", out, echo=echo)
    return out


def ship(echo=print) -> list:
    """Ship each trained variant's models (without the frozen VGG: at most 130 KB each) with their cards."""
    import json

    shipped = []
    for variant in VARIANTS:
        card_path = RUNS / variant / "struempler.json"
        if not card_path.is_file():
            continue
        card = json.loads(card_path.read_text())
        for entry in card["models"]:
            name = struempler.zoo_name(variant, entry["lambda"])
            state = torch.load(RUNS / variant / entry["file"], map_location="cpu", weights_only=True)
            if "tables.w" in state and "tables.scale" not in state:  # runs saved before the scale was a buffer
                state["tables.scale"] = torch.tensor(card["lr"] / card["options"]["table_step"])
                torch.save(state, RUNS / variant / entry["file"])
            zoo.ship(name, RUNS / variant / entry["file"], {**{k: v for k, v in card.items() if k != "models"}, **entry,
                                                           "variant": variant},
                     description=f"Struempler et al. ({variant}), lambda {entry['lambda']:g}, CPU recipe")
            shipped.append(name)
            echo(f"shipped {name}")
    write_result("struempler/shipped.json", {"models": shipped}, echo=echo)
    return shipped


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jpegtutor.experiments.struempler", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["train", "ship", "evaluate", "rates", "refine"])
    parser.add_argument("--limit", type=int)
    parser.add_argument("--methods", help="evaluate: comma-separated methods to evaluate again (default: all)")
    parser.add_argument("--dataset", default="kodak", choices=("kodak", "live1"), help="evaluate: the test images")
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="both")
    parser.add_argument("--steps", type=int, help="train: steps per lambda (default: the cpu profile's); refine: per image (50)")
    parser.add_argument("--lambdas", help="comma-separated operating points (default: the recipe's)")
    parser.add_argument("--rate", choices=struempler.RATES, default="regularizer",
                        help="train: the rate term (the paper's regularizer, or a rate proxy of Part III)")
    args = parser.parse_args(argv)
    if args.what == "train":
        train(args.variant, args.steps, args.lambdas, args.rate)
    elif args.what == "ship":
        ship()
    elif args.what == "rates":
        evaluate_rates(args.dataset, args.limit)
    elif args.what == "refine":
        evaluate_refinement(args.steps or 50)
    else:
        evaluate_shipped(args.limit, args.dataset, args.methods.split(",") if args.methods else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
