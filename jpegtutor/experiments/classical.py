"""The classical encoders on Kodak and LIVE1 (chapter 08): RD results of every registered encoder and the BD table.

    python -m jpegtutor.experiments.classical run [--dataset kodak] [--subsampling 4:2:0] [--method trellis]
    python -m jpegtutor.experiments.classical summary      # classical/summary.json (the leaderboard: jpegtutor benchmark)

Each method is evaluated with real files at :data:`QUALITIES` (dense, so each bpp window of
:data:`jpegtutor.eval.BPP_RANGES` holds enough points of every curve). BD-rates are computed
against plain libjpeg (standard Huffman tables, the papers' baseline), against libjpeg with
optimized Huffman tables (equal Huffman settings, the protocol from chapter 08 on) and against
mozjpeg (the best classical encoder). The coefficient editors of chapter 08a (``rd-threshold``,
``trellis``, ``trellis-aq``: our codec's RD-optimized quantizers) are classical encoders too. Methods whose
files decode to the same pixels are measured once (``evaluate(cache=...)``).
"""

from __future__ import annotations

import argparse
import json

from .. import registry
from ..eval import BPP_RANGES, compare, evaluate
from . import RESULTS, write_result

__all__ = ["DATASETS", "QUALITIES", "SUBSAMPLINGS", "run", "summary"]

QUALITIES = (2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 70, 80, 85, 90)
DATASETS = ("kodak", "live1")
SUBSAMPLINGS = ("4:2:0", "4:4:4")
BASELINES = ("libjpeg", "libjpeg-optimized", "mozjpeg")
FOLDER = "classical"


def result_name(method: str, dataset: str, subsampling: str) -> str:
    return f"{FOLDER}/{method}_{dataset}_{subsampling.replace(':', '')}.json"


def encoders(subsampling: str) -> list[str]:
    """The registered encoders and coefficient editors that are installed and write ``subsampling``, libjpeg first."""
    registry.method_names()
    names = [n for n, e in registry.ENCODERS.items() if subsampling in e.subsamplings and e.missing() is None]
    return sorted(names, key=lambda n: (not n.startswith("libjpeg"), n))


def run(datasets=DATASETS, subsamplings=SUBSAMPLINGS, qualities=QUALITIES, limit=None, methods=None, echo=print) -> list:
    written = []
    for dataset in datasets:
        for subsampling in subsamplings:
            cache: dict = {}
            for method in encoders(subsampling):
                if methods and method not in methods:
                    continue
                result = evaluate(method, dataset, qualities, subsampling, limit=limit, cache=cache)
                written.append(write_result(result_name(method, dataset, subsampling), result, echo=echo))
    return written


def summary(echo=print) -> dict:
    """BD-rates of every written result against the three baselines (overall and per bpp window)."""
    rows = []
    for dataset in DATASETS:
        for subsampling in SUBSAMPLINGS:
            results = {}
            for method in encoders(subsampling):
                path = RESULTS / result_name(method, dataset, subsampling)
                if path.is_file():
                    results[method] = json.loads(path.read_text())
            for method, result in results.items():
                row = {"method": method, "dataset": dataset, "subsampling": subsampling,
                       "settings": result["encoder_settings"], "results_file": result_name(method, dataset, subsampling)}
                for baseline in BASELINES:
                    if baseline in results and baseline != method:
                        deltas = compare(result, results[baseline])
                        row[f"vs_{baseline}"] = {"all": deltas["bd_rate_percent"], **deltas["bd_rate_percent_by_range"]}
                rows.append(row)
    out = {"qualities": list(QUALITIES), "bpp_ranges": [list(r) for r in BPP_RANGES], "baselines": list(BASELINES),
           "bd_method": "akima (bjontegaard package) on the per-quality mean curves; a window uses each curve's "
                        "points inside it (at least 4)", "rows": rows}
    write_result(f"{FOLDER}/summary.json", out, echo=echo)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jpegtutor.experiments.classical", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("run", help="evaluate every installed encoder (about 20 min per dataset on one core)")
    p.add_argument("--dataset", action="append", choices=DATASETS)
    p.add_argument("--subsampling", action="append", choices=SUBSAMPLINGS)
    p.add_argument("--limit", type=int)
    p.add_argument("--method", action="append", help="only this method (repeatable; default: all)")
    sub.add_parser("summary", help="BD-rate table against both libjpeg baselines and mozjpeg")
    args = parser.parse_args(argv)
    if args.what == "run":
        run(tuple(args.dataset or DATASETS), tuple(args.subsampling or SUBSAMPLINGS), limit=args.limit,
            methods=args.method)
    else:
        for row in summary()["rows"]:
            vs = row.get("vs_libjpeg", {})
            print(f"{row['dataset']:6s} {row['subsampling']} {row['method']:20s} " + "  ".join(
                f"{k}: " + ", ".join(f"{m} {v:+.1f}" for m, v in d.items() if isinstance(v, float) and m in
                                     ("psnr_db", "ms_ssim", "lpips_alex")) for k, d in vs.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
