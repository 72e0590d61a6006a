"""How forgiving our decoder is, measured against libjpeg (Pillow) on a seeded corpus of damaged files.

    python -m jpegtutor.experiments.decoder_fuzz [--per-seed 1000] [--seed 20261201]   # data/results/decoder_fuzz.json

Three seed files (Pillow JPEGs of Kodak crops: q30 4:2:0 128x96; q85 4:4:4 optimized Huffman 96x80;
q60 4:2:2 with a restart marker every 4 MCUs, 112x80), each damaged ``per_seed`` times by one of:
1-8 byte flips, an insertion of 1-16 random bytes, a deletion of 1-64 bytes, a truncation, a
corrupted segment length, a marker byte swapped for another marker, a restart marker renumbered,
removed or repeated (in the seed that has them; the others get a flip, counted as one). Every file goes to Pillow
(``Image.open(...).load()``) and to :func:`jpegtutor.jpeg.decode` (libjpeg-style recovery, the
default). Reported per kind: how many files Pillow decodes, the share of those we decode too, and
the share of those that are pixel-identical (overall, and among files whose dequantized
coefficients stay within +-2047, where libjpeg-turbo's 16-bit SIMD inverse DCT does not overflow). A truncation Pillow refuses (it has no fake EOI) is
compared with the same file plus FF D9, which is what libjpeg itself (djpeg) decodes.
"""

from __future__ import annotations

import argparse
import io
import time
import warnings

import numpy as np
from PIL import Image

from .. import datasets
from ..jpeg import JPEGError, JPEGWarning, decode, read_coefficients
from . import write_result

__all__ = ["KINDS", "mutate", "run"]

KINDS = ("flip", "insert", "delete", "truncate", "length", "marker", "restart")


def _seeds() -> dict[str, bytes]:
    kodak = datasets.load("kodak", limit=23)
    out = {}
    for name, image, options in (("q30_420", kodak[22][150:246, 300:428], {"quality": 30, "subsampling": 2}),
                                 ("q85_444_opt", kodak[4][200:280, 300:396], {"quality": 85, "subsampling": 0, "optimize": True}),
                                 ("q60_422_rst4", kodak[18][300:380, 200:312], {"quality": 60, "subsampling": 1,
                                                                               "restart_marker_blocks": 4})):
        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(image)).save(buffer, "JPEG", **options)
        out[name] = buffer.getvalue()
    return out


def _segments(data: bytes) -> list[int]:
    """Offsets of the segment markers before the first scan's data."""
    offsets, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        offsets.append(pos)
        if data[pos + 1] == 0xDA:
            break
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    return offsets


def mutate(data: bytes, kind: str, rng: np.random.Generator) -> bytes:
    """One damaged copy of ``data``."""
    b = bytearray(data)
    n = len(b)
    if kind == "flip":
        for _ in range(int(rng.integers(1, 9))):
            b[int(rng.integers(2, n))] = int(rng.integers(0, 256))
    elif kind == "insert":
        at = int(rng.integers(2, n))
        b[at:at] = rng.bytes(int(rng.integers(1, 17)))
    elif kind == "delete":
        at = int(rng.integers(2, n - 2))
        del b[at:at + int(rng.integers(1, 65))]
    elif kind == "truncate":
        del b[int(rng.integers(2, n - 1)):]
    elif kind == "length":
        at = int(rng.choice(_segments(data)))
        value = int(rng.choice([0, 1, 2, 3, 0xFFFF, int(rng.integers(0, 0x10000)),
                                int.from_bytes(b[at + 2:at + 4], "big") + int(rng.choice([-4, 4]))])) & 0xFFFF
        b[at + 2:at + 4] = value.to_bytes(2, "big")
    elif kind == "restart":  # a restart marker renumbered, removed or repeated (files without one: a flip)
        spots = [i for i in range(len(b) - 1) if b[i] == 0xFF and 0xD0 <= b[i + 1] <= 0xD7]
        if not spots:
            return mutate(data, "flip", rng)
        at = int(rng.choice(spots))
        action = int(rng.integers(3))
        if action == 0:
            b[at + 1] = 0xD0 + int(rng.integers(8))
        elif action == 1:
            del b[at:at + 2]
        else:
            b[at:at] = b[at:at + 2]
    elif kind == "marker":
        at = int(rng.choice(_segments(data)))
        b[at + 1] = int(rng.choice([0xC0, 0xC2, 0xC4, 0xD0, 0xD9, 0xDA, 0xDB, 0xDD, 0xE0, 0xFE]))
    else:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return bytes(b)


