"""``jpegtutor bench diffjpeg|train``: benchmarks that print figures (``train``: the fast path against the reference)."""

from __future__ import annotations

import argparse

from .output import print_result


def _bench(args: argparse.Namespace) -> int:
    from ..diff import bench
    from ..jpeg.codec import normalize_subsampling

    result = {}
    if args.what == "train":
        from .. import registry
        from ..train.bench import compare_paths

        registry.method_names()
        benchable = sorted(n for n, e in registry.EDITORS.items() if e.build is not None)
        spec = registry.EDITORS.get(args.recipe)
        if spec is None or spec.build is None:
            raise ValueError(f"--recipe: unknown recipe {args.recipe!r}; with a training step: {', '.join(benchable)}")
        settings = dict(spec.step_settings)
        if args.batch is not None:
            settings["batch"] = args.batch
        if args.size is not None:
            settings["crop"] = args.size
        for name, value in (("--repeats", args.repeats), ("--steps", args.steps), ("--batch", settings.get("batch", 1)),
                            ("--size", settings.get("crop", 8)), ("--loss-steps", args.loss_steps + 1)):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        result = {"recipe": args.recipe, **compare_paths(spec.build, settings, args.device, args.dataset, args.repeats,
                                                          args.steps, loss_steps=args.loss_steps)}
        return print_result(result, args)
    modes = tuple(m.strip() for m in args.modes.split(","))
    for mode in modes:
        if mode not in ("exact", "smooth"):
            raise SystemExit(f"--modes: unknown mode {mode!r} (exact, smooth)")
    if args.fidelity:
        try:
            qualities = bench.parse_qualities(args.qualities)
            subsamplings = tuple(normalize_subsampling(s.strip()) for s in args.subsamplings.split(","))
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
        result.update(bench.fidelity(qualities, subsamplings, modes=modes, compare=args.compare, device=args.device))
    if not args.no_speed:
        result.update(bench.speed(args.device, args.batch or 16, args.size or 256, args.compare, modes=modes, compile=args.compile))
    return print_result(result, args)


def add(sub) -> None:
    p = sub.add_parser("bench", help="benchmarks (diffjpeg: the differentiable simulator; train: training throughput)")
    p.add_argument("what", choices=["diffjpeg", "train"])
    p.add_argument("--recipe", default="talebi", help="train: the editor whose training step is timed (talebi, tiny)")
    p.add_argument("--steps", type=int, default=2, help="train: optimizer steps per path and repeat")
    p.add_argument("--repeats", type=int, default=5, help="train: interleaved rounds (the ratio is their median)")
    p.add_argument("--loss-steps", type=int, default=200,
                   help="train: trainer steps per path for the loss comparison (0: skip)")
    p.add_argument("--dataset", default="train", help="train: training images (default: the train set, else the samples)")
    p.add_argument("--compare", choices=["kornia"], default=None, help="measure kornia 0.9 in the same run")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--batch", type=int, default=None, help="batch (default: diffjpeg 16, train the recipe's)")
    p.add_argument("--size", type=int, default=None, help="image side (default: diffjpeg 256, train the recipe's crop)")
    p.add_argument("--modes", default="exact,smooth", help="simulator modes to time, comma-separated")
    p.add_argument("--compile", action="store_true", help="torch.compile the simulator")
    p.add_argument("--fidelity", action="store_true", help="also the PSNR table against libjpeg on Kodak")
    p.add_argument("--qualities", default="1,10,50,90", help="qualities for --fidelity: 1,10,50 or 1-100")
    p.add_argument("--subsamplings", default="420,444", help="subsamplings for --fidelity, comma-separated")
    p.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", help="also write the JSON to this file (e.g. data/results/diffjpeg_fidelity.json)")
    p.set_defaults(func=_bench)

