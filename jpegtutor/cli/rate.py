"""``jpegtutor rate``: the exact size of a JPEG and every rate proxy (Part III)."""

from __future__ import annotations

import argparse

from .output import print_result


def _rate(args: argparse.Namespace) -> int:
    import torch

    from ..diff import dct_coefficients
    from ..image import read_image, to_tensor
    from ..jpeg.quant import tables_for_quality
    from ..rate import empirical_entropy_bits, image_rate, l1_proxy, log_proxy, struempler_regularizer

    image = read_image(args.input)
    rate = image_rate(image, args.quality, args.subsampling, args.optimize)
    result = {"input": str(args.input), "quality": args.quality, "subsampling": args.subsampling,
              "optimize": args.optimize, **rate.as_dict()}
    with torch.no_grad():
        coefficients = dct_coefficients(to_tensor(image), args.subsampling)
        tables = torch.from_numpy(tables_for_quality(args.quality)).float()[None]
        result["entropy_bits"] = float(empirical_entropy_bits(coefficients, tables))
        result["log_proxy"] = float(log_proxy(coefficients, tables))
        result["l1_proxy"] = float(l1_proxy(coefficients, tables))
        result["struempler_regularizer"] = float(struempler_regularizer(tables))
        try:
            from ..rate import load_pretrained

            result["density_bits"] = float(load_pretrained("density")(coefficients, tables))
            result["network_bits"] = float(load_pretrained("network")(coefficients, tables))
        except FileNotFoundError as exc:  # a checkout without trained proxies
            result["learned_proxies"] = f"unavailable: {exc}"
    return print_result(result, args)


def add(sub) -> None:
    p = sub.add_parser("rate", help="exact JPEG size of an image and every rate proxy")
    p.add_argument("input", help="image file")
    p.add_argument("--quality", type=int, required=True, help="1-100")
    p.add_argument("--subsampling", default="4:2:0", choices=["444", "422", "420", "4:4:4", "4:2:2", "4:2:0"])
    p.add_argument("--optimize", action="store_true", help="optimal Huffman tables")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_rate)

