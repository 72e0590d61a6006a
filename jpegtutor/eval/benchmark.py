"""One benchmark for every registered method (chapter 15): ``jpegtutor benchmark [--profile quick|full]``.

The benchmark is the registry's client: :func:`plan` asks the registry what exists, so a method
registered later (in this package or through a ``jpegtutor.methods`` entry point) appears here
without a change to this module. Every job is one :func:`~jpegtutor.eval.evaluate` run with real
files, written to ``data/results/benchmark/<profile>/<job>.json``:

- every **encoder** and **coefficient editor** at each subsampling it writes;
- every **pixel editor** followed by each of :data:`PAIRED_ENCODERS` (does pre-editing still pay
  on top of the best classical encoder?);
- every **learned decoder** reading libjpeg-optimized's files.

A method that cannot run here (an encoder not installed, an editor without weights) keeps its row
with the reason. :func:`summarize` compares each result with ``libjpeg-optimized`` on the same
images (BD-rate per metric, over each curve's whole overlap and per bpp window), adds the
per-image spread, a paired test of each gain, the encode time and the parameter count, and
writes ``summary.json`` and the leaderboard (:data:`LEADERBOARD_FIELDS`).

The run is resumable: a job whose results file exists with the same settings is not run again,
and with ``reuse=True`` a result an experiment script already wrote with the same settings (same
method, images, points, subsampling, decoder) is adopted, recorded as ``reused_from``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import datasets, registry
from ..files import write_json
from ..runtime import progress
from .harness import (BPP_RANGES, DEFAULT_BASELINE, METRICS, _mean_points, compare, evaluate, per_image_bd_rate,
                      rate_difference)

__all__ = ["LEADERBOARD_FIELDS", "PAIRED_ENCODERS", "PROFILES", "Job", "Profile", "best", "folder", "plan", "restricted", "run",
           "summarize"]

PAIRED_ENCODERS = ("libjpeg-optimized", "jpegli-optimized", "mozjpeg")
DENSE_QUALITIES = (2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 70, 80, 85, 90)  # as chapter 08's


@dataclass(frozen=True)
class Profile:
    """``datasets``: names; ``limit``: images per dataset, one number or ``{dataset: number}`` (``None`` or
    absent: all, the first ones in name order); ``qualities``: the points of
    every quality-driven encoder; ``max_points``: at most this many of a method's own points (evenly
    spread, the ends kept; ``None``: all); ``decoder_points``: at most this many of ``qualities`` for a
    learned decoder; ``subsamplings``: each where the method writes it; ``job_budget_s``: a job whose
    first image says it would take longer runs on the first images that fit (at least 4), and its
    row says so (``None``: no limit)."""

    name: str
    datasets: tuple
    limit: int | dict | None
    qualities: tuple
    max_points: int | None
    decoder_points: int | None = None
    subsamplings: tuple = ("4:2:0", "4:4:4")
    job_budget_s: float | None = None


PROFILES = {
    "quick": Profile("quick", ("kodak",), 1, (5, 10, 20, 40, 70, 90), 4, 4, ("4:2:0",)),
    # BSDS500's 200 test images would take three times Kodak and LIVE1 together on a CPU: the first 50
    "full": Profile("full", ("kodak", "live1", "bsds500-test"), {"bsds500-test": 50}, DENSE_QUALITIES, None, 10,
                    job_budget_s=1800),
}

LEADERBOARD_FIELDS = {
    "method": "the registered name; EDITOR+ENCODER for a pixel editor, ENCODER->DECODER for a learned decoder",
    "kind": "encoder, coefficient-editor, pixel-editor or decoder",
    "dataset": "kodak, live1 or bsds500-test", "subsampling": "4:2:0 or 4:4:4",
    "status": "measured, or why not (not installed, no weights, failed: ...)",
    "baseline": "libjpeg-optimized (optimized Huffman tables) on the same images and subsampling",
    "bd_rate_percent": "per metric, over the whole overlap of the two mean curves; negative: fewer bits",
    "bd_rate_percent_by_range": "the same within each bpp window (each curve's points inside it, at least 4)",
    "per_image_psnr": "median and quartiles of the per-image BD-rates (PSNR), and the Wilcoxon signed-rank p-value",
    "per_image_lpips": "the same for LPIPS (AlexNet)",
    "on_top_of_encoder": "a pixel editor against the encoder it hands its pixels to, alone, on the same images: "
                         "BD-rates (whole overlap and per window) and the per-image statistics",
    "bpp_range": "the lowest and highest mean bpp measured",
    "images_limited": "present when the time budget cut the job short: which images it measured (the baseline "
                      "is averaged over the same ones)",
    "rate_difference_percent": "at each measured point, [bpp, % more bits than the baseline needs for the same "
                               "PSNR / LPIPS]: the answer for methods with too few points for a BD-rate",
    "encode_ms_per_megapixel": "wall time of all encodes (editing included) over their megapixels, on this machine, "
                               "one process; a learned decoder's row: the encoder's time (its decode time is in chapter 14)",
    "parameters": "learned parameters (null: a classical method)",
    "results_file": "the per-image results, relative to data/results/",
}


@dataclass(frozen=True)
class Job:
    """One evaluation: ``method`` (a registry name, ``EDITOR+ENCODER`` for a pixel editor) read by
    ``decoder``; ``points``: its operating points; ``missing``: why it cannot run here (``None``: it can)."""

    method: str
    kind: str
    dataset: str
    subsampling: str
    points: tuple
    decoder: str = "libjpeg"
    missing: str | None = None
    parameters: int | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return self.method if self.decoder == "libjpeg" else f"{self.method}->{self.decoder}"

    @property
    def file(self) -> str:
        return f"{self.label.replace('->', '_to_')}_{Path(self.dataset).name}_{self.subsampling.replace(':', '')}.json"


def images_limit(profile, dataset):
    """How many of ``dataset``'s images ``profile`` measures (``None``: all)."""
    limit = profile.limit
    return limit.get(dataset) if isinstance(limit, dict) else limit