def _pillow(data: bytes):
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return np.asarray(img.convert("RGB") if img.mode not in ("L", "RGB") else img)
    except Exception:  # Pillow refuses: OSError, SyntaxError, ValueError ...
        return None


def _ours(data: bytes):
    """Our decode and the largest dequantized coefficient (libjpeg-turbo's SIMD IDCT, which Pillow
    runs, overflows its 16-bit arithmetic beyond about +-2047: there no two IDCTs need agree)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", JPEGWarning)
            image, coefficients = decode(data), read_coefficients(data)
    except JPEGError:
        return None, 0
    extreme = max(int(np.abs(b.astype(np.int64) * coefficients.tables[t]).max())
                  for b, t in zip(coefficients.blocks, coefficients.table_of))
    return image, extreme


def run(per_seed: int = 1000, seed: int = 20261201, echo=print) -> dict:
    rng = np.random.default_rng(seed)
    counts = {k: {"files": 0, "pillow_decodes": 0, "we_decode_too": 0, "pixel_identical": 0, "we_decode_pillow_refuses": 0,
                  "in_idct_range": 0, "pixel_identical_in_idct_range": 0} for k in KINDS}
    differ = []
    start = time.perf_counter()
    slowest = 0.0
    for name, data in _seeds().items():
        for i in range(per_seed):
            kind = KINDS[i % len(KINDS)]
            if kind == "restart" and not any(data[j] == 0xFF and 0xD0 <= data[j + 1] <= 0xD7 for j in range(len(data) - 1)):
                kind = "flip"  # a seed without restart markers: counted as the flip it gets
            damaged = mutate(data, kind, rng)
            reference = _pillow(damaged)
            if reference is None and kind == "truncate":
                reference = _pillow(damaged + b"\xff\xd9")  # what libjpeg decodes from a file that ends early
            t0 = time.perf_counter()
            ours, extreme = _ours(damaged)
            slowest = max(slowest, time.perf_counter() - t0)
            c = counts[kind]
            c["files"] += 1
            if reference is None:
                c["we_decode_pillow_refuses"] += ours is not None
                continue
            c["pillow_decodes"] += 1
            if ours is None:
                continue
            c["we_decode_too"] += 1
            same = ours.shape == reference.shape and np.array_equal(ours, reference)
            c["pixel_identical"] += same
            if extreme <= 2047:
                c["in_idct_range"] += 1
                c["pixel_identical_in_idct_range"] += same
                if not same and len(differ) < 50:
                    differ.append({"seed": name, "index": i, "kind": kind})
    total = {k: sum(c[k] for c in counts.values()) for k in counts[KINDS[0]]}
    for c in [*counts.values(), total]:
        c["share_we_decode"] = c["we_decode_too"] / c["pillow_decodes"] if c["pillow_decodes"] else None
        c["share_identical"] = c["pixel_identical"] / c["we_decode_too"] if c["we_decode_too"] else None
        c["share_identical_in_idct_range"] = (c["pixel_identical_in_idct_range"] / c["in_idct_range"]
                                              if c["in_idct_range"] else None)
    result = {"per_seed": per_seed, "seed": seed, "kinds": counts, "total": total, "differing_examples": differ,
              "seconds": time.perf_counter() - start, "slowest_decode_seconds": slowest}
    for kind, c in counts.items():
        echo(f"{kind:9s} Pillow decodes {c['pillow_decodes']:5d}, we decode {c['share_we_decode'] or 0:6.1%}, "
             f"identical {c['share_identical'] or 0:6.1%} (coefficients within +-2047: {c['share_identical_in_idct_range'] or 0:6.1%})")
    echo(f"total     Pillow decodes {total['pillow_decodes']:5d}, we decode {total['share_we_decode']:6.1%}, "
         f"identical {total['share_identical']:6.1%} (within +-2047: {total['share_identical_in_idct_range']:6.1%})")
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jpegtutor.experiments.decoder_fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-seed", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--out", default="decoder_fuzz.json", help="under data/results/")
    args = parser.parse_args(argv)
    write_result(args.out, run(args.per_seed, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
