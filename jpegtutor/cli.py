"""The ``jpegtutor`` command. Each subcommand is a thin layer over a package function.

Commands (see DESIGN.md for the contract):

    jpegtutor encode IN OUT.jpg --quality Q [--subsampling 444|422|420] [--optimize] [--qtables T.json]
    jpegtutor decode IN.jpg OUT.png
    jpegtutor inspect IN.jpg [--json]
    jpegtutor book sync|check|build|list|execute
    jpegtutor data list|locate|verify
    jpegtutor metrics A B [--lpips alex|vgg] [--json]
    jpegtutor simulate IN OUT.png --quality Q [--subsampling S] [--mode exact|smooth] [--rounding R]
    jpegtutor bench diffjpeg [--compare kornia] [--device cpu|cuda] [--fidelity] [--json] [--out F]
    jpegtutor rate IN --quality Q [--subsampling S] [--optimize] [--json]
    jpegtutor eval --method M --dataset NAME|DIR [--qualities ...] [--baseline jpeg|F.json] [--json OUT] [--checkpoint C]
    jpegtutor train MODEL --profile quick|cpu|full --max-steps N --out DIR [--checkpoint-every K] [--resume] [--seed S]
    jpegtutor preedit EDITOR IN OUT.jpg --quality Q [--checkpoint C] [--per-image-steps N] [--save-edited PNG]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__


def _book(args: argparse.Namespace) -> int:
    from . import book

    if args.action == "sync":
        changed = book.sync(args.root)
        print("\n".join(f"wrote {p}" for p in changed) if changed else "_toc.yml and _config.yml are up to date")
        return 0
    if args.action == "check":
        problems = book.check(args.root)
        if problems:
            print(f"book check failed ({len(problems)} problem(s)):", file=sys.stderr)
            for p in problems:
                print(f"- {p}", file=sys.stderr)
            return 1
        manifest = book.load_manifest(args.root)
        print(f"book check passed: {len(manifest.ready)} ready chapter(s), "
              f"{len(manifest.chapters) - len(manifest.ready)} planned, generated files up to date")
        return 0
    if args.action == "list":
        manifest = book.load_manifest(args.root)
        for path in manifest.notebooks():
            print(path.relative_to(manifest.root).as_posix() if not args.absolute else path)
        return 0
    if args.action == "execute":
        timings = book.execute(args.root, args.chapters or None)
        print(f"executed {len(timings)} chapter(s) in {sum(timings.values()):.1f} s")
        return 0
    if args.action == "build":
        index = book.build(args.root)
        print(f"website written: {index}")
        return 0
    raise AssertionError(args.action)


def _data(args: argparse.Namespace) -> int:
    from . import data

    if args.action == "list":
        for info in data.DATASETS.values():
            try:
                where = str(data.locate(info.name, download=False))
            except data.DatasetNotFoundError:
                where = "not found"
            print(f"{info.name:14s} {info.count:4d} images  {where}\n    {info.description}")
        return 0
    if args.name is None:
        raise SystemExit("jpegtutor data locate|verify needs a dataset NAME")
    if args.action == "locate":
        print(data.locate(args.name))
        return 0
    if args.action == "verify":
        result = data.verify(args.name)
        bad = [f for f, ok in result.items() if not ok]
        print(f"{args.name}: {len(result) - len(bad)}/{len(result)} files match their SHA-256")
        for f in bad:
            print(f"  mismatch or missing: {f}", file=sys.stderr)
        return 1 if bad else 0
    raise AssertionError(args.action)


def _encode(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .image import read_image
    from .jpeg import encode

    qtables = None
    if args.qtables:
        try:
            qtables = json.loads(Path(args.qtables).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"--qtables {args.qtables}: cannot read a JSON list of 8x8 tables ({exc})") from exc
    image = read_image(args.input, mode="L" if args.grey else "RGB")
    quality = None if qtables is not None else args.quality
    data = encode(image, quality, args.subsampling, args.optimize, qtables=qtables, exact=args.mode == "exact")
    Path(args.output).write_bytes(data)
    h, w = image.shape[:2]
    print(f"wrote {args.output}: {len(data):,} bytes, {8 * len(data) / (h * w):.4f} bpp ({w}x{h})")
    return 0


def _decode(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .image import write_image
    from .jpeg import decode

    image = decode(Path(args.input).read_bytes())
    write_image(args.output, image)
    print(f"wrote {args.output}: {image.shape[1]}x{image.shape[0]}")
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .jpeg import inspect

    info = inspect(Path(args.input).read_bytes())
    if args.json:
        print(json.dumps(info))
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


def _simulate(args: argparse.Namespace) -> int:
    from .diff import simulate
    from .image import read_image, to_tensor, write_image

    out = simulate(to_tensor(read_image(args.input)), args.quality, subsampling=args.subsampling,
                   rounding=args.rounding, mode=args.mode)
    write_image(args.output, out[0].clamp(0, 1))
    print(f"wrote {args.output} ({args.mode} mode, quality {args.quality:g}, {args.subsampling})")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from .diff import bench
    from .jpeg.codec import normalize_subsampling

    result = {}
    if args.what == "train":
        from .train.bench import training_speed

        configs = tuple(c.strip() for c in args.configs.split(",")) if args.configs else None
        result = training_speed(args.device, args.batch, args.size or 128, args.steps, configs=configs)
        return _print_result(result, args)
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
    return _print_result(result, args)


def _print_result(result: dict, args: argparse.Namespace) -> int:
    """Print ``result`` as one JSON object (``--json``) or as aligned lines; write it to ``--out`` if given."""
    if getattr(args, "out", None):
        from pathlib import Path

        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:40s} {value:.2f}" if isinstance(value, float) else f"{key:40s} {value}")
    return 0


def _rate(args: argparse.Namespace) -> int:
    import torch

    from .diff import dct_coefficients
    from .image import read_image, to_tensor
    from .jpeg.quant import tables_for_quality
    from .rate import empirical_entropy_bits, image_rate, l1_proxy, log_proxy, struempler_regularizer

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
            from .rate.study import load_pretrained

            result["density_bits"] = float(load_pretrained("density")(coefficients, tables))
            result["network_bits"] = float(load_pretrained("network")(coefficients, tables))
        except FileNotFoundError as exc:  # a checkout without trained proxies
            result["learned_proxies"] = f"unavailable: {exc}"
    return _print_result(result, args)


def _eval(args: argparse.Namespace) -> int:
    from . import eval as evaluation
    from .diff.bench import parse_qualities

    result = evaluation.evaluate(args.method, args.dataset, parse_qualities(args.qualities), args.subsampling,
                                 args.baseline, use_lpips=not args.no_lpips, limit=args.limit,
                                 checkpoint=args.checkpoint, label=args.label)
    if args.json:
        from pathlib import Path

        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.json}")
    print(f"{'quality':>7s} {'bpp':>7s} {'PSNR':>7s} {'MS-SSIM':>8s} {'LPIPS':>7s}")
    for p in result["points"]:
        print(f"{p['quality']:7d} {p['bpp']:7.3f} {p['psnr_db']:7.2f} {p['ms_ssim']:8.4f} {p.get('lpips_alex', float('nan')):7.4f}")
    if "bd_rate_percent" in result:
        for name, value in result["bd_rate_percent"].items():
            print(f"BD-rate vs {result['baseline']} ({name}): " + (f"{value:+.2f} %" if isinstance(value, float) else value))
    return 0


def _preedit(args: argparse.Namespace) -> int:
    from pathlib import Path

    import torch

    from .editors.apply import edit
    from .image import read_image, to_tensor, write_image
    from .jpeg.reference import pillow_decode, pillow_encode
    from .metrics import lpips, psnr

    if args.per_image_steps < 0:
        raise ValueError(f"--per-image-steps must be >= 0, got {args.per_image_steps}")
    image = read_image(args.input)
    edited = edit(args.editor, image, args.quality, args.subsampling, args.checkpoint, args.per_image_steps)
    encoded = pillow_encode(edited, args.quality, args.subsampling)
    Path(args.output).write_bytes(encoded)
    if args.save_edited:
        write_image(args.save_edited, edited)
    h, w = image.shape[:2]
    x, y = to_tensor(image), to_tensor(pillow_decode(encoded))
    plain = pillow_encode(image, args.quality, args.subsampling)
    result = {"output": args.output, "bytes": len(encoded), "bpp": 8 * len(encoded) / (h * w),
              "psnr_db": float(psnr(y, x)), "jpeg_bytes": len(plain), "jpeg_bpp": 8 * len(plain) / (h * w),
              "jpeg_psnr_db": float(psnr(to_tensor(pillow_decode(plain)), x))}
    if min(h, w) >= 32:
        with torch.no_grad():
            result["lpips_alex"] = float(lpips(y, x))
            result["jpeg_lpips_alex"] = float(lpips(to_tensor(pillow_decode(plain)), x))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"wrote {args.output}: {result['bpp']:.3f} bpp, PSNR {result['psnr_db']:.2f} dB"
              + (f", LPIPS {result['lpips_alex']:.4f}" if "lpips_alex" in result else "")
              + f" (plain JPEG q{args.quality}: {result['jpeg_bpp']:.3f} bpp, {result['jpeg_psnr_db']:.2f} dB"
              + (f", LPIPS {result['jpeg_lpips_alex']:.4f})" if "jpeg_lpips_alex" in result else ")"))
    return 0


def _parse_value(text: str, like):
    if isinstance(like, tuple):
        return tuple(int(v) for v in text.split(","))
    if isinstance(like, bool):
        return text.lower() in ("1", "true", "yes", "on")
    if like is None:
        return None if text.lower() == "none" else int(text)
    return type(like)(text)


def _train_recipe(args: argparse.Namespace) -> int:
    """Models trained in several stages (the editors of Part IV): ``jpegtutor train talebi``."""
    import dataclasses
    import inspect

    from .editors import talebi
    from .train import TrainConfig

    if args.profile not in talebi.PROFILES:
        raise ValueError(f"--profile for talebi must be one of {sorted(talebi.PROFILES)}, got {args.profile!r}")
    weights = {k: v.default for k, v in inspect.signature(talebi.train).parameters.items()
               if k.endswith("_weight") or k in ("simulator", "quality_model")}
    fields = {f.name: f.default for f in dataclasses.fields(TrainConfig) if f.name not in ("model", "options", "init")}
    options = {}
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep or key not in {**weights, **fields}:
            raise ValueError(f"--set expects KEY=VALUE with KEY one of {sorted({**weights, **fields})}, got {item!r}")
        options[key] = _parse_value(value, {**weights, **fields}[key])
    card = talebi.train(args.out, args.profile, max_steps=args.max_steps, seed=args.seed or 0, resume=args.resume, **options)
    print(json.dumps({"checkpoint": str(Path(args.out) / talebi.CHECKPOINT), "seconds": card["seconds"],
                      "steps": card["total_steps"]}))
    return 0


def _train(args: argparse.Namespace) -> int:
    import dataclasses

    from .train import PROFILES, Trainer, TrainConfig

    if args.model == "talebi":
        return _train_recipe(args)
    if args.profile not in PROFILES:
        raise ValueError(f"--profile for {args.model} must be one of {sorted(PROFILES)}, got {args.profile!r}")
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    options = dict(PROFILES[args.profile])
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep or key not in fields:
            raise ValueError(f"--set expects KEY=VALUE with KEY one of {sorted(fields)}, got {item!r}")
        if key in ("options", "init"):
            raise ValueError(f"--set {key}=... is not supported on the command line; use the Python API")
        options[key] = _parse_value(value, TrainConfig.__dataclass_fields__[key].default)
    for key in ("max_steps", "checkpoint_every", "seed"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    config = TrainConfig(model=args.model, **options)
    last = Trainer(config, args.out, resume=args.resume).run()
    if int(__import__("os").environ.get("RANK", "0")) == 0:
        print(json.dumps(last))
    return 0


def _metrics(args: argparse.Namespace) -> int:
    from .image import read_image, to_tensor
    from .metrics import lpips, ms_ssim, psnr, psnr_y, ssim

    x, y = to_tensor(read_image(args.a)), to_tensor(read_image(args.b))
    if x.shape != y.shape:
        raise SystemExit(f"images differ in size: {args.a} is {tuple(x.shape[2:])}, {args.b} is {tuple(y.shape[2:])} (H, W)")
    result = {"psnr_db": float(psnr(x, y)), "psnr_y_db": float(psnr_y(x, y)), "ssim": float(ssim(x, y))}
    if min(x.shape[2:]) >= 161:
        result["ms_ssim"] = float(ms_ssim(x, y))
    for net in args.lpips:
        result[f"lpips_{net}"] = float(lpips(x, y, net=net))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:10s} {value:.4f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jpegtutor",
        description="Learned pre-editing for JPEG: the command line of the jpegtutor book and package.",
    )
    parser.add_argument("--version", action="version", version=f"jpegtutor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("book", help="keep the book in step with book.toml, execute chapters, build the website")
    p.add_argument("action", choices=["sync", "check", "build", "list", "execute"],
                   help="sync: write _toc.yml/_config.yml; check: fail on drift; build: the website; "
                        "list: notebooks under test; execute: re-run chapters (CPU, quick profile)")
    p.add_argument("chapters", nargs="*", help="(execute) chapter files or stems, default all ready chapters")
    p.add_argument("--root", default=None, help="folder with book.toml (default: found from the working directory)")
    p.add_argument("--absolute", action="store_true", help="(list) print absolute paths")
    p.set_defaults(func=_book)

    p = sub.add_parser("encode", help="encode an image to JPEG (byte-identical to libjpeg/Pillow by default)")
    p.add_argument("input", help="image file (PNG, ...)")
    p.add_argument("output", help="output .jpg")
    p.add_argument("--quality", type=int, default=75, help="1-100 (default 75)")
    p.add_argument("--subsampling", default="420", choices=["444", "422", "420", "4:4:4", "4:2:2", "4:2:0"])
    p.add_argument("--optimize", action="store_true", help="optimized Huffman tables")
    p.add_argument("--qtables", help="JSON file with a list of 8x8 integer tables (1-255, natural order)")
    p.add_argument("--mode", choices=["exact", "teaching"], default="exact",
                   help="exact: libjpeg's integer arithmetic (default); teaching: the float textbook path")
    p.add_argument("--grey", action="store_true", help="encode as a greyscale JPEG")
    p.set_defaults(func=_encode)

    p = sub.add_parser("decode", help="decode a JPEG to PNG (pixel-identical to libjpeg/Pillow)")
    p.add_argument("input", help=".jpg file")
    p.add_argument("output", help="output .png")
    p.set_defaults(func=_decode)

    p = sub.add_parser("inspect", help="markers, tables, sampling factors and bits per component of a JPEG")
    p.add_argument("input", help=".jpg file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_inspect)

    p = sub.add_parser("simulate", help="JPEG through the differentiable simulator (exact = libjpeg's pixels)")
    p.add_argument("input", help="image file")
    p.add_argument("output", help="output .png")
    p.add_argument("--quality", type=float, required=True, help="1-100")
    p.add_argument("--subsampling", default="420", choices=["444", "422", "420", "4:4:4", "4:2:2", "4:2:0"])
    p.add_argument("--mode", choices=["exact", "smooth"], default="exact")
    p.add_argument("--rounding", default="ste", choices=["hard", "ste", "cubic", "cubic-ste", "noise", "soft"])
    p.set_defaults(func=_simulate)

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

    p = sub.add_parser("rate", help="exact JPEG size of an image and every rate proxy")
    p.add_argument("input", help="image file")
    p.add_argument("--quality", type=int, required=True, help="1-100")
    p.add_argument("--subsampling", default="4:2:0", choices=["444", "422", "420", "4:4:4", "4:2:2", "4:2:0"])
    p.add_argument("--optimize", action="store_true", help="optimal Huffman tables")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_rate)

    p = sub.add_parser("eval", help="rate-distortion evaluation with real files (bpp, PSNR, SSIM, MS-SSIM, LPIPS, BD-rate)")
    p.add_argument("--method", default="jpeg", help="jpeg, jpeg-optimized, or a registered editor")
    p.add_argument("--dataset", default="kodak", help="dataset name or image folder")
    p.add_argument("--qualities", default="5,10,20,30,40,50,60,70,80,90", help="e.g. 5,10,50 or 5-95")
    p.add_argument("--subsampling", default="4:2:0", choices=["444", "422", "420", "4:4:4", "4:2:2", "4:2:0"])
    p.add_argument("--baseline", help="a method to compare with (evaluated in the same run) or an earlier results JSON")
    p.add_argument("--limit", type=int, help="only the first N images")
    p.add_argument("--no-lpips", action="store_true", help="skip LPIPS (needs the AlexNet weights)")
    p.add_argument("--json", metavar="OUT", help="write the full results (per image too) to OUT")
    p.add_argument("--checkpoint", help="an editor method's weights (default: the shipped ones)")
    p.add_argument("--label", help="the method's name in the results (default: --method)")
    p.set_defaults(func=_eval)

    p = sub.add_parser("preedit", help="edit an image with a trained pre-editor and write a standard JPEG")
    p.add_argument("editor", help="talebi")
    p.add_argument("input", help="image file (PNG, JPEG, ...)")
    p.add_argument("output", help="the JPEG to write")
    p.add_argument("--quality", type=int, required=True, help="JPEG quality 1-100 (the editor is conditioned on it)")
    p.add_argument("--subsampling", default="4:2:0", choices=["444", "422", "420", "4:4:4", "4:2:2", "4:2:0"])
    p.add_argument("--checkpoint", help="editor weights (default: the shipped data/checkpoints/<editor>.pt)")
    p.add_argument("--per-image-steps", type=int, default=0, dest="per_image_steps",
                   help="then optimize this image's pixels for N steps with the training loss (Eq. 4)")
    p.add_argument("--save-edited", metavar="PNG", dest="save_edited", help="also write the edited image before JPEG")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_preedit)

    p = sub.add_parser("train", help="train a model of the book (tiny, and the editors of Part IV)")
    p.add_argument("model", help="tiny, talebi")
    p.add_argument("--profile", choices=["quick", "cpu", "full"], default="quick",
                   help="quick: minutes on a CPU; cpu (talebi): the longest run we make on 2 cores; full: the paper-scale GPU run")
    p.add_argument("--max-steps", type=int, dest="max_steps")
    p.add_argument("--out", required=True, help="run folder: config.json, log.jsonl, step-N.pt, final.pt")
    p.add_argument("--checkpoint-every", type=int, dest="checkpoint_every")
    p.add_argument("--resume", action="store_true", help="continue from the newest good checkpoint in --out")
    p.add_argument("--seed", type=int)
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override any TrainConfig field, e.g. --set batch=16")
    p.set_defaults(func=_train)

    p = sub.add_parser("data", help="find and verify the datasets")
    p.add_argument("action", choices=["list", "locate", "verify"])
    p.add_argument("name", nargs="?", help="dataset name (kodak, live1, bsds500-test, train, lpips-check)")
    p.set_defaults(func=_data)

    p = sub.add_parser("metrics", help="compare two images: PSNR, PSNR-Y, SSIM, MS-SSIM, LPIPS")
    p.add_argument("a", help="reference image file")
    p.add_argument("b", help="distorted image file (same size)")
    p.add_argument("--lpips", nargs="*", default=["alex"], choices=["alex", "vgg"],
                   help="LPIPS backbones to compute (default: alex; none: --lpips)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_metrics)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as exc:
        print(f"jpegtutor {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
