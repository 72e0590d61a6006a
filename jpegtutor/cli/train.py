"""``jpegtutor train MODEL``: a registered editor's training recipe (no model is named here)."""

from __future__ import annotations

import json
import os


def _train(args) -> int:
    from .. import registry
    from ..train import parse_settings

    registry.method_names()
    recipes = {**{n: e for n, e in registry.ENCODERS.items() if e.train is not None},
               **{n: e for n, e in registry.EDITORS.items() if e.train is not None},
               **{n: d for n, d in registry.DECODERS.items() if d.train is not None}}
    trainable = sorted(recipes)
    spec = recipes.get(args.model)
    if spec is None or spec.train is None:
        raise ValueError(f"unknown model {args.model!r}; trainable: {', '.join(trainable)}")
    if args.profile not in spec.profiles:
        raise ValueError(f"--profile for {args.model} must be one of {list(spec.profiles)}, got {args.profile!r}")
    settings = parse_settings(args.set, spec.options)
    if args.checkpoint_every is not None:
        settings["checkpoint_every"] = args.checkpoint_every
    if args.resume and args.overwrite:
        raise ValueError("--resume continues the run in --out and --overwrite replaces it: give one of them")
    result = spec.train(args.out, args.profile, max_steps=args.max_steps, seed=args.seed, resume=args.resume,
                        overwrite=args.overwrite, **settings)
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps(result if not isinstance(result, dict) or "stages" not in result or "total_steps" not in result else
                         {"out": str(args.out), "seconds": result["seconds"], "steps": result["total_steps"]}))
    return 0


def add(sub) -> None:
    p = sub.add_parser("train", help="train a model of the book (tiny, and the editors of Part IV)")
    p.add_argument("model", help="a trainable method or decoder: tiny, talebi, struempler, ye, huang-yen, jeno, jdno, ...")
    p.add_argument("--profile", default="quick",
                   help="quick: minutes on a CPU; cpu (talebi): the longest run we make on 2 cores; full: the paper-scale GPU run")
    p.add_argument("--max-steps", type=int, dest="max_steps")
    p.add_argument("--out", required=True, help="run folder: config.json, log.jsonl, step-N.pt, final.pt")
    p.add_argument("--checkpoint-every", type=int, dest="checkpoint_every")
    p.add_argument("--resume", action="store_true", help="continue from the newest good checkpoint in --out")
    p.add_argument("--overwrite", action="store_true", help="replace a run already in --out (it is refused otherwise)")
    p.add_argument("--seed", type=int)
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="a recipe option (e.g. quality_weight=0.05) or a TrainConfig field (e.g. batch=16)")
    p.set_defaults(func=_train)
