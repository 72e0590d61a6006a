"""JPNeO's neural operators (chapter 14): train, ship and evaluate JENO, JDNO and their CNN baselines.

    python -m jpegtutor.experiments.neuralop train --model jdno|jdno-cnn|jeno|jeno-cnn   # runs/neuralop/<model>
    python -m jpegtutor.experiments.neuralop ship                      # the four into the zoo
    python -m jpegtutor.experiments.neuralop decoders [--limit N]      # data/results/neuralop/decoders_<dataset>.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from .. import datasets, registry, zoo
from ..files import write_json
from ..image import read_image, to_tensor
from ..jpeg import encode
from ..metrics.psnr import psnr, psnr_b, psnr_y
from ..metrics.ssim import ssim
from ..neuralop import MODELS, train as train_model

RUNS = Path("runs/neuralop")
RESULTS = Path("data/results/neuralop")


def train(model: str, profile: str = "cpu", max_steps: int | None = None) -> dict:
    return train_model(model, RUNS / model, profile, max_steps=max_steps, resume=True)


def ship() -> None:
    for name in MODELS:
        card = json.loads((RUNS / name / f"{name}.json").read_text())
        log = [json.loads(line) for line in (RUNS / name / "log.jsonl").read_text().splitlines()]
        tail = log[-100:]
        card["final_100_steps"] = {k: float(np.mean([r[k] for r in tail])) for k in ("loss", "psnr_db", "plain_psnr_db", "gain_db")}
        zoo.ship(name, RUNS / name / f"{name}.pt", card, registry.DECODERS[name].description if name in registry.DECODERS
                 else registry.ENCODERS[name].description)
        print(f"shipped {name}: {card['steps']} steps, {card['wall_seconds']:.0f} s, "
              f"gain over the plain path on training crops {card['final_100_steps']['gain_db']:+.3f} dB")


def decoders(dataset: str = "live1", qualities=(10, 20, 30, 40), names=("libjpeg", "jdno", "jdno-cnn"),
             limit: int | None = None) -> dict:
    """Each decoder on libjpeg's 4:2:0 files (standard tables) at each quality: PSNR, PSNR-B, PSNR-Y, SSIM."""
    paths = datasets.image_paths(dataset)[:limit]
    rows = {n: {q: [] for q in qualities} for n in names}
    seconds = {n: 0.0 for n in names}
    for path in paths:
        image = read_image(path)
        for q in qualities:
            data = encode(image, q, "4:2:0")
            for n in names:
                start = time.perf_counter()
                decoded = registry.get_decoder(n).decode(data)
                seconds[n] += time.perf_counter() - start
                x, y = to_tensor(decoded), to_tensor(image)
                rows[n][q].append({"psnr_db": float(psnr(x, y)), "psnr_b_db": float(psnr_b(x, y)),
                                   "psnr_y_db": float(psnr_y(x, y)), "ssim": float(ssim(x, y)),
                                   "bpp": 8 * len(data) / (image.shape[0] * image.shape[1])})
    pixels = sum(np.prod(read_image(p).shape[:2]) for p in paths) * len(qualities)
    out = {"dataset": dataset, "images": len(paths), "subsampling": "4:2:0", "encoder": "libjpeg, standard tables",
           "qualities": list(qualities),
           "mean": {n: {str(q): {k: float(np.mean([r[k] for r in rows[n][q]])) for k in rows[n][q][0]} for q in qualities}
                    for n in names},
           "ms_per_megapixel": {n: 1000 * seconds[n] / (pixels / 1e6) for n in names},
           "per_image": {n: {str(q): rows[n][q] for q in qualities} for n in names}}
    write_json(RESULTS / f"decoders_{dataset}.json", out)
    for n in names:
        print(n, " ".join(f"q{q}: {out['mean'][n][str(q)]['psnr_db']:.2f}/{out['mean'][n][str(q)]['psnr_b_db']:.2f}"
                          for q in qualities), f"{out['ms_per_megapixel'][n]:.0f} ms/MP")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jpegtutor.experiments.neuralop", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train")
    p.add_argument("--model", required=True, choices=sorted(MODELS))
    p.add_argument("--profile", default="cpu")
    p.add_argument("--max-steps", type=int, help="override the profile's step count")
    sub.add_parser("ship")
    p = sub.add_parser("decoders")
    p.add_argument("--dataset", default="live1")
    p.add_argument("--limit", type=int)
    p.add_argument("--qualities", default="10,20,30,40")
    args = parser.parse_args(argv)
    if args.command == "train":
        print(json.dumps(train(args.model, args.profile, args.max_steps)))
    elif args.command == "ship":
        ship()
    else:
        decoders(args.dataset, tuple(int(q) for q in args.qualities.split(",")), limit=args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