def _spread(points, limit):
    """At most ``limit`` of ``points``, evenly spread, the ends kept."""
    points = tuple(points)
    if limit is None or len(points) <= limit:
        return points
    index = np.unique(np.round(np.linspace(0, len(points) - 1, limit)).astype(int))
    return tuple(points[i] for i in index)


def _points(spec, profile: Profile) -> tuple:
    """A quality-driven method without a trained range gets the profile's qualities; any other its own points."""
    if spec.point == "quality" and spec.trained_range is None:
        return tuple(profile.qualities)
    return _spread(spec.points, profile.max_points)


def _parameters(name: str | None) -> int | None:
    """The number of learned values in the zoo weights ``name`` (``None``: no weights, or not shipped)."""
    if not name:
        return None
    from .. import zoo

    try:
        state = zoo.load_state(name)
    except Exception:  # not shipped here (the row still runs if the method does not need them)
        return None
    return int(sum(v.numel() for v in state.values() if hasattr(v, "numel") and v.is_floating_point()))


def plan(profile: str | Profile = "quick") -> list[Job]:
    """Every job of ``profile``, in run order: the baseline first in each (dataset, subsampling)."""
    profile = _profile(profile)
    registry.method_names()
    jobs = []
    for dataset in profile.datasets:
        for subsampling in profile.subsamplings:
            here = []
            for name, spec in registry.ENCODERS.items():
                if subsampling in spec.subsamplings:
                    here.append(Job(name, spec.kind, dataset, subsampling, _points(spec, profile), missing=spec.missing(),
                                    parameters=_parameters(spec.weights)))
            for name, spec in registry.EDITORS.items():
                reason = spec.missing()
                for encoder in PAIRED_ENCODERS:
                    enc = registry.ENCODERS[encoder]
                    if subsampling not in enc.subsamplings:
                        continue
                    here.append(Job(f"{name}+{encoder}", "pixel-editor", dataset, subsampling, _points(spec, profile),
                                    missing=reason or enc.missing(), parameters=_parameters(spec.weights)))
                    if reason:  # one row says why, not one per encoder
                        break
            for name, spec in registry.DECODERS.items():
                if name != "libjpeg" and subsampling == "4:2:0":
                    here.append(Job(DEFAULT_BASELINE, "decoder", dataset, subsampling,
                                    _spread(profile.qualities, profile.decoder_points),
                                    decoder=name, missing=spec.missing(), parameters=_parameters(spec.weights)))
            here.sort(key=lambda j: (j.label != DEFAULT_BASELINE, j.kind != "encoder", j.label))
            jobs += here
    return jobs


def _profile(profile: str | Profile) -> Profile:
    if isinstance(profile, Profile):
        return profile
    if profile not in PROFILES:
        raise ValueError(f"unknown benchmark profile {profile!r}; profiles: {', '.join(PROFILES)}")
    return PROFILES[profile]


