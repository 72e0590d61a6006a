"""``jpegtutor eval`` and ``jpegtutor methods``: RD evaluation of any registered method with real files."""

from __future__ import annotations

import json

from ..files import write_json

SUBSAMPLINGS = ["444", "422", "420", "4:4:4", "4:2:2", "4:2:0"]


def parse_points(text: str | None):
    """``"5,10,50"`` or ``"5-95"`` (every integer) -> a tuple; ``None`` -> ``None`` (the method's defaults)."""
    if text is None:
        return None
    points = []
    for part in text.split(","):
        part = part.strip()
        low, sep, high = part.partition("-")
        try:
            if sep and low:
                points += range(int(low), int(high) + 1)
            else:
                value = float(part)
                points.append(int(value) if value.is_integer() else value)
        except ValueError:
            raise ValueError(f"--qualities: cannot read {part!r}; use e.g. 5,10,50 or 5-95") from None
    if not points:
        raise ValueError("--qualities is empty")
    return tuple(points)


def _eval(args) -> int:
    from ..eval import evaluate

    result = evaluate(args.method, args.dataset, parse_points(args.qualities), args.subsampling, args.baseline,
                      use_lpips=not args.no_lpips, limit=args.limit, checkpoint=args.checkpoint, label=args.label,
                      save_files=args.save_files, decoder=args.decoder)
    if args.json:
        write_json(args.json, result)
        print(f"wrote {args.json}")
    name = result["operating_point"]
    print(f"{name:>8s} {'bpp':>7s} {'PSNR':>7s} {'MS-SSIM':>8s} {'LPIPS':>7s}")
    for p in result["points"]:
        print(f"{p[name]:8g} {p['bpp']:7.3f} {p['psnr_db']:7.2f} {p['ms_ssim']:8.4f} {p.get('lpips_alex', float('nan')):7.4f}")
    for name, value in result.get("bd_rate_percent", {}).items():
        print(f"BD-rate vs {result['baseline']} ({name}): " + (f"{value:+.2f} %" if isinstance(value, float) else value))
    if args.save_files:
        print(f"files in {args.save_files}")
    return 0


def _methods(args) -> int:
    from .. import registry

    rows = registry.describe()
    if args.json:
        print(json.dumps(rows))
        return 0
    for row in rows:
        if row["kind"] == "decoder":
            print(f"{row['name']:26s} decoder       {row['description']}")
        elif not row["available"]:
            print(f"{row['name']:26s} {row['kind']:13s} not available: {row['missing']}")
        else:
            trained = f", trained {row['trained_range'][0]}-{row['trained_range'][1]}" if row["trained_range"] else ""
            print(f"{row['name']:26s} {row['kind']:13s} {row['operating_point']} {row['point_range'][0]}-"
                  f"{row['point_range'][1]}{trained}; {row['description']}")
    print("A pixel editor hands its output to any encoder: EDITOR+ENCODER, e.g. talebi+mozjpeg.")
    return 0


def add(sub) -> None:
    p = sub.add_parser("eval", help="rate-distortion evaluation with real files (bpp, PSNR, SSIM, MS-SSIM, LPIPS, BD-rate)")
    p.add_argument("--method", default="libjpeg-optimized",
                   help="a registered method (jpegtutor methods), e.g. mozjpeg, talebi, talebi+mozjpeg")
    p.add_argument("--dataset", default="kodak", help="dataset name or image folder")
    p.add_argument("--qualities", help="operating points, e.g. 5,10,50 or 5-95 (default: the method's)")
    p.add_argument("--subsampling", default="4:2:0", choices=SUBSAMPLINGS)
    p.add_argument("--baseline", help="a method to compare with (evaluated in the same run) or an earlier results JSON")
    p.add_argument("--limit", type=int, help="only the first N images")
    p.add_argument("--no-lpips", action="store_true", help="skip LPIPS (needs the AlexNet weights)")
    p.add_argument("--json", metavar="OUT", help="write the full results (per image too) to OUT")
    p.add_argument("--save-files", metavar="FILES", dest="save_files",
                   help="keep every JPEG measured in FILES/<image stem>/<point name>-<point>.jpg, e.g. kodim01/quality-20.jpg "
                        "(each row of the JSON names its file)")
    p.add_argument("--checkpoint", help="a pixel editor's weights (default: the shipped ones)")
    p.add_argument("--label", help="the method's name in the results (default: --method)")
    p.add_argument("--decoder", default="libjpeg", help="the decoder that reads every file: libjpeg (default), jdno, jdno-cnn")
    p.set_defaults(func=_eval)

    p = sub.add_parser("methods", help="every registered method: kind, operating points, default and trained range")
    p.add_argument("--json", action="store_true", help="print one JSON list")
    p.set_defaults(func=_methods)
