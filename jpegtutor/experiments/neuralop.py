"""JPNeO's neural operators (chapter 14): train, ship and evaluate JENO, JDNO and their CNN baselines.

    python -m jpegtutor.experiments.neuralop train --model jdno|jdno-cnn|jeno|jeno-cnn   # runs/neuralop/<model>
    python -m jpegtutor.experiments.neuralop ship                      # the four into the zoo
    python -m jpegtutor.experiments.neuralop ablate                    # which part of JDNO learns: ablation.json
    python -m jpegtutor.experiments.neuralop compute                   # parameters, MACs/px, memory, ms/MP
    python -m jpegtutor.experiments.neuralop encoders                  # JENO's RD: data/results/neuralop/encoders.json
    python -m jpegtutor.experiments.neuralop pipelines [--dataset live1] [--limit N]  # data/results/neuralop/pipelines_<dataset>.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from .. import datasets, registry, zoo
from ..eval import compare, evaluate
from ..files import write_json
from ..image import read_image, to_tensor
from ..metrics.psnr import psnr, psnr_b, psnr_y
from ..metrics.ssim import ssim
from ..neuralop import MODELS, PROFILES, train as train_model
from ..runtime import progress

RUNS = Path("runs/neuralop")
RESULTS = Path("data/results/neuralop")


def train(model: str, profile: str = "cpu", max_steps: int | None = None) -> dict:
    return train_model(model, RUNS / model, profile, max_steps=max_steps, resume=True)


def ship(names=tuple(MODELS)) -> None:
    for name in names:
        card = json.loads((RUNS / name / f"{name}.json").read_text())
        log = [json.loads(line) for line in (RUNS / name / "log.jsonl").read_text().splitlines()]
        tail = log[-100:]
        if "--max-steps" not in card["command"] and card["steps"] != PROFILES[card["profile"]]["max_steps"]:
            card["command"] += f" --max-steps {card['steps']}"
        card["final_100_steps"] = {k: float(np.mean([r[k] for r in tail])) for k in ("loss", "psnr_db", "plain_psnr_db", "gain_db")}
        zoo.ship(name, RUNS / name / f"{name}.pt", card, registry.DECODERS[name].description if name in registry.DECODERS
                 else registry.ENCODERS[name].description)
        print(f"shipped {name}: {card['steps']} steps, {card['wall_seconds']:.0f} s, "
              f"gain over the plain path on training crops {card['final_100_steps']['gain_db']:+.3f} dB")


PAIRS = ("libjpeg+libjpeg", "libjpeg+jdno", "libjpeg+jdno-cnn", "jeno+libjpeg", "jeno-cnn+libjpeg", "jeno+jdno",
         "jeno-cnn+jdno-cnn")


def pipelines(dataset: str = "live1", qualities=(10, 20, 30, 40), pairs=PAIRS, limit: int | None = None,
              out: str | None = None) -> dict:
    """Each ``encoder+decoder`` pair at each quality (4:2:0, standard tables, optimized Huffman
    tables): PSNR, PSNR-B, PSNR-Y, SSIM and bpp per image and on average, and each decoder's time.
    ``libjpeg`` as the encoder is libjpeg-optimized (the same pixels as plain libjpeg, fewer bits)."""
    paths = datasets.image_paths(dataset)[:limit]
    rows = {pair: {q: [] for q in qualities} for pair in pairs}
    seconds = {pair: 0.0 for pair in pairs}
    for path in progress(paths, desc=f"pipelines on {dataset}"):
        image = read_image(path)
        y = to_tensor(image)
        for q in qualities:
            files = {}
            for pair in pairs:
                encoder, decoder = pair.split("+")
                if encoder not in files:
                    files[encoder] = registry.get_encoder("libjpeg-optimized" if encoder == "libjpeg" else encoder) \
                        .encode(image, q, "4:2:0")
                data = files[encoder]
                start = time.perf_counter()
                x = to_tensor(registry.get_decoder(decoder).decode(data))
                seconds[pair] += time.perf_counter() - start
                rows[pair][q].append({"psnr_db": float(psnr(x, y)), "psnr_b_db": float(psnr_b(x, y)),
                                      "psnr_y_db": float(psnr_y(x, y)), "ssim": float(ssim(x, y)),
                                      "bpp": 8 * len(data) / (image.shape[0] * image.shape[1])})
    pixels = sum(np.prod(read_image(p).shape[:2]) for p in paths) * len(qualities)
    result = {"dataset": dataset, "images": len(paths), "subsampling": "4:2:0",
              "tables": "standard (libjpeg quality scaling)", "huffman": "optimized", "qualities": list(qualities),
              "models": {name: {k: zoo.card(name).get(k) for k in ("steps", "profile", "wall_seconds")}
                         for name in MODELS if name in zoo.manifest()},
              "mean": {p: {str(q): {k: float(np.mean([r[k] for r in rows[p][q]])) for k in rows[p][q][0]}
                           for q in qualities} for p in pairs},
              "decode_ms_per_megapixel": {p: 1000 * seconds[p] / (pixels / 1e6) for p in pairs},
              "per_image": {p: {str(q): rows[p][q] for q in qualities} for p in pairs}}
    path = RESULTS / f"{out or 'pipelines_' + dataset}.json"
    if path.is_file():  # pairs measured earlier on the same images and qualities stay (run JDNO's pairs apart)
        earlier = json.loads(path.read_text())
        if (earlier["images"], earlier["qualities"]) == (result["images"], result["qualities"]):
            for key in ("mean", "decode_ms_per_megapixel", "per_image"):
                result[key] = {**{p: v for p, v in earlier[key].items() if p not in pairs}, **result[key]}
            result["models"] = {**earlier.get("models", {}), **result["models"]}
            order = [p for p in PAIRS if p in result["mean"]] + [p for p in result["mean"] if p not in PAIRS]
            for key in ("mean", "decode_ms_per_megapixel", "per_image"):
                result[key] = {p: result[key][p] for p in order}
    write_json(path, result)
    for p in pairs:
        print(f"{p:18s}", " ".join(f"q{q}: {result['mean'][p][str(q)]['psnr_db']:.2f}/{result['mean'][p][str(q)]['psnr_b_db']:.2f}"
                                   for q in qualities), f"{result['decode_ms_per_megapixel'][p]:.0f} ms/MP")
    return result


ENCODER_QUALITIES = (5, 10, 15, 20, 30, 40, 50, 70, 85)


REFERENCES = ("libjpeg-optimized", "mozjpeg", "jpegli-optimized")  # their curves: the classical experiment


def encoders(datasets_=("kodak", "live1"), names=("jeno", "jeno-cnn", "chroma-ls"), qualities=ENCODER_QUALITIES,
             limit: int | None = None) -> dict:
    """JENO's files against libjpeg's at equal Huffman settings: each encoder's RD curve (4:2:0, libjpeg's
    decoder, LPIPS included) -> ``neuralop/<name>_<dataset>_420.json``, then :func:`encoder_summary`."""
    for dataset in datasets_:
        for name in names:
            result = evaluate(name, dataset, qualities, "4:2:0", limit=limit)
            write_json(RESULTS / f"{name}_{dataset}_420.json", result)
    return encoder_summary(datasets_, names)


def encoder_summary(datasets_=("kodak", "live1"), names=("jeno", "jeno-cnn", "chroma-ls")) -> dict:
    """BD-rates of the stored curves against libjpeg-optimized, mozjpeg and jpegli-optimized (whole
    range and each bpp window) -> ``neuralop/encoders.json``."""
    rows = []
    for dataset in datasets_:
        references = {ref: json.loads((Path("data/results/classical") / f"{ref}_{dataset}_420.json").read_text())
                      for ref in REFERENCES}
        for name in names:
            result = json.loads((RESULTS / f"{name}_{dataset}_420.json").read_text())
            against = {}
            for ref, reference in references.items():
                compared = compare(result, reference)
                against[ref] = {"all": compared["bd_rate_percent"], **compared["bd_rate_percent_by_range"]}
            rows.append({"method": name, "dataset": dataset, "subsampling": "4:2:0", "images": len(result["images"]),
                         "results_file": f"neuralop/{name}_{dataset}_420.json", "against": against})
            print(f"{name} on {dataset}: BD-rate (PSNR) " + ", ".join(
                f"vs {ref} {against[ref]['all']['psnr_db']:+.2f} %" for ref in REFERENCES))
    out = {"qualities": list(json.loads((RESULTS / f"{names[0]}_{datasets_[0]}_420.json").read_text())["qualities"]),
           "references": list(REFERENCES), "rows": rows, "command": "python -m jpegtutor.experiments.neuralop encoders"}
    write_json(RESULTS / "encoders.json", out)
    return out


def _peak_memory_mb(model, name: str, height: int, width: int) -> float:
    """The peak resident memory one forward pass adds over what was resident before it, in MB
    (RSS sampled every millisecond from ``/proc/self/statm``; Linux only, else NaN)."""
    import threading

    statm = Path("/proc/self/statm")
    if not statm.is_file():
        return float("nan")
    page = 4096 / 2**20

    def rss():
        return int(statm.read_text().split()[1]) * page

    x, base, peak, done = _example(name, height, width), rss(), [0.0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _run(model, name, x)
    done.set()
    sampler.join()
    return max(peak[0], rss()) - base


def _example(name: str, height: int, width: int):
    """A model's input for an ``height x width`` image: the image (JENO side) or a q10 file's spectra."""
    from ..jpeg import encode
    from ..neuralop import spectra_from_file

    generator = np.random.default_rng(0)
    image = (np.clip(np.cumsum(generator.normal(0, 8, (height, width, 3)), axis=1), -60, 60) + 128).astype(np.uint8)
    if MODELS[name][2] == "decoder":
        return spectra_from_file(encode(image, 10, "4:2:0"))
    return to_tensor(image)


def _run(model, name: str, x):
    """One forward pass of a decoder (spectra) or an encoder (image, 4:2:0) without gradients."""
    with torch.no_grad():
        return model(x) if MODELS[name][2] == "decoder" else model(x, "4:2:0")


def compute(height: int = 512, width: int = 768, repeats: int = 3) -> dict:
    """Parameters, MACs per pixel (convolutions and matrix products, ``torch.utils.flop_counter``),
    peak memory of one forward pass and CPU time per megapixel (one thread, median of ``repeats``)
    of each shipped model on an ``height x width`` image -> ``neuralop/compute.json``."""
    from torch.utils.flop_counter import FlopCounterMode

    from ..neuralop import load
    from ..neuralop.layers import count_parameters

    torch.set_num_threads(1)
    rows = []
    for name in MODELS:
        model = load(name)
        counter = FlopCounterMode(display=False)
        with counter:
            _run(model, name, _example(name, 128, 128))
        times = []
        for _ in range(repeats):
            x = _example(name, height, width)
            start = time.perf_counter()
            _run(model, name, x)
            times.append(time.perf_counter() - start)
        memory = _peak_memory_mb(model, name, height, width)
        rows.append({"model": name, "side": MODELS[name][2], "parameters": count_parameters(model),
                     "macs_per_pixel": counter.get_total_flops() / 2 / (128 * 128),
                     "cpu_ms_per_megapixel": 1000 * float(np.median(times)) / (height * width / 1e6),
                     "peak_memory_mb": memory})
        print(f"{name:9s} {rows[-1]['parameters']:>8,d} parameters, {rows[-1]['macs_per_pixel'] / 1e3:7.1f} kMAC/px, "
              f"{rows[-1]['cpu_ms_per_megapixel']:7.0f} ms/MP, {memory:6.0f} MB")
    out = {"image": [height, width], "threads": 1, "device": "cpu", "torch": torch.__version__, "rows": rows,
           "paper": {"jeno": {"parameters": 2.9e6}, "jdno": {"parameters": 26.8e6}},
           "command": "python -m jpegtutor.experiments.neuralop compute"}
    write_json(RESULTS / "compute.json", out)
    return out


ABLATION = {  # label -> (run folder, model, options): what part of JDNO learns in a short CPU run
    "JDNO (cosine operator + 2 Galerkin layers)": ("JDNO", "jdno", {}),
    "JDNO, cosine operator without Galerkin layers": ("JDNO-cosine-operator-without-Galerkin-layers", "jdno", {"layers": 0}),
    "JDNO's features, pixel-shuffle head": ("JDNOs-features-pixel-shuffle-head", "jdno", {"pixel_head": 1}),
    "same-size U-Net (jdno-cnn)": ("same-size-U-Net", "jdno-cnn", {}),
}


def ablate(steps: int = 300) -> dict:
    """Each :data:`ABLATION` variant trained ``steps`` steps at quality 10 (the cpu profile's crops,
    batch and learning rate; every batch new crops, so the logged gain is on crops not yet trained on),
    and the full JDNO fitted to one fixed batch (can it fit at all?) -> ``neuralop/ablation.json``."""
    runs = {}
    for label, (folder, model, options) in ABLATION.items():
        out = RUNS / "ablation" / folder
        card = train_model(model, out, "cpu", max_steps=steps, resume=True, echo=lambda *a: None,
                           qualities=(1, 1), **options)
        log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
        runs[label] = {"model": model, "options": options, "wall_seconds": card["wall_seconds"],
                       "gain_db": [r["gain_db"] for r in log]}
        print(f"{label:48s} last 50 steps {np.mean(runs[label]['gain_db'][-50:]):+.3f} dB, {card['wall_seconds']:.0f} s")
    # one fixed batch, the same settings
    from ..neuralop import JDNO, recipe

    torch.manual_seed(0)
    paths = datasets.image_paths("train")[:8]
    crops = torch.cat([to_tensor(read_image(p))[:, :, 96:160, 96:160] for p in paths])
    model, loss = JDNO(), recipe.JDNOLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=PROFILES["cpu"]["lr"])
    fixed = []
    for _ in range(steps):
        terms = loss(model, crops, torch.ones(len(crops)))
        optimizer.zero_grad()
        terms["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        fixed.append(float(terms["gain_db"]))
    runs["JDNO fitted to one fixed batch"] = {"model": "jdno", "options": {}, "gain_db": fixed}
    print(f"{'JDNO fitted to one fixed batch':48s} last 50 steps {np.mean(fixed[-50:]):+.3f} dB")
    out = {"steps": steps, "quality": 10, "settings": {k: PROFILES["cpu"][k] for k in ("crop", "batch", "lr")},
           "runs": runs, "command": "python -m jpegtutor.experiments.neuralop ablate"}
    write_json(RESULTS / "ablation.json", out)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jpegtutor.experiments.neuralop", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train")
    p.add_argument("--model", required=True, choices=sorted(MODELS))
    p.add_argument("--profile", default="cpu")
    p.add_argument("--max-steps", type=int, help="override the profile's step count")
    p = sub.add_parser("ship")
    p.add_argument("--models", default=",".join(MODELS), help="comma separated (default: all four)")
    sub.add_parser("compute")
    sub.add_parser("ablate")
    p = sub.add_parser("encoders")
    p.add_argument("--limit", type=int)
    p.add_argument("--summary-only", action="store_true", help="only the BD-rates, from the stored curves")
    p = sub.add_parser("pipelines")
    p.add_argument("--dataset", default="live1")
    p.add_argument("--limit", type=int)
    p.add_argument("--qualities", default="10,20,30,40")
    p.add_argument("--pairs", default=",".join(PAIRS), help="encoder+decoder pairs, comma separated")
    p.add_argument("--out", help="results file stem (default pipelines_<dataset>)")
    args = parser.parse_args(argv)
    if args.command == "train":
        print(json.dumps(train(args.model, args.profile, args.max_steps)))
    elif args.command == "ship":
        ship(tuple(args.models.split(",")))
    elif args.command == "compute":
        compute()
    elif args.command == "ablate":
        ablate()
    elif args.command == "encoders":
        encoder_summary() if args.summary_only else encoders(limit=args.limit)
    else:
        pipelines(args.dataset, tuple(int(q) for q in args.qualities.split(",")), tuple(args.pairs.split(",")),
                  args.limit, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
