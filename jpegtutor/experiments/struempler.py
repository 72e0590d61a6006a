"""The Struempler et al. experiments behind chapter 10 (results in ``data/results/struempler/``).

    python -m jpegtutor.experiments.struempler train [--variant both|tables|attention] [--steps N]
    python -m jpegtutor.experiments.struempler ship        # the trained models into the package (zoo)
    python -m jpegtutor.experiments.struempler evaluate [--dataset kodak|live1] [--limit N]   # struempler/summary*.json

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

__all__ = ["BASELINES", "VARIANTS", "evaluate_shipped", "main", "ship", "train"]

RUNS = Path("runs/struempler")
VARIANTS = {"both": {}, "tables": {"attention": False}, "attention": {"tables": False}}


def train(variant: str = "both", steps: int | None = None, lambdas=None, echo=print) -> dict:
    options = dict(VARIANTS[variant])
    if lambdas:
        options["lambdas"] = lambdas
    return struempler.train(RUNS / variant, "cpu", max_steps=steps, resume=True, echo=echo, **options)


BASELINES = ("libjpeg-optimized", "libjpeg", "mozjpeg")  # at 4:4:4, from the classical experiment
WINDOWS = ((0.0, 0.4), (0.1, 0.6), (0.6, 1.5))  # below 0.4 bpp: the paper's claim


def evaluate_shipped(limit: int | None = None, dataset: str = "kodak", echo=print) -> dict:
    """Every shipped registered variant on Kodak 4:4:4 (real files, full size), with BD-rates against
    :data:`BASELINES` overall and within :data:`WINDOWS`; ``struempler/summary.json``."""
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
    parser.add_argument("what", choices=["train", "ship", "evaluate"])
    parser.add_argument("--limit", type=int)
    parser.add_argument("--dataset", default="kodak", choices=("kodak", "live1"), help="evaluate: the test images")
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="both")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--lambdas", help="comma-separated operating points (default: the recipe's)")
    args = parser.parse_args(argv)
    if args.what == "train":
        train(args.variant, args.steps, args.lambdas)
    elif args.what == "ship":
        ship()
    else:
        evaluate_shipped(args.limit, args.dataset)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
