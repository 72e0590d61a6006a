"""Where the time of one Talebi training step goes, on the reference and the fast path.

    python -m jpegtutor.experiments.train_profile [--batch 8] [--crop 64] [--repeats 7]

One step of the recipe's joint stage (smoother + transformer through Eq. 5: the exact simulator
with its coefficients, the soft simulator, VGG-16's conv1_2 distance, the no-reference term, the
factorized density; backward; Adam) is timed whole, and each part on its own (forward and backward,
on detached copies of its inputs), at the settings of the ``cpu`` profile. What the parts do not
add up to is autograd's bookkeeping and the loss's glue. Medians over ``repeats``; both paths
alternate within each repeat. Writes ``data/results/train/profile_talebi_cpu.json``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from ..train.bench import TrainingStep
from . import write_result

PARTS = ("editor", "exact simulator + coefficients", "soft simulator", "VGG distance", "no-reference quality",
         "rate (density)", "optimizer")


def _batch(batch: int, crop: int, seed: int = 0):
    from ..datasets import locate_or_samples
    from ..train.batches import CropDataset, StepBatches

    dataset = CropDataset(str(locate_or_samples("train")), crop, (8, 25), seed)
    return StepBatches(dataset, batch)[0]


class _Setup(TrainingStep):
    """The Talebi joint stage's training step on one path (as ``jpegtutor bench train`` runs it, with
    the trainer's gradient clipping), and its parts' timers."""

    def __init__(self, fast: bool, images, qualities):
        from ..editors.talebi.recipe import build

        super().__init__(build, fast, "cpu", images, qualities, lr=5e-4, grad_clip=1.0)

    def parts(self) -> dict:
        """Each part's forward + backward, in seconds, on inputs detached from the rest of the step."""
        from ..diff import simulate, simulate_with_coefficients

        terms, q, seconds = self.loss.terms, self.qualities, {}

        def timed(name, fn):
            start = time.perf_counter()
            fn()
            seconds[name] = time.perf_counter() - start

        def editor():
            with self.path.context():
                out = self.model(self.images, q)
            out.float().mean().backward()
            self.model.zero_grad(set_to_none=True)

        with self.path.context(), torch.no_grad():
            edited = self.model(self.images, q).float()
        timed("editor", editor)
        with torch.autocast("cpu", enabled=False), (self.path.context() if not self.path.fast else torch.enable_grad()):
            x = edited.detach().requires_grad_(True)

            def exact():
                decoded, coefficients = simulate_with_coefficients(x, q)
                (decoded.mean() + sum(c.mean() for c in coefficients)).backward()

            timed("exact simulator + coefficients", exact)
            timed("soft simulator", lambda: simulate(x, q, mode="smooth", rounding="soft").mean().backward())
            decoded, coefficients = simulate_with_coefficients(edited, q)
            d = decoded.detach().requires_grad_(True)

            features_autocast = torch.bfloat16 if self.path.bfloat16 else None  # as PreEditLoss runs them

            def distance():
                with torch.no_grad():
                    target = terms.feature_maps(self.images.float(), features_autocast)
                (terms.feature_maps(d, features_autocast) - target).abs().mean().backward()

            timed("VGG distance", distance)
            timed("no-reference quality", lambda: terms.quality_model(d).mean().backward())
            cs = [c.detach().requires_grad_(True) for c in coefficients]
            from ..diff import quality_to_tables

            timed("rate (density)", lambda: terms.density(cs, quality_to_tables(q)).mean().backward())

        def optimizer():
            for p in self.model.parameters():
                p.grad = torch.zeros_like(p)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)

        timed("optimizer", optimizer)
        return seconds


def conv_gflop(model: torch.nn.Module, *inputs) -> float:
    """Floating-point operations (multiply + add) of ``model``'s convolutions in one forward pass, in GFLOP."""
    total = [0.0]

    def count(module, _, output):
        per_output = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        total[0] += 2.0 * output.numel() * per_output

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return total[0] / 1e9


def profile(batch: int = 8, crop: int = 64, repeats: int = 7, warmup: int = 2) -> dict:
    images, qualities = _batch(batch, crop)
    setups = {"reference": _Setup(False, images, qualities), "fast": _Setup(True, images, qualities)}
    for setup in setups.values():
        for _ in range(warmup):
            setup.step()
            setup.parts()
    whole = {name: [] for name in setups}
    parts = {name: {p: [] for p in PARTS} for name in setups}
    for _ in range(repeats):
        for name, setup in setups.items():
            start = time.perf_counter()
            setup.step()
            whole[name].append(time.perf_counter() - start)
            for part, value in setup.parts().items():
                parts[name][part].append(value)
    result = {"batch": batch, "crop": crop, "repeats": repeats, "threads": torch.get_num_threads(),
              "torch": torch.__version__, "paths": {}}
    for name, setup in setups.items():
        ms = {p: 1000 * statistics.median(v) for p, v in parts[name].items()}
        step_ms = 1000 * statistics.median(whole[name])
        result["paths"][name] = {"describe": setup.path.describe(), "step_ms": step_ms, "images_per_s": batch * 1000 / step_ms,
                                 "parts_ms": ms, "other_ms": step_ms - sum(ms.values())}
    result["speedup"] = statistics.median(r / f for r, f in zip(whole["reference"], whole["fast"]))
    # forward + backward is about three forward passes (the input's and the weights' gradients)
    result["editor_forward_gflop"] = conv_gflop(setups["reference"].model, images, qualities)
    for path in result["paths"].values():
        path["editor_gflop_per_s"] = 3 * result["editor_forward_gflop"] / (path["parts_ms"]["editor"] / 1000)
    return result


def table(result: dict) -> str:
    """The profile as a text table: milliseconds and share of the step, per part and path."""
    paths = result["paths"]
    lines = [f"{'part':32s}" + "".join(f"{name:>22s}" for name in paths)]
    for part in (*PARTS, "other"):
        row = f"{part:32s}"
        for p in paths.values():
            ms = p["other_ms"] if part == "other" else p["parts_ms"][part]
            row += f"{ms:12.1f} ms {100 * ms / p['step_ms']:5.1f} %"
        lines.append(row)
    lines.append(f"{'whole step':32s}" + "".join(f"{p['step_ms']:12.1f} ms {p['images_per_s']:5.1f}/s" for p in paths.values()))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--crop", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    result = profile(args.batch, args.crop, args.repeats)
    print(table(result))
    print(f"fast / reference: {result['speedup']:.2f}x images/s (median of {args.repeats} paired repeats)")
    print("editor convolutions: " + ", ".join(f"{name} {p['editor_gflop_per_s']:.0f} GFLOP/s"
                                              for name, p in result["paths"].items()))
    write_result("train/profile_talebi_cpu.json", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