def folder(profile: str | Profile, results: Path | None = None) -> Path:
    """Where ``profile``'s results files go: ``data/results/benchmark/<profile>/``."""
    return _root(results) / "benchmark" / _profile(profile).name


def _root(results: Path | None) -> Path:
    """``results`` or the checkout's ``data/results`` (the working directory's when not in a checkout)."""
    from ..resources import repo_root

    return Path(results) if results is not None else (repo_root() or Path.cwd()) / "data" / "results"


def _write(path: Path, result: dict, command: str | None) -> Path:
    """``result`` with the command that made it, written atomically."""
    write_json(path, {**result, "command": command or result.get("command")})
    return path


def _matches(result: dict, job: Job, images: list[str]) -> bool:
    names = [im["name"] for im in result.get("images", [])]
    if result.get("benchmark", {}).get("images_limited"):  # a job cut short by the time budget: its first images
        images = images[: len(names)]
    return (result.get("method") == job.label and result.get("dataset") == job.dataset
            and result.get("subsampling") == job.subsampling and result.get("decoder", "libjpeg") == job.decoder
            and [float(q) for q in result.get("qualities", [])] == [float(q) for q in job.points]
            and names == images
            and all("lpips_alex" in p for p in result.get("points", [])))


def _earlier_results(results: Path) -> dict:
    """Results an experiment script wrote (outside ``benchmark/``): ``(method, dataset, subsampling) -> [path]``."""
    found: dict = {}
    for path in sorted(results.rglob("*.json")):
        if "benchmark" in path.relative_to(results).parts or path.name == "leaderboard.json":
            continue
        try:
            head = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(head, dict) and {"method", "dataset", "subsampling", "images", "qualities"} <= head.keys():
            found.setdefault((head["method"], head["dataset"], head["subsampling"]), []).append(path)
    return found


def _shard(jobs: list[Job], units: dict, index: int, count: int) -> list[Job]:
    """The jobs of shard ``index`` of ``count``: one editor's jobs stay together (they share its edits),
    the groups go to the shard with the least work so far."""
    groups: dict = {}
    for job in jobs:
        groups.setdefault((job.method.partition("+")[0] if job.kind == "pixel-editor" else job.label, job.dataset,
                           job.subsampling), []).append(job)
    load, mine = [0] * count, []
    for group in sorted(groups.values(), key=lambda g: -sum(units[j] for j in g)):
        target = load.index(min(load))
        load[target] += sum(units[j] for j in group)
        if target == index:
            mine += group
    return [j for j in jobs if j in mine]


