"""``jpegtutor encode | decode | inspect``: the real codec of Part I."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

def _encode(args: argparse.Namespace) -> int:

    from ..files import write_bytes
    from ..image import read_image
    from ..jpeg import encode

    qtables = None
    if args.qtables:
        try:
            qtables = json.loads(Path(args.qtables).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"--qtables {args.qtables}: cannot read a JSON list of 8x8 tables ({exc})") from exc
    image = read_image(args.input, mode="L" if args.grey else "auto")  # a greyscale file stays greyscale
    quality = None if qtables is not None else args.quality
    data = encode(image, quality, args.subsampling, args.optimize, qtables=qtables, exact=args.mode == "exact")
    write_bytes(args.output, data)
    h, w = image.shape[:2]
    print(f"wrote {args.output}: {len(data):,} bytes, {8 * len(data) / (h * w):.4f} bpp ({w}x{h})")
    return 0


def _decode(args: argparse.Namespace) -> int:

    from ..image import write_image
    from ..jpeg import decode

    data = Path(args.input).read_bytes()
    if args.decoder == "libjpeg":
        image = decode(data, strict=args.strict)  # damage: repaired as libjpeg does, with warnings
    else:
        from .. import registry

        image = registry.get_decoder(args.decoder).decode(data)
    write_image(args.output, image)
    print(f"wrote {args.output}: {image.shape[1]}x{image.shape[0]}")
    return 0


def _inspect(args: argparse.Namespace) -> int:

    from ..jpeg import inspect

    info = inspect(Path(args.input).read_bytes())
    if args.json:
        print(json.dumps(info))
        return 0
    if not info["decoded"]:
        print(f"{args.input}: {info['width']}x{info['height']}, {info['file_bytes']:,} bytes, {info['bpp']:.4f} bpp, "
              f"{info['frame']}, {info['precision']}-bit, {info['scans']} scan(s); not decoded: {info['why_not_decoded']}")
        for c in info["components"]:
            print(f"  id {c['id']}: sampling {c['h']}x{c['v']}, quantization table {c['qtable']}")
        print("segments:")
        for seg in info["segments"]:
            print(f"  {seg['marker']:20s} at {seg['offset']:8d}  {seg['length']:8d} bytes")
        return 0
    print(f"{args.input}: {info['width']}x{info['height']}, {info['file_bytes']:,} bytes, {info['bpp']:.4f} bpp, "
          f"{info['frame']}{', JFIF' if info['jfif'] else ''}")
    print("segments:")
    for seg in info["segments"]:
        print(f"  {seg['marker']:20s} at {seg['offset']:8d}  {seg['length']:8d} bytes")
    print("components:")
    for c in info["components"]:
        print(f"  id {c['id']}: sampling {c['h']}x{c['v']}, quantization table {c['qtable']}, "
              f"{c['bits']:,} bits ({c['bpp']:.4f} bpp)")
    print(f"headers: {info['header_bytes']:,} bytes; entropy-coded data: {info['entropy_bytes']:,} bytes "
          f"(of which {info['padding_and_stuffing_bits']} bits padding and byte stuffing)")
    for tid, table in info["qtables"].items():
        print(f"quantization table {tid}:")
        for row in table:
            print("  " + " ".join(f"{v:3d}" for v in row))
    for h in info["huffman"]:
        print(f"Huffman {h['class']}{h['id']}: {h['symbols']} symbols, longest code {h['max_code_length']} bits")
    if info["restart_interval"]:
        print(f"restart interval: {info['restart_interval']} MCUs")
    return 0


def add(sub) -> None:
    p = sub.add_parser("encode", help="encode an image to JPEG (byte-identical to libjpeg/Pillow by default)")
    p.add_argument("input", help="image file (PNG, ...)")
    p.add_argument("output", help="output .jpg")
    p.add_argument("--quality", type=int, default=75, help="1-100 (default 75)")
    p.add_argument("--subsampling", default=None, choices=["444", "422", "420", "4:4:4", "4:2:2", "4:2:0"],
                   help="chroma subsampling (default: as Pillow, 4:2:0 for colour; greyscale files are written greyscale)")
    p.add_argument("--optimize", action="store_true", help="optimized Huffman tables")
    p.add_argument("--qtables", help="JSON file with a list of 8x8 integer tables (1-255, natural order)")
    p.add_argument("--mode", choices=["exact", "teaching"], default="exact",
                   help="exact: libjpeg's integer arithmetic (default); teaching: the float textbook path")
    p.add_argument("--grey", action="store_true", help="encode a colour image as a greyscale JPEG (its luma)")
    p.set_defaults(func=_encode)

    p = sub.add_parser("decode", help="decode a JPEG to PNG (pixel-identical to libjpeg/Pillow, damaged files too)")
    p.add_argument("input", help=".jpg file")
    p.add_argument("output", help="output .png (or .bmp, .tif, .ppm: a lossless format)")
    p.add_argument("--strict", action="store_true", help="refuse a damaged file instead of repairing it as libjpeg does")
    p.add_argument("--decoder", default="libjpeg",
                   help="libjpeg (our pixel-identical decoder, default) or a registered neural decoder: jdno, jdno-cnn")
    p.set_defaults(func=_decode)

    p = sub.add_parser("inspect", help="markers, tables, sampling factors and bits per component of a JPEG")
    p.add_argument("input", help=".jpg file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_inspect)

