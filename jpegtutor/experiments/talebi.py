"""The Talebi et al. experiments behind chapter 09's numbers (all results in ``data/results/``).

    python -m jpegtutor.experiments.talebi train      # the CPU runs: 3,000 steps + ablations (1,000 steps each)
    python -m jpegtutor.experiments.talebi ship       # the chosen run's editor into the package (zoo name talebi)
    python -m jpegtutor.experiments.talebi encoders [--encoder trellis]
                                                      # talebi/encoders_kodak_420.json: the shipped editor handed to
                                                      # libjpeg (standard, optimized Huffman), mozjpeg, jpegli and the
                                                      # trellis quantizer (chapter 08a), each against the same encoder
                                                      # alone (equal Huffman settings); --encoder reruns one row
    python -m jpegtutor.experiments.talebi evaluate   # talebi_kodak_420.json (standard Huffman, as the paper)
    python -m jpegtutor.experiments.talebi evaluate --checkpoint runs/talebi/long/talebi.pt \
        --label "talebi (3,000-step joint run, not shipped)" --out talebi-3000-steps_kodak_420.json
    python -m jpegtutor.experiments.talebi ablation   # talebi_ablation.json: smoother / transformer / both, +- quality term
    python -m jpegtutor.experiments.talebi per-image  # talebi_per_image.json: feed-forward vs per-image optimization

Every evaluation writes real files and measures them on Kodak at 4:2:0, at the low rates the
paper targets (below about 0.5 bpp); BD-rates are against the encoder alone, measured in the same
run over a wider quality range, so that the curves overlap.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import torch

from .. import datasets as data
from .. import registry, zoo
from ..editors import PreEditLoss, optimize_image, talebi
from ..eval import compare, evaluate
from ..image import read_image, to_tensor, to_uint8
from ..jpeg.reference import pillow_encode
from ..metrics import measure
from . import RESULTS, write_result

__all__ = ["ABLATION", "EDIT_QUALITIES", "JPEG_QUALITIES", "main"]

EDIT_QUALITIES = (8, 10, 12, 15, 18, 21, 25)  # the training range [8, 25]
JPEG_QUALITIES = (5, 6, 8, 10, 12, 15, 18, 21, 25, 30)
ABLATION_QUALITIES = (8, 12, 18, 25)
ABLATION_IMAGES = 12  # the first 12 Kodak images (CPU time)
RUNS = Path("runs/talebi")
# the shipped editor: the best of the measured ones (see talebi_ablation.json and chapter 09): the
# smoother of the 1,000-step run, negative BD-rate on PSNR, MS-SSIM and LPIPS; the 3,000-step joint
# run over-smoothed at qualities >= 18 (its RD curve turns back, talebi-3000-steps_kodak_420.json)
SHIPPED = ("with-quality", "2-smoother/final.pt")
# run folder -> (total steps, quality weight lambda); every run shares the recipe and the cpu profile
TRAINING = {"long": (3000, 0.02), "with-quality": (1000, 0.02), "no-quality": (1000, 0.0)}
# label -> (run, checkpoint inside it)
ABLATION = {
    "smoother": ("with-quality", "2-smoother/final.pt"),
    "transformer": ("with-quality", "3-transformer/final.pt"),
    "both": ("with-quality", talebi.CHECKPOINT),
    "smoother, no quality term": ("no-quality", "2-smoother/final.pt"),
    "transformer, no quality term": ("no-quality", "3-transformer/final.pt"),
    "both, no quality term": ("no-quality", talebi.CHECKPOINT),
}


def train_runs(runs: Path = RUNS, profile: str = "cpu", echo=print) -> None:
    """Every run of :data:`TRAINING`. Runs of the same length share the first stage (the denoising
    pre-training does not involve lambda), so it is trained once and copied."""
    first = talebi.RECIPE[0][0]
    for name, (steps, quality_weight) in TRAINING.items():
        donor = next((runs / other / first for other, (s, _) in TRAINING.items()
                      if s == steps and other != name and (runs / other / first / "final.pt").is_file()), None)
        if donor is not None and not (runs / name / first).is_dir():
            shutil.copytree(donor, runs / name / first)
        talebi.train(runs / name, profile, max_steps=steps, quality_weight=quality_weight, resume=True, echo=echo)


def ship(runs: Path = RUNS, echo=print) -> Path:
    """Ship the chosen run's editor (:data:`SHIPPED`) in the package as zoo weights ``talebi`` with its card."""
    run, file = SHIPPED
    card = json.loads((runs / run / "talebi.json").read_text())
    parts = list(talebi.load_editor(runs / run / file).parts)
    card["shipped"] = {"run": run, "file": file, "parts": parts,
                       "why": "best of the measured editors (chapter 09, talebi_ablation.json)"}
    card["parts"] = parts
    for stage in card["stages"]:  # from the logs: a resumed stage's wall time is not its cost
        stage["seconds"] = round(talebi.stage_seconds(runs / run / stage["stage"]), 1)
    card["seconds"] = round(sum(s["seconds"] for s in card["stages"]), 1)
    card["shipped"]["seconds"] = round(sum(s["seconds"] for s in card["stages"] if s["stage"] <= file.split("/")[0]), 1)
    card["parameters"] = sum(v.numel() for v in torch.load(runs / run / file, weights_only=True).values())
    card["data"] = "jpegtutor 'train' set (962 PNG crops 256x256), random 64x64 crops, flips, JPEG quality U{8..25}"
    card["command"] = "python -m jpegtutor.experiments.talebi train && python -m jpegtutor.experiments.talebi ship"
    target = zoo.ship("talebi", runs / run / file, card)
    echo(f"shipped {target} ({card['parameters']} parameters)")
    return target


