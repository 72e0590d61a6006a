"""The quantization-table experiments behind chapter 13 (results in ``data/results/tables/``).

    python -m jpegtutor.experiments.tables train-qpsi [--profile cpu] [--steps N]   # runs/qpsi/qpsi.json
    python -m jpegtutor.experiments.tables ship-qpsi     # its lookup table into the package (tables/sets/qpsi.json)
    python -m jpegtutor.experiments.tables search [--distortion mse|visibility] [--images 16]   # runs/tables/
    python -m jpegtutor.experiments.tables ship-searched [--distortion mse|visibility]
    python -m jpegtutor.experiments.tables evaluate [--dataset kodak|live1] [--subsampling 420|444] [--methods a,b]
    python -m jpegtutor.experiments.tables per-image [--dataset kodak] [--limit 12]   # per-image vs global tables
    python -m jpegtutor.experiments.tables per-image-targets [--images 40]   # the per-image search on training crops
    python -m jpegtutor.experiments.tables train-predictor   # tables-predictor into the zoo

``evaluate`` writes real files of every table method on the dataset and measures them against
libjpeg with optimized Huffman tables (equal Huffman settings), over the whole range and within
0.1-0.6 and 0.6-1.5 bpp; ``tables/summary_<dataset>_<subsampling>.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .. import registry
from ..eval import compare, evaluate
from ..files import write_json
from ..tables import MOZJPEG_METHODS, SETS, lookup_table, qpsi
from . import RESULTS, write_result

__all__ = ["METHODS", "evaluate_per_image", "evaluate_tables", "main", "per_image_targets", "train_predictor", "search", "ship_qpsi", "ship_searched", "train_qpsi"]

RUNS = Path("runs/qpsi")
WINDOWS = ((0.1, 0.6), (0.6, 1.5))
REFERENCE = "libjpeg-optimized"
METHODS = ("qpsi", "qpsi-ste", "tables-searched", "tables-searched-visibility", "tables-predicted", "tables-jpegli",
           *MOZJPEG_METHODS)


def qpsi_run(profile: str = "cpu", rounding: str = "cubic") -> Path:
    return RUNS / (profile if rounding == "cubic" else f"{profile}-{rounding}")


def train_qpsi(profile: str = "cpu", steps: int | None = None, rounding: str = "cubic", echo=print) -> dict:
    return qpsi.train(qpsi_run(profile, rounding), profile, max_steps=steps, resume=True, rounding=rounding, echo=echo)


def training_problem(images: int = 16, seed: int = 0, subsampling: str = "4:2:0"):
    """``(TableProblem, names)`` of a fixed random subset of the training crops (never Kodak or LIVE1)."""
    import numpy as np

    from ..datasets import image_paths
    from ..image import read_image
    from ..tables import search as table_search

    paths = image_paths("train")
    chosen = sorted(np.random.default_rng(seed).choice(len(paths), images, replace=False).tolist())
    return (table_search.TableProblem.of([read_image(paths[i]) for i in chosen], subsampling),
            [paths[i].name for i in chosen])


LUT_BPP = (0.05, 4.0)  # a lookup table keeps the pairs within this rate on the training crops ...
LUT_STEP = 1.05  # ... each at least 5 % more bits than the one before


def ship_qpsi(profile: str = "cpu", rounding: str = "cubic", echo=print) -> Path:
    """The trained tables (the network is dropped, as in the paper) as a lookup table in
    ``tables/sets/qpsi[-<rounding>].json``. Of the distinct integer pairs it keeps those whose
    rate on the training crops lies in :data:`LUT_BPP`, thinned so that each entry costs at least
    :data:`LUT_STEP` times the bits of the one before and has a lower MSE on those crops (an index
    that buys more bits must buy quality, as a quality setting does; the paper keeps its 17
    distinct pairs, ours differ by single entries at the extremes, where lambda saturates every
    step at 1 or 255)."""
    card = json.loads((qpsi_run(profile, rounding) / "qpsi.json").read_text())
    problem, names = training_problem(subsampling=card["subsampling"])
    kept, last, last_error = [], 0.0, float("inf")
    for tables, lambdas in zip(card["tables"], card["lambdas"]):  # coarse to fine
        bpp, error = problem.bits_per_pixel(np.asarray(tables)), problem.distortion(np.asarray(tables))
        if LUT_BPP[0] <= bpp <= LUT_BPP[1] and bpp >= last * LUT_STEP and error < last_error:
            kept.append({"tables": tables, "lambdas": lambdas, "train_bpp": round(bpp, 4),
                         "train_mse": round(error, 3)})
            last, last_error = bpp, error
    name = "qpsi" if rounding == "cubic" else f"qpsi-{rounding}"
    path = SETS / f"{name}.json"
    write_json(path, {**{k: v for k, v in card.items() if k not in ("last", "tables", "lambdas")},
                      "final_loss": card["last"], "source": f"{qpsi_run(profile, rounding)}/qpsi.json",
                      "distinct_pairs": len(card["tables"]), "tables": [k["tables"] for k in kept],
                      "lambdas": [k["lambdas"] for k in kept], "train_bpp": [k["train_bpp"] for k in kept],
                      "train_mse": [k["train_mse"] for k in kept],
                      "train_images": names, "lut_rule": {"bpp": list(LUT_BPP), "step": LUT_STEP}})
    echo(f"shipped {len(kept)} of {len(card['tables'])} distinct Q_psi table pairs to {path}")
    return path


# J = D + lam * bpp, per distortion: lambdas that span about 0.1-1.6 bpp on the training crops
# (the half steps 17.5, 35 and 70 give the 0.6-1.5 bpp window the four points a BD-rate needs)
SEARCH_LAMBDAS = {"mse": (12.5, 17.5, 25.0, 35.0, 50.0, 70.0, 100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0),
                  "visibility": (1.5, 3.0, 6.0, 12.0, 25.0, 50.0, 100.0, 200.0, 400.0, 800.0)}


def search(distortion: str = "mse", images: int = 16, lambdas=None, subsampling: str = "4:2:0",
           seed: int = 0, echo=print) -> dict:
    """One table pair per lambda, searched on ``images`` training crops (a fixed random subset);
    each lambda's result is kept in ``runs/tables/searched-<distortion>.json`` as it finishes, so
    an interrupted run resumes where it stopped."""
    from ..tables import search as table_search

    lambdas = SEARCH_LAMBDAS[distortion] if lambdas is None else lambdas
    out = Path("runs/tables") / f"searched-{distortion}.json"
    done = json.loads(out.read_text()) if out.is_file() else {"points": []}
    problem, names = training_problem(images, seed, subsampling)
    card = {"distortion": distortion, "subsampling": subsampling, "images": names,
            "seed": seed, "points": done["points"],
            "command": f"python -m jpegtutor.experiments.tables search --distortion {distortion} --images {images}"}
    for lam in lambdas:
        if any(p["lambda"] == lam for p in card["points"]):
            continue
        result = table_search.search_tables(problem, lam, distortion=distortion)
        card["points"].append({"lambda": lam, **{k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in result.items()}})
        card["points"].sort(key=lambda p: -p["lambda"])  # coarse (large lambda) to fine
        write_json(out, card)
        echo(f"lambda {lam:g}: {result['bpp']:.3f} bpp, D {result['distortion']:.2f} ({result['evaluations']} "
             f"evaluations, {result['seconds']:.0f} s)")
    return card


def ship_searched(distortion: str = "mse", echo=print) -> Path:
    """The searched pairs (coarse to fine) into ``tables/sets/tables-searched[-visibility].json``."""
    card = json.loads((Path("runs/tables") / f"searched-{distortion}.json").read_text())
    name = "tables-searched" if distortion == "mse" else f"tables-searched-{distortion}"
    path = SETS / f"{name}.json"
    write_json(path, {**{k: v for k, v in card.items() if k != "points"}, "tables": [p["tables"] for p in card["points"]],
                      "lambdas": [p["lambda"] for p in card["points"]],
                      "training": [{k: p[k] for k in ("bpp", "distortion", "evaluations", "seconds")} for p in card["points"]]})
    echo(f"shipped {len(card['points'])} searched table pairs to {path}")
    return path


def evaluate_tables(dataset: str = "kodak", subsampling: str = "4:2:0", methods=METHODS, limit: int | None = None,
                    echo=print) -> dict:
    tag = subsampling.replace(":", "")
    reference_path = RESULTS / f"classical/{REFERENCE}_{dataset}_{tag}.json"
    reference = json.loads(reference_path.read_text()) if reference_path.is_file() else \
        evaluate(REFERENCE, dataset, None, subsampling, limit=limit)
    rows = []
    for method in methods:
        spec = registry.get_encoder(method)
        if spec.missing():
            echo(f"skipping {method}: {spec.missing()}")
            continue
        result = evaluate(method, dataset, None, subsampling, limit=limit)
        if limit is None:
            deltas = compare(result, reference, bpp_ranges=WINDOWS)
            result["against"] = {REFERENCE: {"all": deltas["bd_rate_percent"], **deltas["bd_rate_percent_by_range"]}}
        write_result(f"tables/{method}_{dataset}_{tag}.json", result, echo=echo)
        rows.append({"method": method, "points": result["points"], "against": result.get("against", {})})
        echo(f"{method}: {json.dumps(result.get('against', {}).get(REFERENCE, {}).get('all'))}")
    summary = RESULTS / f"tables/summary_{dataset}_{tag}.json"
    if summary.is_file() and limit is None:  # a run for some methods keeps the rows of the others
        done = {row["method"] for row in rows}
        rows = [row for row in json.loads(summary.read_text())["rows"] if row["method"] not in done] + rows
    rows.sort(key=lambda row: METHODS.index(row["method"]) if row["method"] in METHODS else len(METHODS))
    out = {"dataset": dataset, "subsampling": subsampling, "reference": REFERENCE, "rows": rows,
           "windows": [list(w) for w in WINDOWS]}
    write_result(f"tables/summary_{dataset}_{tag}.json", out, echo=echo)
    return out


PER_IMAGE_LAMBDAS = (3200.0, 1600.0, 800.0, 400.0, 200.0, 100.0, 50.0, 25.0, 12.5)
PER_IMAGE_METHODS = ("tables-searched", "tables-per-image", "tables-predicted")


def evaluate_per_image(dataset: str = "kodak", images: int = 12, subsampling: str = "4:2:0",
                       methods=PER_IMAGE_METHODS, lambdas=PER_IMAGE_LAMBDAS, echo=print) -> dict:
    """Tables searched for each image (``tables-per-image``) and predicted for it (``tables-predicted``)
    against the global searched pair of the same lambda, and all against libjpeg with optimized
    Huffman tables, on the first ``images`` images of ``dataset`` (a per-image search costs about
    20 s per Kodak image and lambda on one core): ``tables/per-image_<dataset>_<subsampling>.json``.
    A method already in that file (same images and lambdas) is kept unless ``methods`` names it
    again, so a new method is added without redoing the slow search."""
    tag = subsampling.replace(":", "")
    path = RESULTS / f"tables/per-image_{dataset}_{tag}.json"
    done = json.loads(path.read_text()) if path.is_file() else {}
    results = done.get("results", {}) if (done.get("images"), done.get("lambdas")) == (images, list(lambdas)) else {}
    card = lookup_table("tables-searched")
    for method in (REFERENCE, *methods):
        if method in results and method not in methods:
            continue
        missing = registry.get_encoder(method).missing()
        if missing:
            echo(f"skipping {method}: {missing}")
            continue
        points = None if method == REFERENCE else \
            [card["lambdas"].index(lam) + 1 for lam in lambdas] if method == "tables-searched" else lambdas
        results[method] = evaluate(method, dataset, points, subsampling, limit=images)
    reference, global_ = results[REFERENCE], results["tables-searched"]
    out = {"dataset": dataset, "subsampling": subsampling, "images": images, "lambdas": list(lambdas),
           "reference": REFERENCE, "windows": [list(w) for w in WINDOWS],
           "rows": [{"method": name, "points": result["points"],
                     "seconds_per_encode": float(np.median([p["seconds"] for p in result["points"]])),
                     "against": {REFERENCE: _deltas(result, reference),
                                 **({"tables-searched": _deltas(result, global_)} if name != "tables-searched" else {})}}
                    for name, result in results.items() if name != REFERENCE],
           "results": results}
    write_result(f"tables/per-image_{dataset}_{tag}.json", out, echo=echo)
    for row in out["rows"]:
        echo(f"{row['method']}: {json.dumps(row['against'])}")
    return out


TARGETS = Path("runs/tables/per-image-targets.json")


def per_image_targets(images: int = 40, seed: int = 1, subsampling: str = "4:2:0", echo=print) -> dict:
    """The per-image search on ``images`` training crops (a fixed random subset that leaves out the
    crops the global pairs were searched on), at every lambda of the shipped global pairs: the
    targets of the table predictor. Resumable: ``runs/tables/per-image-targets.json`` grows by one
    crop at a time."""
    import time

    from ..datasets import image_paths
    from ..image import read_image
    from ..tables import per_image_tables, searched_pair

    card = lookup_table("tables-searched")
    _, searched_on = training_problem(subsampling=card["subsampling"])
    paths = [p for p in image_paths("train") if p.name not in set(searched_on)]
    chosen = sorted(np.random.default_rng(seed).choice(len(paths), images, replace=False).tolist())
    done = json.loads(TARGETS.read_text()) if TARGETS.is_file() else {"targets": []}
    out = {"subsampling": subsampling, "seed": seed, "lambdas": sorted(card["lambdas"]), "targets": done["targets"],
           "command": f"python -m jpegtutor.experiments.tables per-image-targets --images {images}"}
    have = {(t["image"], t["lambda"]) for t in out["targets"]}
    for i in chosen:
        image = read_image(paths[i])
        for lam in out["lambdas"]:
            if (paths[i].name, lam) in have:
                continue
            start = time.perf_counter()
            tables = per_image_tables(image, lam, subsampling)
            out["targets"].append({"image": paths[i].name, "lambda": lam, "tables": tables.tolist(),
                                   "global": searched_pair(lam).tolist(), "seconds": round(time.perf_counter() - start, 2)})
        write_json(TARGETS, out)
        echo(f"{paths[i].name}: {len(out['targets'])} targets")
    return out


def train_predictor(hidden: int = 64, epochs: int = 3000, weight_decay: float = 1e-2, held_out: float = 0.2,
                    seed: int = 0, echo=print) -> dict:
    """Fit :class:`jpegtutor.tables.predict.TablePredictor` to the per-image targets (MSE on the
    log-ratios, full-batch Adam), keeping the epoch with the lowest error on the held-out crops,
    and ship it to the zoo as ``tables-predictor``. Seconds on a CPU."""
    import time

    import torch

    from .. import zoo
    from ..datasets import image_paths
    from ..image import read_image
    from ..tables import predict

    torch.manual_seed(seed)
    data = json.loads(TARGETS.read_text())
    paths = {p.name: p for p in image_paths("train")}
    problems = {}
    features, targets, names = [], [], []
    for t in data["targets"]:
        if t["image"] not in problems:
            from ..tables.search import TableProblem

            problems[t["image"]] = TableProblem.of(read_image(paths[t["image"]]), data["subsampling"])
        features.append(predict.image_features(None, t["lambda"], problem=problems[t["image"]]))
        targets.append(predict.table_log_ratio(t["tables"], t["global"]))
        names.append(t["image"])
    x, y = torch.from_numpy(np.stack(features)), torch.from_numpy(np.stack(targets))
    crops = sorted(set(names))
    test = set(np.random.default_rng(seed).choice(crops, max(1, int(len(crops) * held_out)), replace=False).tolist())
    is_test = torch.tensor([n in test for n in names])
    model = predict.TablePredictor(hidden)
    model.mean.copy_(x[~is_test].mean(0))
    model.scale.copy_(x[~is_test].std(0).clamp_min(1e-3))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=weight_decay)
    best, history, start = (float("inf"), None, 0), [], time.perf_counter()
    for epoch in range(epochs):
        loss = ((model(x[~is_test]) - y[~is_test]) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            held = float(((model(x[is_test]) - y[is_test]) ** 2).mean())
        if held < best[0]:
            best = (held, {k: v.clone() for k, v in model.state_dict().items()}, epoch)
        if epoch % 500 == 0 or epoch == epochs - 1:
            history.append({"epoch": epoch, "train": loss.item(), "held_out": held})
    model.load_state_dict(best[1])
    zero = float((y[is_test] ** 2).mean())  # the global pair: a log-ratio of zero
    card = {"hidden": hidden, "epochs": epochs, "best_epoch": best[2], "weight_decay": weight_decay,
            "held_out_mse": best[0], "global_pair_mse": zero, "explained": 1 - best[0] / zero,
            "train_crops": len(crops) - len(test), "held_out_crops": sorted(test), "targets": len(names),
            "lambdas": data["lambdas"], "seconds": round(time.perf_counter() - start, 1), "history": history,
            "subsampling": data["subsampling"],
            "command": "python -m jpegtutor.experiments.tables train-predictor",
            "targets_seconds": round(sum(t["seconds"] for t in data["targets"]), 1),
            "targets_command": data["command"]}
    RUNS_TABLES = Path("runs/tables")
    RUNS_TABLES.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), RUNS_TABLES / "tables-predictor.pt")
    zoo.ship("tables-predictor", RUNS_TABLES / "tables-predictor.pt", card,
             "a small network predicting an image's own quantization tables from its DCT statistics (chapter 13)")
    echo(f"held-out log-ratio MSE {best[0]:.4f} vs {zero:.4f} for the global pair "
         f"({100 * card['explained']:.0f} % explained), epoch {best[2]}")
    return card


def _deltas(result: dict, reference: dict) -> dict:
    deltas = compare(result, reference, bpp_ranges=WINDOWS)
    return {"all": deltas["bd_rate_percent"], **deltas["bd_rate_percent_by_range"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jpegtutor.experiments.tables", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["train-qpsi", "ship-qpsi", "search", "ship-searched", "evaluate", "per-image",
                                          "per-image-targets", "train-predictor"])
    parser.add_argument("--distortion", default="mse", choices=("mse", "visibility"), help="search: what J measures")
    parser.add_argument("--images", type=int, help="search: training crops (16); per-image-targets: (40)")
    parser.add_argument("--profile", default="cpu", choices=sorted(qpsi.PROFILES))
    parser.add_argument("--steps", type=int)
    parser.add_argument("--rounding", default="cubic", choices=("cubic", "ste"),
                        help="train-qpsi/ship-qpsi: the rounding surrogate (the paper's cubic, or straight-through)")
    parser.add_argument("--dataset", default="kodak", choices=("kodak", "live1"))
    parser.add_argument("--subsampling", default="420", choices=("420", "444"))
    parser.add_argument("--methods", help="comma-separated (default: every table method)")
    parser.add_argument("--limit", type=int, help="evaluate: the first N images; per-image: N (default 12)")
    args = parser.parse_args(argv)
    if args.what == "train-qpsi":
        train_qpsi(args.profile, args.steps, args.rounding)
    elif args.what == "ship-qpsi":
        ship_qpsi(args.profile, args.rounding)
    elif args.what == "search":
        search(args.distortion, args.images or 16)
    elif args.what == "per-image-targets":
        per_image_targets(args.images or 40)
    elif args.what == "train-predictor":
        train_predictor()
    elif args.what == "ship-searched":
        ship_searched(args.distortion)
    elif args.what == "per-image":
        evaluate_per_image(args.dataset, args.limit or 12, ":".join(args.subsampling),
                           tuple(args.methods.split(",")) if args.methods else PER_IMAGE_METHODS)
    else:
        methods = tuple(args.methods.split(",")) if args.methods else METHODS
        evaluate_tables(args.dataset, ":".join(args.subsampling), methods, args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
