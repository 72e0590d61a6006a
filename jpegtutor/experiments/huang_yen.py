"""The Huang & Yen experiments behind chapter 12 (results in ``data/results/huang-yen/``).

    python -m jpegtutor.experiments.huang_yen train --simulator smooth|exact|cubic|range-bug [--steps N]  # runs/huang-yen/<simulator>
    python -m jpegtutor.experiments.huang_yen ship        # huang-yen (smooth) and shin-song (cubic) into the zoo; training curves
    python -m jpegtutor.experiments.huang_yen protocol    # the paper's: 16 Kodak images at Q = 10 and Q = 1, paired tests
    python -m jpegtutor.experiments.huang_yen rd [--dataset kodak|live1]   # the fair one: RD curves and BD-rates

The four training runs differ only in the simulator the loss sees (the paper's claim is about
it). ``huang-yen`` is the ``smooth`` run, ``shin-song`` the ``cubic`` run, ``shoda`` the ``cubic``
run followed by pseudo-contour suppression. Every file is a standard JPEG written by libjpeg with
optimized Huffman tables (standard tables decode to the same pixels, so the equal-quality
protocol does not depend on them); bits are compared at equal Huffman settings.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch

from .. import registry, zoo
from ..editors import huang_yen as hy
from ..eval import compare, evaluate, per_image_bd_rate
from . import RESULTS, write_result

__all__ = ["PAPER", "PROTOCOL_IMAGES", "main", "protocol", "rd", "ship", "train", "training_curve"]

RUNS = Path("runs/huang-yen")
SHIPPED = {"smooth": "huang-yen", "cubic": "shin-song"}
PROTOCOL_IMAGES = 16  # kodim01-kodim16: the paper does not list its 16 test images
RD_QUALITIES = (1, 3, 5, 8, 10, 12, 15, 20)
# the paper's Tables 1 (Q = 10) and 2 (Q = 1): PSNR, SSIM, LPIPS
PAPER = {10: {"libjpeg": (26.3808, 0.7699, 0.4602), "shoda": (23.3616, 0.7051, 0.5219),
              "shin-song": (23.2460, 0.7266, 0.4663), "huang-yen": (25.2663, 0.7593, 0.4566)},
         1: {"libjpeg": (21.3099, 0.5970, 0.6273), "huang-yen": (21.0559, 0.6022, 0.6155)}}


SHORT_RUNS = {"range-bug": 400}  # a run that cannot learn is shown for half as long


def train(simulator: str = "smooth", steps: int | None = None, echo=print) -> dict:
    run = RUNS / simulator
    return hy.train(run, "cpu", max_steps=steps or SHORT_RUNS.get(simulator), resume=run.is_dir(), echo=echo,
                    simulator=simulator)


def training_curve(run: Path, window: int = 25) -> dict:
    """Loss and real-file LPIPS / PSNR of a run (and of the plain JPEG of the same crops), averaged over windows."""
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    chunks = [log[i:i + window] for i in range(0, len(log), window)]
    keys = ("loss", "l1", "lpips", "real_lpips", "plain_lpips", "real_psnr_db", "plain_psnr_db")
    batch = json.loads((run / "config.json").read_text())["batch"]
    return {"step": [c[-1]["step"] for c in chunks], **{k: [float(np.mean([r[k] for r in c])) for c in chunks] for k in keys},
            "steps": log[-1]["step"], "minutes": sum(batch / r["images_per_s"] for r in log) / 60}


def ship(echo=print) -> list:
    """Ship ``huang-yen`` and ``shin-song`` (about 1 MB each) with their cards; write every run's training curve."""
    shipped = []
    for simulator, name in SHIPPED.items():
        run = RUNS / simulator
        if (run / "huang-yen.json").is_file():
            card = {**json.loads((run / "huang-yen.json").read_text()), "simulator": simulator}
            zoo.ship(name, run / "huang-yen.pt", card,
                     description=f"Huang & Yen's colour-reduction U-Net, trained at Q = 10 through the {simulator} simulator on a CPU")
            shipped.append(name)
            echo(f"shipped {name} ({card['steps']} steps)")
    path = RESULTS / "huang-yen/training.json"
    runs = json.loads(path.read_text())["runs"] if path.is_file() else {}
    runs.update({s: training_curve(RUNS / s) for s in hy.SIMULATORS if (RUNS / s / "log.jsonl").is_file()})
    write_result("huang-yen/training.json", {"runs": runs, "smoothing": "mean over windows of 25 steps"}, echo=echo)
    return shipped


def _methods(variants: bool) -> dict:
    """label -> (method, checkpoint): the shipped models, and the ablation runs that exist."""
    methods = {"libjpeg": ("libjpeg-optimized", None), "shoda": ("shoda", None), "shin-song": ("shin-song", None),
               "huang-yen": ("huang-yen", None)}
    if variants:
        for simulator in hy.SIMULATORS:  # the runs not shipped (smooth is huang-yen, cubic is shin-song)
            if simulator not in SHIPPED and (RUNS / simulator / "huang-yen.pt").is_file():
                methods[f"trained through {simulator}"] = ("huang-yen", str(RUNS / simulator / "huang-yen.pt"))
    return methods