def run(profile: str | Profile = "quick", results: Path | None = None, reuse: bool = True, only=None,
        datasets_=None, shard: tuple[int, int] = (0, 1), echo=print) -> list[Path]:
    """Run every job of ``profile`` that has no results file yet (resumable); ``only``: labels to run;
    ``datasets_``: only these of the profile's datasets; ``shard=(i, n)``: the i-th of n processes
    (run n of them side by side, one per core). Returns the results files; the progress bar counts
    image x point evaluations and shows the time left."""
    prof = _profile(profile)
    results = _root(results)
    out = folder(prof, results)
    jobs = [j for j in plan(prof) if j.missing is None and (not only or j.label in only)
            and (not datasets_ or j.dataset in datasets_)]
    names = {d: [Path(p).name for p in datasets.image_paths(d)[: images_limit(prof, d)]] for d in prof.datasets}
    earlier = _earlier_results(results) if reuse else {}
    todo, written = [], []
    for job in jobs:
        path = out / job.file
        if path.is_file() and _matches(json.loads(path.read_text()), job, names[job.dataset]):
            written.append(path)
            continue
        for candidate in earlier.get((job.label, job.dataset, job.subsampling), []):
            result = json.loads(candidate.read_text())
            if _matches(result, job, names[job.dataset]):
                result["reused_from"] = str(candidate.relative_to(results))
                written.append(_write(path, result, result.get("command")))
                echo(f"{job.label} on {job.dataset} {job.subsampling}: reused {result['reused_from']}")
                break
        else:
            todo.append(job)
    units = {job: len(names[job.dataset]) * len(job.points) for job in todo}
    if shard != (0, 1):
        todo = _shard(todo, units, *shard)
        units = {job: units[job] for job in todo}
    echo(f"benchmark {prof.name}{'' if shard == (0, 1) else f' shard {shard[0] + 1}/{shard[1]}'}: {len(jobs)} jobs, {len(jobs) - len(todo)} already measured, {len(todo)} to run "
         f"({sum(units.values())} image x point evaluations)")
    bar = progress(None, total=sum(units.values()), desc=f"benchmark {prof.name}", unit="eval")
    edits, caches = {}, {}  # one editor's edited images, shared by its encoders; metrics of identical pixels
    for job in todo:
        bar.set_postfix_str(f"{job.label} {job.dataset} {job.subsampling}")
        editor = job.method.partition("+")[0] if job.kind == "pixel-editor" else None
        key = (editor, job.dataset, job.subsampling)
        if key not in edits:
            edits = {key: {}}
        cache = caches.setdefault((job.dataset, job.subsampling), {})
        start = time.perf_counter()
        try:
            method = registry.get_method(job.method, edits=edits[key] if editor else None)
            limit, total, note = images_limit(prof, job.dataset), len(names[job.dataset]), None
            if prof.job_budget_s:  # time the first image, then run as many as the budget allows
                first = time.perf_counter()
                evaluate(method, job.dataset, job.points, job.subsampling, limit=1, decoder=job.decoder, cache=cache,
                         show_progress=False)
                fits = int(prof.job_budget_s // max(time.perf_counter() - first, 1e-3))
                if max(4, fits) < total:
                    limit = max(4, fits)
                    note = f"first {limit} of {total} images (a {prof.job_budget_s:.0f} s time budget per job)"
            result = evaluate(method, job.dataset, job.points, job.subsampling, limit=limit, decoder=job.decoder,
                              label=job.label, cache=cache, show_progress=False)
        except Exception as exc:  # one failing method must not stop the others; its row says why
            result = {"method": job.label, "dataset": job.dataset, "subsampling": job.subsampling,
                      "failed": f"{type(exc).__name__}: {exc}"}
            echo(f"{job.label} on {job.dataset} {job.subsampling} failed: {result['failed']}")
        result["benchmark"] = {"profile": prof.name, "wall_seconds": round(time.perf_counter() - start, 1),
                               **({"images_limited": note} if "failed" not in result and note else {})}
        written.append(_write(out / job.file, result, f"jpegtutor benchmark --profile {prof.name}"))
        bar.update(units[job])
    bar.close()
    return written


def restricted(reference: dict, names: list[str]) -> dict:
    """``reference`` averaged over the images ``names`` only (a job the time budget cut short)."""
    if [im["name"] for im in reference["images"]] == names:
        return reference
    images = [im for im in reference["images"] if im["name"] in set(names)]
    return {**reference, "images": images, "points": _mean_points(images, reference["qualities"], reference["operating_point"])}


def _wilcoxon(values) -> float | None:
    from scipy.stats import wilcoxon

    values = [v for v in values if v is not None and math.isfinite(v)]
    if len(values) < 5 or not any(values):
        return None
    return float(wilcoxon(values).pvalue)


def _per_image(result: dict, reference: dict, metric: str) -> dict | None:
    values = [v for v in per_image_bd_rate(result, reference, metric) if v is not None and math.isfinite(v)]
    if not values:
        return None
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return {"median": float(median), "q1": float(q1), "q3": float(q3), "images": len(values),
            "better": int(sum(v < 0 for v in values)), "wilcoxon_p": _wilcoxon(values)}


def _ms_per_megapixel(result: dict) -> float | None:
    """All encodes' time over all their megapixels: a method that works once per image (JENO's
    planes, an editor's network) and reuses it across points is charged its mean, not its median."""
    seconds = sum(p["seconds"] for im in result["images"] for p in im["points"])
    pixels = sum(im["height"] * im["width"] * len(im["points"]) for im in result["images"])
    return 1000 * seconds / (pixels / 1e6) if pixels else None


def summarize(profile: str | Profile = "quick", results: Path | None = None, echo=print) -> dict:
    """Every job's row (measured or why not) against libjpeg-optimized; writes ``summary.json`` in
    the profile's folder and, for the full profile, ``data/results/leaderboard.json``."""
    prof = _profile(profile)
    results = _root(results)
    out = folder(prof, results)
    rows, loaded = [], {}
    for job in plan(prof):
        path = out / job.file
        row = {"method": job.label, "kind": job.kind, "dataset": job.dataset, "subsampling": job.subsampling,
               "parameters": job.parameters, "results_file": str(path.relative_to(results)) if path.is_file() else None}
        if job.missing is not None:
            rows.append({**row, "status": f"not available: {job.missing}"})
            continue
        if not path.is_file():
            rows.append({**row, "status": "not yet measured (run jpegtutor benchmark)"})
            continue
        result = json.loads(path.read_text())
        if "failed" in result:
            rows.append({**row, "status": f"failed: {result['failed']}"})
            continue
        loaded[(job.label, job.dataset, job.subsampling)] = result
        rows.append({**row, "status": "measured"})
    for row in rows:
        if row["status"] != "measured":
            continue
        result = loaded[(row["method"], row["dataset"], row["subsampling"])]
        reference = loaded.get((DEFAULT_BASELINE, row["dataset"], row["subsampling"]))
        low, high = result["points"][0]["bpp"], result["points"][-1]["bpp"]
        row.update({"baseline": DEFAULT_BASELINE, "points": result["qualities"], "operating_point": result["operating_point"],
                    "bpp_range": [min(low, high), max(low, high)], "encode_ms_per_megapixel": _ms_per_megapixel(result),
                    **({"reused_from": result["reused_from"]} if "reused_from" in result else {})})
        if "images_limited" in result.get("benchmark", {}):
            row["images_limited"] = result["benchmark"]["images_limited"]
        if reference is not None and row["method"] != DEFAULT_BASELINE:
            reference = restricted(reference, [im["name"] for im in result["images"]])
            deltas = compare(result, reference)
            row["bd_rate_percent"] = deltas["bd_rate_percent"]
            row["bd_rate_percent_by_range"] = deltas["bd_rate_percent_by_range"]
            row["rate_difference_percent"] = {m: rate_difference(result["points"], reference["points"], m)
                                              for m in ("psnr_db", "lpips_alex")}
            row["per_image_psnr"] = _per_image(result, reference, "psnr_db")
            row["per_image_lpips"] = _per_image(result, reference, "lpips_alex")
        encoder = row["method"].partition("+")[2] if row["kind"] == "pixel-editor" else None
        alone = loaded.get((encoder, row["dataset"], row["subsampling"]))
        if alone is not None:  # the question a practitioner asks first: does the editor pay on top of its encoder?
            alone = restricted(alone, [im["name"] for im in result["images"]])
            deltas = compare(result, alone)
            row["on_top_of_encoder"] = {"encoder": encoder, "bd_rate_percent": deltas["bd_rate_percent"],
                                        "bd_rate_percent_by_range": deltas["bd_rate_percent_by_range"],
                                        "per_image_psnr": _per_image(result, alone, "psnr_db"),
                                        "per_image_lpips": _per_image(result, alone, "lpips_alex"),
                                        "rate_difference_percent": {m: rate_difference(result["points"], alone["points"], m)
                                                                    for m in ("psnr_db", "lpips_alex")}}
    summary = {"profile": prof.name, "settings": vars(prof) | {"paired_encoders": list(PAIRED_ENCODERS)},
               "baseline": DEFAULT_BASELINE, "bpp_ranges": [list(r) for r in BPP_RANGES], "metrics": list(METRICS),
               "fields": LEADERBOARD_FIELDS, "rows": rows}
    _write(out / "summary.json", summary, f"jpegtutor benchmark --profile {prof.name} --summary-only")
    echo(f"wrote {out / 'summary.json'}")
    if prof.name == "full":
        write_json(results / "leaderboard.json", {"fields": LEADERBOARD_FIELDS, "baseline": DEFAULT_BASELINE,
                                                  "entries": rows, "command": "jpegtutor benchmark --profile full"})
    return summary


def best(summary: dict, metric: str, window: str, dataset: str = "kodak", subsampling: str = "4:2:0",
         reference: str = "jpegli-optimized") -> dict | None:
    """The row with the lowest BD-rate for ``metric`` in ``window`` (``"all"`` or e.g. ``"0.1-0.6 bpp"``)
    and its margin over ``reference``'s BD-rate (percentage points, negative: better)."""
    def value(row):
        scores = row.get("bd_rate_percent") if window == "all" else row.get("bd_rate_percent_by_range", {}).get(window)
        v = (scores or {}).get(metric)
        return v if isinstance(v, float) and math.isfinite(v) else None

    rows = [r for r in summary["rows"] if r["dataset"] == dataset and r["subsampling"] == subsampling and value(r) is not None]
    if not rows:
        return None
    top = min(rows, key=value)
    ref = next((r for r in rows if r["method"] == reference), None)
    return {"method": top["method"], "bd_rate_percent": value(top),
            "margin_over_reference": None if ref is None else value(top) - value(ref), "reference": reference}
