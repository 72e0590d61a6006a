"""``jpegtutor preedit METHOD IN OUT.jpg --quality Q``: a method's real JPEG of one image, measured against the encoder alone."""

from __future__ import annotations

import json

from .evaluate import SUBSAMPLINGS, parse_points


def _preedit(args) -> int:
    from .. import registry
    from ..files import write_bytes
    from ..image import read_image, write_image
    from ..metrics import measure

    if args.per_image_steps < 0:
        raise ValueError(f"--per-image-steps must be >= 0, got {args.per_image_steps}")
    method = registry.get_method(args.method, args.checkpoint).load()
    # a pixel editor optimizes the edited pixels; a learned coefficient editor refines itself on the image
    refine = args.per_image_steps and method.editor is None
    if refine and method.encoder.encode_per_image is None:
        raise ValueError(f"--per-image-steps applies to pixel editors and learned coefficient editors; "
                         f"{method.name} is {'an' if method.kind[0] in 'aeiou' else 'a'} {method.kind}")
    if args.per_image_steps and method.editor is not None:
        method = registry.get_method(args.method, args.checkpoint, per_image_steps=args.per_image_steps).load()
    if (args.quality is None) == (args.point is None):
        raise ValueError(f"give the operating point of {method.name}: --{method.point} VALUE (or --point VALUE)")
    if args.quality is not None and method.point != "quality":
        raise ValueError(f"{method.name}'s operating point is {method.point}, not a quality: use --point VALUE")
    point = args.quality if args.quality is not None else parse_points(args.point)[0]
    image = read_image(args.input)
    method.check_point(point)  # warns (one line, see jpegtutor.cli.main) outside the trained range
    if args.subsampling is None:  # 4:2:0, where a user starts, unless the method writes others only
        args.subsampling = "4:2:0" if "4:2:0" in method.subsamplings else method.subsamplings[0]
    subsampling = args.subsampling if ":" in args.subsampling else ":".join(args.subsampling)
    edited = method.edit(image, point, subsampling)
    if refine:
        encoded = method.encoder.encode_per_image(image, point, subsampling, args.per_image_steps)
    else:
        encoded = method.encoder.encode(edited, point, subsampling)
    plain = method.encoder.encode(image, point, subsampling) if method.editor is not None or refine else encoded
    result = {"method": method.name, "output": args.output, method.point: point, **measure(image, encoded, use_lpips=not args.no_lpips)}
    # the comparison printed beside the result: the encoder alone, or the global (unrefined) model
    alone_name = f"{method.encoder.name}_alone" if method.editor is not None else f"{method.name}_global"
    if method.editor is not None or refine:
        alone = measure(image, plain, use_lpips=not args.no_lpips)
        result.update({f"{alone_name}_{k}": v for k, v in alone.items()})
    # written only now that everything succeeded: a failure leaves no output behind
    if args.save_edited:
        write_image(args.save_edited, edited)
    write_bytes(args.output, encoded)
    if args.json:
        print(json.dumps(result))
        return 0
    lp = f", LPIPS {result['lpips_alex']:.4f}" if "lpips_alex" in result else ""
    line = f"wrote {args.output}: {result['bpp']:.3f} bpp, PSNR {result['psnr_db']:.2f} dB{lp}"
    if method.editor is not None or refine:
        key = alone_name + "_"
        lp = f", LPIPS {result[key + 'lpips_alex']:.4f}" if key + "lpips_alex" in result else ""
        what = f"{method.encoder.name} alone" if method.editor is not None else "the global model, not refined,"
        line += f" ({what} at {method.point} {point}: {result[key + 'bpp']:.3f} bpp, {result[key + 'psnr_db']:.2f} dB{lp})"
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
    p.add_argument("--subsampling", choices=SUBSAMPLINGS,
                   help="chroma subsampling (default: 4:2:0, or the one a method writes, e.g. 4:4:4 for struempler)")
    p.add_argument("--checkpoint", help="editor weights (default: the shipped ones)")
    p.add_argument("--per-image-steps", type=int, default=0, dest="per_image_steps",
                   help="optimize for this image for N steps with the training loss: a pixel editor's edited "
                        "pixels (Talebi's Eq. 4), a learned coefficient editor's weights (Struempler's Sec. 4.8)")
    p.add_argument("--save-edited", metavar="PNG", dest="save_edited", help="also write the edited image before JPEG")
    p.add_argument("--no-lpips", action="store_true", help="skip LPIPS (it needs the ImageNet AlexNet weights)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_preedit)
