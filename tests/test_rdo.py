"""RD-optimized quantization (jpeg.rdo): the dynamic programme is optimal, its files are standard JPEGs."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from PIL import Image

from jpegtutor import jpeg, registry
from jpegtutor.datasets import SAMPLES_DIR
from jpegtutor.jpeg import rdo
from jpegtutor.jpeg.encoders import libjpeg_encode
from jpegtutor.jpeg.huffman import block_symbols
from jpegtutor.jpeg.quant import quantize_libjpeg, tables_for_quality
from jpegtutor.jpeg.zigzag import to_zigzag


@pytest.fixture(scope="module")
def kodak_crop():
    """A 256 x 256 Kodak crop shipped with the package, cut to 100 x 120 to stay fast."""
    return np.asarray(Image.open(SAMPLES_DIR / "kodim03-x260-y120.png").convert("RGB"))[:100, :120].copy()


def _lagrangian(dct8, levels, table, lam, lengths):
    """J = D + lam * R per block, counted independently of the DP: D from the dequantized levels,
    R from the symbols the entropy coder emits (AC codes + extra bits; DC excluded)."""
    err = (np.asarray(dct8, float) / 8 - levels * table) ** 2
    d = err.reshape(len(levels), 64)[:, 1:].sum(axis=1)
    zz = to_zigzag(levels)
    n = len(levels)
    sym = block_symbols(zz, np.arange(n), np.zeros(n, int), np.zeros(n, int))  # each block its own component: DC diff irrelevant
    bits = np.where(sym.is_ac, lengths[sym.symbol] + sym.extra_len, 0)
    r = np.bincount(sym.block, weights=bits, minlength=n)
    return d + lam * r


def _sparse_blocks(rng, n=40, nonzero=4, table=None):
    """Blocks of libjpeg-scaled DCT coefficients with a few nonzero AC levels after rounding."""
    dct8 = np.zeros((n, 64))
    for b in range(n):
        where = rng.choice(np.arange(1, 64), size=nonzero, replace=False)
        dct8[b, where] = rng.normal(0, 3, size=nonzero) * 8 * table.reshape(64)[where]
    return np.round(dct8).astype(np.int64).reshape(n, 8, 8)


def test_trellis_is_optimal_against_brute_force():
    rng = np.random.default_rng(0)
    table = tables_for_quality(50)[0]
    dct8 = _sparse_blocks(rng, n=60, table=table)
    lengths = rng.integers(2, 16, size=256).astype(float)
    lengths[0xF0] = 16  # long runs of zeros cost a ZRL symbol each sixteen
    lam = rng.choice([10.0, 40.0, 160.0], size=len(dct8))
    for levels in ("threshold", "trellis"):
        got = rdo.quantize_blocks(dct8, table, lam, lengths, levels)
        j_got = _lagrangian(dct8, got, table, lam, lengths)
        rounded = quantize_libjpeg(dct8, table)
        for b in range(len(dct8)):
            nz = np.flatnonzero(rounded[b].reshape(64)[1:]) + 1
            options = []
            for p in nz:
                m = abs(int(rounded[b].reshape(64)[p]))
                smaller = [(1 << k) - 1 for k in range(1, 11) if (1 << k) - 1 < m] if levels == "trellis" else []
                options.append([0, m, *smaller])
            best = np.inf
            for combo in itertools.product(*options):
                trial = rounded[b].reshape(64).copy()
                trial[nz] = np.sign(trial[nz]) * np.array(combo, dtype=int)
                best = min(best, _lagrangian(dct8[b:b + 1], trial.reshape(1, 8, 8), table, lam[b:b + 1], lengths)[0])
            assert j_got[b] == pytest.approx(best, rel=1e-9), (levels, b)


def test_trellis_beats_rounding_and_thresholding_on_a_photo(kodak_crop):
    coefs = jpeg.codec.quantized_coefficients(kodak_crop, 30, "4:2:0")
    dct8 = jpeg.codec.dct_coefficients(kodak_crop, "4:2:0")[0].reshape(-1, 8, 8)
    table = coefs.tables[0]
    lengths = rdo.ac_code_lengths(coefs)[0]
    lam = np.full(len(dct8), rdo.table_lambda(table, rdo.DEFAULT_LAMBDA_SCALE))
    j = {name: _lagrangian(dct8, rdo.quantize_blocks(dct8, table, lam, lengths, name), table, lam, lengths)
         for name in ("threshold", "trellis")}
    j["round"] = _lagrangian(dct8, quantize_libjpeg(dct8, table), table, lam, lengths)
    assert (j["trellis"] <= j["threshold"] + 1e-6).all() and (j["threshold"] <= j["round"] + 1e-6).all()
    assert j["trellis"].sum() < 0.95 * j["round"].sum()


@pytest.mark.parametrize("name", ["rd-threshold", "trellis", "trellis-aq"])
def test_registered_files_are_standard_jpegs(name, kodak_crop):
    data = registry.get_method(name).encode(kodak_crop, 40, "4:2:0")
    pillow = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert pillow.shape == kodak_crop.shape
    assert np.array_equal(jpeg.decode(data), pillow)
    assert len(data) < len(libjpeg_encode(kodak_crop, 40, "4:2:0", optimize=True))
    stored = jpeg.read_coefficients(data)
    levels = "threshold" if name == "rd-threshold" else "trellis"
    chosen = rdo.rd_optimize(kodak_crop, 40, "4:2:0", levels, adaptive=rdo.DEFAULT_ADAPTIVE if name == "trellis-aq" else 0)
    assert all(np.array_equal(a, b) for a, b in zip(stored.blocks, chosen.blocks))


def test_zero_lambda_is_libjpeg_and_tiny_lambda_only_breaks_ties(kodak_crop):
    assert rdo.encode(kodak_crop, 60, "4:2:0", lambda_scale=0) == libjpeg_encode(kodak_crop, 60, "4:2:0", optimize=True)
    plain = jpeg.codec.quantized_coefficients(kodak_crop, 60, "4:2:0")
    tiny = rdo.rd_optimize(kodak_crop, 60, "4:2:0", lambda_scale=1e-9)
    for c, dct8 in enumerate(jpeg.codec.dct_coefficients(kodak_crop, "4:2:0")):
        table = plain.tables[plain.table_of[c]]
        err = [((dct8 / 8 - b * table) ** 2).sum() for b in (plain.blocks[c], tiny.blocks[c])]
        assert err[1] == pytest.approx(err[0], rel=1e-12)  # differences only where a coefficient sits on a half step


def test_adaptive_lambda_weights_follow_luma_activity(kodak_crop):
    dcts = jpeg.codec.dct_coefficients(kodak_crop, "4:2:0")
    weights = rdo._adaptive_weights(dcts, [(2, 2), (1, 1), (1, 1)], 0.5)
    assert [w.shape for w in weights] == [d.shape[:2] for d in dcts]
    activity = rdo.block_activity(dcts[0])
    busy, flat = np.unravel_index(activity.argmax(), activity.shape), np.unravel_index(activity.argmin(), activity.shape)
    assert weights[0][busy] > 1 > weights[0][flat]
    assert weights[0].min() >= 0.25 and weights[0].max() <= 4


@pytest.mark.parametrize("kwargs, message", [({"levels": "greedy"}, "levels must be"),
                                             ({"lambda_scale": -1.0}, "lambda_scale must be"),
                                             ({"lambda_scale": float("nan")}, "lambda_scale must be"),
                                             ({"passes": 0}, "passes must be")])
def test_bad_arguments_say_what_is_wrong(kwargs, message, kodak_crop):
    with pytest.raises(ValueError, match=message):
        rdo.rd_optimize(kodak_crop, 50, **kwargs)