ENCODERS = ("libjpeg", "libjpeg-optimized", "mozjpeg", "jpegli-optimized", "trellis")


def encoders(limit: int | None = None, only=None, echo=print) -> dict:
    """The shipped editor handed to each of :data:`ENCODERS`, against the same encoder alone (Kodak 4:2:0).

    The encoder alone runs at :data:`JPEG_QUALITIES`, the editor at :data:`EDIT_QUALITIES` (its
    trained range); pixels shared between the libjpeg variants are measured once. Writes one
    results file per method in ``data/results/talebi/`` and the summary ``talebi/encoders_kodak_420.json``
    (``only``: rerun just these encoders; the summary keeps the other rows).
    """
    cache: dict = {}
    edits: dict = {}  # the editor's output is the same whichever encoder writes it
    summary = RESULTS / "talebi/encoders_kodak_420.json"
    kept = json.loads(summary.read_text())["rows"] if only and summary.is_file() else []
    rows = [r for r in kept if r["encoder"] not in only] if only else []
    for encoder in (e for e in ENCODERS if not only or e in only):
        if registry.get_encoder(encoder).missing():
            echo(f"skipping {encoder}: not available")
            continue
        alone = evaluate(encoder, "kodak", JPEG_QUALITIES, "4:2:0", limit=limit, cache=cache)
        edited = evaluate(registry.get_method(f"talebi+{encoder}", edits=edits), "kodak", EDIT_QUALITIES, "4:2:0",
                          limit=limit, cache=cache)
        edited.update(compare(edited, alone))
        for result in (alone, edited):
            write_result(f"talebi/{result['method']}_kodak_420.json", result, echo=echo)
        rows = [r for r in rows if r["encoder"] != encoder]
        rows.append({"encoder": encoder, "huffman": registry.get_encoder(encoder).settings.get("huffman"),
                     "bd_rate_percent": edited["bd_rate_percent"], "bd_metric": edited["bd_metric"],
                     "editor_points": edited["points"], "encoder_points": alone["points"]})
        echo(f"talebi+{encoder} vs {encoder}: {json.dumps(edited['bd_rate_percent'])}")
    out = {"dataset": "kodak", "images": limit or 24, "subsampling": "4:2:0", "editor_qualities": list(EDIT_QUALITIES),
           "encoder_qualities": list(JPEG_QUALITIES), "checkpoint": "shipped (zoo talebi)", "rows": rows}
    write_result("talebi/encoders_kodak_420.json", out, echo=echo)
    return out


def _summary(result: dict) -> dict:
    keep = ("bpp", "psnr_db", "ms_ssim", "lpips_alex", "seconds")
    return {"label": result["method"], "bd_rate_percent": result.get("bd_rate_percent"),
            "points": [{"quality": p["quality"], **{k: p[k] for k in keep if k in p}} for p in result["points"]]}


def evaluate_shipped(limit: int | None = None, checkpoint: str | None = None, label: str | None = None,
                     name: str = "talebi_kodak_420.json", echo=print) -> dict:
    """The shipped editor (or ``checkpoint``) on Kodak 4:2:0; writes ``name`` in ``data/results``
    (the leaderboard is jpegtutor benchmark's)."""
    base = evaluate("libjpeg", "kodak", JPEG_QUALITIES, "4:2:0", limit=limit)
    result = evaluate("talebi+libjpeg", "kodak", EDIT_QUALITIES, "4:2:0", baseline=base, limit=limit,
                      checkpoint=checkpoint, label=label)
    result["baseline_points"] = base["points"]
    write_result(name, result, echo=echo)
    echo(json.dumps(result["bd_rate_percent"]))
    return result


