"""``jpegtutor bench diffjpeg|train``: benchmarks that print figures."""

from __future__ import annotations

import argparse

from .output import print_result


def _bench(args: argparse.Namespace) -> int:
    from ..diff import bench
    from ..jpeg.codec import normalize_subsampling

    result = {}
    if args.what == "train":
        from ..editors import tiny
        from ..train.bench import training_speed

        configs = tuple(c.strip() for c in args.configs.split(",")) if args.configs else None
        result = {"model": "tiny", **training_speed(tiny.build, args.device, args.batch, args.size or 128, args.steps,
                                                     configs=configs)}
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
        result.update(bench.speed(args.device, args.batch, args.size or 256, args.compare, modes=modes, compile=args.compile))
    return print_result(result, args)


def add(sub) -> None:
    p = sub.add_parser("bench", help="benchmarks (diffjpeg: the differentiable simulator; train: training throughput)")
    p.add_argument("what", choices=["diffjpeg", "train"])
    p.add_argument("--steps", type=int, default=10, help="train: timed optimizer steps per configuration")
    p.add_argument("--configs", help="train: e.g. eager-fp32,compile-fp32 (default: all for the device)")
    p.add_argument("--compare", choices=["kornia"], default=None, help="measure kornia 0.9 in the same run")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--size", type=int, default=None, help="image side (default: diffjpeg 256, train 128)")
    p.add_argument("--modes", default="exact,smooth", help="simulator modes to time, comma-separated")
    p.add_argument("--compile", action="store_true", help="torch.compile the simulator")
    p.add_argument("--fidelity", action="store_true", help="also the PSNR table against libjpeg on Kodak")
    p.add_argument("--qualities", default="1,10,50,90", help="qualities for --fidelity: 1,10,50 or 1-100")
    p.add_argument("--subsamplings", default="420,444", help="subsamplings for --fidelity, comma-separated")
    p.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", help="also write the JSON to this file (e.g. data/results/diffjpeg_fidelity.json)")
    p.set_defaults(func=_bench)