def _lpips_vgg(result: dict, folder: Path) -> None:
    """Add LPIPS (VGG, the paper's) to every per-image point of ``result`` from its saved files."""
    from ..datasets import image_paths
    from ..image import read_image, to_tensor
    from ..jpeg.codec import decode
    from ..metrics.lpips_network import lpips

    paths = {p.name: p for p in image_paths("kodak")}
    for image in result["images"]:
        original = to_tensor(read_image(paths[image["name"]]))
        for point in image["points"]:
            decoded = to_tensor(decode((folder / point["file"]).read_bytes()))
            with torch.no_grad():
                point["lpips_vgg"] = float(lpips(decoded, original, "vgg")[0])


def protocol(images: int = PROTOCOL_IMAGES, variants: bool = True, echo=print) -> dict:
    """The paper's protocol: each method at Q = 10 and Q = 1 on the first ``images`` Kodak images:
    PSNR, SSIM, LPIPS (AlexNet and VGG) and bpp per image, their means, and paired tests of each
    method's LPIPS against JPEG's (Wilcoxon signed-rank and paired t): ``huang-yen/protocol.json``."""
    from scipy import stats

    out = {"images": images, "dataset": "kodak", "qualities": [10, 1], "paper": PAPER, "methods": {}}
    for label, (method, checkpoint) in _methods(variants).items():
        if checkpoint is None and method in registry.EDITORS and registry.EDITORS[method].missing():
            echo(f"skipped {label}: {registry.EDITORS[method].missing()}")
            continue
        with tempfile.TemporaryDirectory() as folder:
            result = evaluate(method, "kodak", (10, 1), "4:2:0", limit=images, checkpoint=checkpoint, save_files=folder)
            _lpips_vgg(result, Path(folder))
        out["methods"][label] = {"per_image": {str(q): {m: [im["points"][i][m] for im in result["images"]]
                                                        for m in ("bpp", "psnr_db", "ssim", "lpips_alex", "lpips_vgg")}
                                               for i, q in enumerate((10, 1))},
                                 "names": [im["name"] for im in result["images"]]}
        echo(f"{label}: " + ", ".join(f"Q={q}: " + " ".join(f"{m} {np.mean(v):.4f}" for m, v in per.items())
                                      for q, per in out["methods"][label]["per_image"].items()))
    plain = out["methods"]["libjpeg"]["per_image"]
    for label, row in out["methods"].items():
        row["mean"] = {q: {m: float(np.mean(v)) for m, v in per.items()} for q, per in row["per_image"].items()}
        if label == "libjpeg":
            continue
        row["paired"] = {}
        for q, per in row["per_image"].items():
            row["paired"][q] = {}
            for metric in ("lpips_alex", "lpips_vgg"):
                diff = np.array(per[metric]) - np.array(plain[q][metric])
                row["paired"][q][metric] = {
                    "mean_difference": float(diff.mean()), "images_better": int((diff < 0).sum()),
                    "wilcoxon_p": float(stats.wilcoxon(diff).pvalue), "t_test_p": float(stats.ttest_rel(per[metric], plain[q][metric]).pvalue)}
    write_result("huang-yen/protocol.json", out, echo=echo)
    return out


def rd(dataset: str = "kodak", variants=None, echo=print) -> dict:
    """RD curves at qualities 1-20 and BD-rates (PSNR, SSIM, LPIPS) against libjpeg, optimized Huffman
    tables on both sides, with the per-image spread: ``huang-yen/rd_<dataset>.json``."""
    reference = evaluate("libjpeg-optimized", dataset, RD_QUALITIES, "4:2:0")
    out = {"dataset": dataset, "qualities": list(RD_QUALITIES), "reference": reference["points"], "rows": {}}
    for label in variants or ("huang-yen", "shin-song", "shoda"):
        method, checkpoint = _methods(True)[label]
        result = evaluate(method, dataset, RD_QUALITIES, "4:2:0", checkpoint=checkpoint, label=label)
        spread = {}
        for metric in ("psnr_db", "ssim", "lpips_alex"):
            values = [v for v in per_image_bd_rate(result, reference, metric) if v is not None]
            if values:
                spread[metric] = {"best": float(np.min(values)), "median": float(np.median(values)),
                                  "worst": float(np.max(values)), "images": len(values)}
        comparison = compare(result, reference)
        out["rows"][label] = {"points": result["points"], "bd_rate_percent": comparison["bd_rate_percent"],
                              "bd_rate_percent_by_range": comparison["bd_rate_percent_by_range"], "per_image": spread}
        echo(f"{label}: {json.dumps({k: round(v, 2) for k, v in comparison['bd_rate_percent'].items() if isinstance(v, float)})}")
    path = RESULTS / f"huang-yen/rd_{dataset}.json"
    if path.is_file():
        out["rows"] = {**json.loads(path.read_text())["rows"], **out["rows"]}
    write_result(f"huang-yen/rd_{dataset}.json", out, echo=echo)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jpegtutor.experiments.huang_yen", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["train", "ship", "protocol", "rd"])
    parser.add_argument("--simulator", choices=hy.SIMULATORS, default="smooth")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--dataset", default="kodak", choices=("kodak", "live1"))
    parser.add_argument("--variants", help="rd: comma-separated labels (default: huang-yen, shin-song, shoda)")
    args = parser.parse_args(argv)
    if args.what == "train":
        train(args.simulator, args.steps)
    elif args.what == "ship":
        ship()
    elif args.what == "protocol":
        protocol()
    else:
        rd(args.dataset, args.variants.split(",") if args.variants else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