def ablation(runs: Path = RUNS, limit: int | None = ABLATION_IMAGES, echo=print) -> dict:
    """Every ablation editor on Kodak 4:2:0 at :data:`ABLATION_QUALITIES` (the first ``limit``
    images); ``talebi_ablation.json``."""
    base = evaluate("libjpeg", "kodak", JPEG_QUALITIES, "4:2:0", limit=limit)
    rows = []
    for label, (run, file) in ABLATION.items():
        start = time.perf_counter()
        result = evaluate("talebi+libjpeg", "kodak", ABLATION_QUALITIES, "4:2:0", baseline=base, limit=limit,
                          checkpoint=str(runs / run / file), label=label)
        rows.append({**_summary(result), "run": run, "checkpoint": file, "eval_seconds": round(time.perf_counter() - start, 1)})
        echo(f"{label}: {json.dumps(result['bd_rate_percent'])}")
    cards = {run: json.loads((runs / run / "talebi.json").read_text()) for run in {r for r, _ in ABLATION.values()}}
    out = {"dataset": "kodak", "images": limit or 24, "subsampling": "4:2:0", "qualities": list(ABLATION_QUALITIES),
           "baseline": "libjpeg", "baseline_qualities": list(JPEG_QUALITIES), "rows": rows,
           "training": {run: {"quality_weight": c["quality_weight"], "seconds": c["seconds"], "total_steps": c["total_steps"]}
                        for run, c in cards.items()}}
    write_result("talebi_ablation.json", out, echo=echo)
    return out


def _measure(original, encoded) -> dict:
    return {k: v for k, v in measure(original, encoded).items() if k in ("bpp", "psnr_db", "ms_ssim", "lpips_alex")}


def per_image(images: int = 6, crop: int = 256, quality: int = 15, steps: int = 40, echo=print) -> dict:
    """Feed-forward editor vs per-image optimization (Eq. 4, ``steps`` Adam steps started from the
    editor's output, and from the original) on centre crops of Kodak at one quality."""
    rows = []
    method = registry.get_method("talebi+libjpeg")
    for path in data.image_paths("kodak")[:images]:
        full = read_image(path)
        top, left = (full.shape[0] - crop) // 2, (full.shape[1] - crop) // 2
        image = full[top:top + crop, left:left + crop].copy()
        row = {"image": path.name, "jpeg": _measure(image, pillow_encode(image, quality, "4:2:0"))}
        for name, kwargs in (("editor", {}), ("editor + per-image", {"per_image_steps": steps}),
                             ("per-image only", {"per_image_steps": steps, "from_original": True})):
            start = time.perf_counter()
            if kwargs.pop("from_original", False):
                x = to_tensor(image)
                q = torch.tensor([float(quality)])
                out = optimize_image(x, q, PreEditLoss(), steps, lr=0.005)
                edited = to_uint8(out[0])
            else:
                method.edit_options = kwargs
                edited = method.edit(image, quality, "4:2:0")
            row[name] = {**_measure(image, pillow_encode(edited, quality, "4:2:0")), "seconds": round(time.perf_counter() - start, 2)}
        rows.append(row)
        echo(json.dumps({k: (v if isinstance(v, str) else {m: round(x, 4) for m, x in v.items()}) for k, v in row.items()}))
    methods = [k for k in rows[0] if k != "image"]
    mean = {m: {k: sum(r[m][k] for r in rows) / len(rows) for k in rows[0][m]} for m in methods}
    out = {"dataset": "kodak", "crop": crop, "quality": quality, "steps": steps, "subsampling": "4:2:0", "rows": rows,
           "mean": mean}
    write_result("talebi_per_image.json", out, echo=echo)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jpegtutor.experiments.talebi", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["train", "ship", "encoders", "evaluate", "ablation", "per-image"])
    parser.add_argument("--runs", type=Path, default=RUNS)
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--checkpoint", help="evaluate: another editor than the shipped one")
    parser.add_argument("--label", help="evaluate: its name in the results")
    parser.add_argument("--out", default="talebi_kodak_420.json", help="evaluate: results file name in data/results")
    parser.add_argument("--encoder", action="append", choices=ENCODERS, help="encoders: only this encoder's row (repeatable)")
    args = parser.parse_args(argv)
    if args.what == "train":
        train_runs(args.runs, args.profile)
    elif args.what == "ship":
        ship(args.runs)
    elif args.what == "encoders":
        encoders(args.limit, args.encoder)
    elif args.what == "evaluate":
        evaluate_shipped(args.limit, args.checkpoint, args.label, args.out)
    elif args.what == "ablation":
        ablation(args.runs, args.limit or ABLATION_IMAGES)
    else:
        per_image()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
