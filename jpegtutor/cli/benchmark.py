"""``jpegtutor benchmark``: every registered method on the same images, encoder, decoder and metrics (chapter 15)."""

from __future__ import annotations


def _fmt(value) -> str:
    return f"{value:+6.1f}" if isinstance(value, float) else "     -"


def _shard(text: str | None) -> tuple[int, int]:
    if not text:
        return 0, 1
    try:
        index, count = (int(v) for v in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard: expected I/N, e.g. 1/2, got {text!r}") from None
    if not 1 <= index <= count:
        raise ValueError(f"--shard: I must be in 1..N, got {text!r}")
    return index - 1, count


def _benchmark(args) -> int:
    from ..eval import benchmark

    if args.list:
        for job in benchmark.plan(args.profile):
            state = f"not available: {job.missing}" if job.missing else f"{len(job.points)} points"
            print(f"{job.label:32s} {job.kind:18s} {job.dataset:13s} {job.subsampling}  {state}")
        return 0
    if not args.summary_only:
        benchmark.run(args.profile, reuse=not args.no_reuse, only=args.only.split(",") if args.only else None,
                      datasets_=args.dataset.split(",") if args.dataset else None, shard=_shard(args.shard))
        if args.shard:
            return 0  # the other shards may still be running: summarize once they are done
    summary = benchmark.summarize(args.profile)
    windows = [f"{lo}-{hi} bpp" for lo, hi in summary["bpp_ranges"]]
    print(f"BD-rate (%) against {summary['baseline']} (PSNR / LPIPS), negative: fewer bits")
    print(f"{'method':32s} {'dataset':13s} {'sub':5s} " + " ".join(f"{w:>13s}" for w in ["all", *windows]))
    for row in summary["rows"]:
        if row["status"] != "measured":
            print(f"{row['method']:32s} {row['dataset']:13s} {row['subsampling']:5s} {row['status']}")
            continue
        cells = [row.get("bd_rate_percent", {})] + [row.get("bd_rate_percent_by_range", {}).get(w, {}) for w in windows]
        print(f"{row['method']:32s} {row['dataset']:13s} {row['subsampling']:5s} "
              + " ".join(f"{_fmt(c.get('psnr_db'))}/{_fmt(c.get('lpips_alex'))}" for c in cells))
    return 0


def add(sub) -> None:
    p = sub.add_parser("benchmark", help="every registered method on the same data, real files, one BD-rate table "
                                         "(resumable; the quick profile takes minutes on a CPU)")
    p.add_argument("--profile", default="quick", choices=["quick", "full"],
                   help="quick: one Kodak image, a few points (minutes); full: Kodak, LIVE1 and BSDS500 (hours)")
    p.add_argument("--only", help="comma separated method labels to run (default: every job without a results file)")
    p.add_argument("--no-reuse", action="store_true",
                   help="measure again what an experiment script already wrote with the same settings")
    p.add_argument("--dataset", help="comma separated: only these of the profile's datasets")
    p.add_argument("--shard", metavar="I/N", help="run the I-th of N parts (N processes side by side, one per core); "
                                                  "then --summary-only")
    p.add_argument("--summary-only", action="store_true", help="only the table, from the results files written so far")
    p.add_argument("--list", action="store_true", help="print the jobs and exit")
    p.set_defaults(func=_benchmark)
