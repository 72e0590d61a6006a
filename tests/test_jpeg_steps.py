"""Each libjpeg step is written once and runs three ways: NumPy integers (the codec), torch integers,
and float tensors with a floor function (the simulator). All three must agree to the integer, and the
codec built from them is byte/pixel identical to libjpeg (tests/test_jpeg_codec.py)."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from jpegtutor.diff.rounding import surrogate_floor
from jpegtutor.jpeg import color, quant, sampling
from jpegtutor.jpeg.reference import pillow_decode

RNG = np.random.default_rng(0)
FLOORS = {"torch.floor": torch.floor, "ste surrogate": lambda t: surrogate_floor(t, "ste")}


def _three_ways(step, *planes):
    """``step(*planes, floor=None)`` on NumPy, on torch int64 and on float32 tensors with each floor."""
    numpy_out = step(*planes)
    torch_out = step(*(torch.from_numpy(p) for p in planes))
    float_outs = {name: step(*(torch.from_numpy(p).float().requires_grad_() for p in planes), floor=f)
                  for name, f in FLOORS.items()}
    return numpy_out, torch_out, float_outs


def _agree(numpy_out, torch_out, float_outs):
    numpy_out = numpy_out if isinstance(numpy_out, tuple) else (numpy_out,)
    torch_out = torch_out if isinstance(torch_out, tuple) else (torch_out,)
    for i, expected in enumerate(numpy_out):
        assert np.array_equal(torch_out[i].numpy(), expected)
        for name, out in float_outs.items():
            out = out if isinstance(out, tuple) else (out,)
            assert np.array_equal(out[i].detach().numpy(), expected.astype(np.float32)), name


@pytest.mark.parametrize("size", [(1, 1), (3, 5), (16, 17)])
def test_colour_conversion_both_ways(size):
    rgb = [RNG.integers(0, 256, size).astype(np.int64) for _ in range(3)]
    rgb[0][0, 0], rgb[1][0, 0], rgb[2][0, 0] = 255, 255, 255  # the extremes keep float32 exact
    _agree(*_three_ways(color.rgb_to_ycbcr_planes, *rgb))
    ycc = [RNG.integers(0, 256, size).astype(np.int64) for _ in range(3)]
    _agree(*_three_ways(color.ycbcr_to_rgb_planes, *ycc))


def test_tensor_colour_forms_equal_the_plane_forms():
    """The simulator's one-matrix-product colour conversions give libjpeg's integers exactly (random 8-bit values)."""
    rng = np.random.default_rng(0)
    rgb = torch.from_numpy(rng.integers(0, 256, (4, 3, 64, 64))).double()
    rgb[0, :, 0, :3] = torch.tensor([[0.0, 255.0, 128.0]] * 3)  # extremes included
    for dtype in (torch.float32, torch.float64):
        x = rgb.to(dtype)
        planes = torch.stack(color.rgb_to_ycbcr_planes(x[:, 0], x[:, 1], x[:, 2], torch.floor), 1)
        assert torch.equal(color.rgb_to_ycbcr_tensor(x, torch.floor), planes)
        y, cb, cr = x.unbind(1)
        assert torch.equal(color.ycbcr_to_rgb_tensor(y, cb, cr, torch.floor),
                           torch.stack(color.ycbcr_to_rgb_planes(y, cb, cr, torch.floor), 1))


@pytest.mark.parametrize("fh, fv", [(1, 1), (2, 1), (2, 2)])
@pytest.mark.parametrize("width", [1, 2, 7, 16])
def test_downsampling(fh, fv, width):
    plane = RNG.integers(0, 256, (2 * fv, width)).astype(np.int64)
    out_width = 8 * -(-(-(-width // fh)) // 8)

    def step(p, floor=None):
        return sampling.downsample_libjpeg(p, fh, fv, out_width, floor=floor)

    _agree(*_three_ways(step, plane))


@pytest.mark.parametrize("fh, fv", [(1, 1), (2, 1), (2, 2), (1, 2)])
@pytest.mark.parametrize("width", [1, 2, 3, 9])  # 1-2 samples wide: libjpeg replicates
def test_upsampling(fh, fv, width):
    plane = RNG.integers(0, 256, (3, width)).astype(np.int64)

    def step(p, floor=None):
        return sampling.upsample_libjpeg(p, fh, fv, 3 * fv, width * fh, floor=floor)

    _agree(*_three_ways(step, plane))


def test_narrow_components_replicate_on_torch_as_on_numpy():
    """Components 1-2 samples wide (images 1-4 px wide in 4:2:0) were a dead torch branch once."""
    plane = np.array([[10, 200], [30, 40]], dtype=np.int64)
    expected = np.repeat(np.repeat(plane, 2, axis=0), 2, axis=1)
    assert np.array_equal(sampling.upsample_libjpeg(plane, 2, 2, 4, 4), expected)
    assert np.array_equal(sampling.upsample_libjpeg(torch.from_numpy(plane), 2, 2, 4, 4).numpy(), expected)


@pytest.mark.parametrize("width", [1, 2, 3, 4, 5])
def test_narrow_images_decode_as_libjpeg_through_the_simulator(width):
    from jpegtutor.diff import simulate
    from jpegtutor.image import to_tensor

    image = RNG.integers(0, 256, (9, width, 3)).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=60, subsampling=2)
    libjpeg = pillow_decode(buffer.getvalue())
    ours = simulate(to_tensor(image), 60, subsampling="4:2:0")
    assert np.array_equal((ours[0] * 255).round().byte().permute(1, 2, 0).numpy(), libjpeg)


def test_teaching_quantizer_rounds_halves_away_from_zero_like_the_encoder():
    table = np.full((8, 8), 2)
    coefficients = np.zeros((8, 8))
    coefficients[0, :4] = [1.0, 3.0, -1.0, -5.0]  # ratios 0.5, 1.5, -0.5, -2.5
    assert quant.quantize(coefficients, table)[0, :4].tolist() == [1, 2, -1, -3]  # np.round gives 0, 2, -0, -2
