"""``jpegtutor preedit METHOD IN OUT.jpg --quality Q``: a method's real JPEG of one image, measured against the encoder alone."""

from __future__ import annotations

import json

from .evaluate import SUBSAMPLINGS, parse_points


def _preedit(args) -> int:
    from .. import registry
    from ..files import write_bytes
    from ..image import read_image, write_image
    from ..metrics import measure

    options = {"per_image_steps": args.per_image_steps} if args.per_image_steps else {}
    method = registry.get_method(args.method, args.checkpoint, **options).load()
    if args.per_image_steps < 0:
        raise ValueError(f"--per-image-steps must be >= 0, got {args.per_image_steps}")
    if args.per_image_steps and method.editor is None:
        raise ValueError(f"--per-image-steps applies to pixel editors; {method.name} is a {method.kind}")
    if (args.quality is None) == (args.point is None):
        raise ValueError(f"give the operating point of {method.name}: --{method.point} VALUE (or --point VALUE)")
    if args.quality is not None and method.point != "quality":
        raise ValueError(f"{method.name}'s operating point is {method.point}, not a quality: use --point VALUE")
    point = args.quality if args.quality is not None else parse_points(args.point)[0]
    image = read_image(args.input)
    method.check_point(point)  # warns (one line, see jpegtutor.cli.main) outside the trained range
    subsampling = args.subsampling if ":" in args.subsampling else ":".join(args.subsampling)
    edited = method.edit(image, point, subsampling)
    encoded = method.encoder.encode(edited, point, subsampling)
    plain = method.encoder.encode(image, point, subsampling) if method.editor is not None else encoded
    result = {"method": method.name, "output": args.output, method.point: point, **measure(image, encoded, use_lpips=not args.no_lpips)}
    if method.editor is not None:
        alone = measure(image, plain, use_lpips=not args.no_lpips)
        result.update({f"{method.encoder.name}_alone_{k}": v for k, v in alone.items()})
    # written only now that everything succeeded: a failure leaves no output behind
    if args.save_edited:
        write_image(args.save_edited, edited)
    write_bytes(args.output, encoded)
    if args.json:
        print(json.dumps(result))
        return 0
    lp = f", LPIPS {result['lpips_alex']:.4f}" if "lpips_alex" in result else ""
    line = f"wrote {args.output}: {result['bpp']:.3f} bpp, PSNR {result['psnr_db']:.2f} dB{lp}"
    if method.editor is not None:
        key = f"{method.encoder.name}_alone_"
        lp = f", LPIPS {result[key + 'lpips_alex']:.4f}" if key + "lpips_alex" in result else ""
        line += f" ({method.encoder.name} alone at {method.point} {point}: {result[key + 'bpp']:.3f} bpp, {result[key + 'psnr_db']:.2f} dB{lp})"
    print(line)
    return 0


def add(sub) -> None:
    p = sub.add_parser("preedit", help="write a standard JPEG with a registered method (a pre-editor + an encoder)")
    p.add_argument("method", help="e.g. talebi, talebi+mozjpeg, mozjpeg (jpegtutor methods lists them)")
    p.add_argument("input", help="image file (PNG, JPEG, ...)")
    p.add_argument("output", help="the JPEG to write")
    p.add_argument("--quality", type=int,
                   help="the operating point of quality-based methods: JPEG quality 1-100 (an editor is conditioned on it; "
                        "it warns outside its trained range)")
    p.add_argument("--point", help="the operating point of any method, in its own terms (jpegtutor methods lists them)")
    p.add_argument("--subsampling", default="4:2:0", choices=SUBSAMPLINGS)
    p.add_argument("--checkpoint", help="editor weights (default: the shipped ones)")
    p.add_argument("--per-image-steps", type=int, default=0, dest="per_image_steps",
                   help="then optimize this image's pixels for N steps with the training loss (Eq. 4)")
    p.add_argument("--save-edited", metavar="PNG", dest="save_edited", help="also write the edited image before JPEG")
    p.add_argument("--no-lpips", action="store_true", help="skip LPIPS (it needs the ImageNet AlexNet weights)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_preedit)
