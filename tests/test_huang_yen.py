"""Huang & Yen's editor and its baselines: a palette of k colours, the U-Net's shapes and its
identity start, gradients through each simulator, the range bug's collapse, Shoda's
pseudo-contour suppression, checkpoints and registration."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from jpegtutor import registry
from jpegtutor.datasets import load_sample
from jpegtutor.diff import simulate
from jpegtutor.editors import huang_yen as hy
from jpegtutor.image import to_tensor
from jpegtutor.jpeg.color import rgb_to_ycbcr_libjpeg


@pytest.fixture(scope="module")
def crop():
    return load_sample("kodim23")[100:172, 200:290].copy()  # 72 x 90: not a multiple of 8


def _colours(image: torch.Tensor) -> int:
    return len(torch.unique(image.reshape(3, -1), dim=1).T)


def test_palette_has_k_colours_and_is_deterministic(crop):
    x = to_tensor(crop)
    for k in (2, 4, 6):
        reduced = hy.colour_reduce(x, k)
        assert reduced.shape == x.shape and _colours(reduced[0]) == k
    assert torch.equal(hy.colour_reduce(x, 4, seed=3), hy.colour_reduce(x, 4, seed=3))
    # each pixel goes to a colour near it: the reduction is better than one mean colour
    mean_only = ((x - x.mean((2, 3), keepdim=True)) ** 2).mean()
    assert ((hy.colour_reduce(x, 4) - x) ** 2).mean() < 0.5 * mean_only
    two = torch.zeros(1, 3, 16, 16)
    two[..., 8:] = 1.0
    assert torch.equal(hy.colour_reduce(two, 4), two)  # fewer colours than k: unchanged
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        hy.gmm_palette(np.zeros((10, 3)), 0)
    with pytest.raises(ValueError, match=r"image must be a \(B, 3, H, W\) tensor"):
        hy.colour_reduce(torch.zeros(3, 8, 8))


def test_unet_shapes_and_identity_start(crop):
    unet = hy.UNet()
    assert unet(torch.rand(2, 6, 32, 48)).shape == (2, 3, 32, 48)
    editor = hy.ColourReductionEditor()
    x = to_tensor(crop)
    with torch.no_grad():
        parts = editor.parts(x)
    assert parts["edited"].shape == x.shape  # 72 x 90 padded to 72 x 96 inside, cropped back
    # a new network starts near the identity: residual = tanh(original - reduced)
    assert torch.allclose(parts["residual"], torch.tanh(x - parts["reduced"]), atol=1e-6)
    assert float((parts["edited"] - x).abs().mean()) < 0.1 * float((parts["reduced"] - x).abs().mean())
    editor.unet.out.bias.data.fill_(10.0)  # tanh saturates, the clamp keeps [0, 1]
    with torch.no_grad():
        assert float(editor(x).min()) >= 0 and float(editor(x).max()) <= 1


@pytest.mark.parametrize("simulator", hy.SIMULATORS)
def test_gradients_reach_the_unet_through_each_simulator(simulator):
    torch.manual_seed(0)
    editor, loss = hy.build(simulator)
    x = torch.rand(2, 3, 32, 32) * 0.5 + 0.25
    terms = loss(editor, x, torch.tensor([30.0, 50.0]))  # the quality is fixed at 10
    assert set(terms) >= {"loss", "l1", "vgg", "lpips", "real_lpips", "plain_lpips", "real_psnr_db"}
    terms["loss"].backward()
    assert float(editor.unet.out.weight.grad.abs().sum()) > 0
    assert editor.unet.down1[0].weight.grad is not None


def test_the_range_bug_destroys_the_image_and_the_others_do_not(crop):
    x = to_tensor(crop[:64, :64].copy())
    real = simulate(x, 10)
    error = {s: float(((hy.simulated_decode(x, 10, s) - x) ** 2).mean()) for s in hy.SIMULATORS}
    assert torch.equal(hy.simulated_decode(x, 10, "exact"), real)
    assert error["smooth"] < 2 * float(((real - x) ** 2).mean())
    assert error["range-bug"] > 50 * error["exact"]  # hardly anything of the image survives
    with pytest.raises(ValueError, match="simulator must be one of"):
        hy.simulated_decode(x, 10, "kornia")


def test_guided_filter():
    rng = np.random.default_rng(0)
    guide = rng.uniform(0, 255, (40, 40))
    assert np.allclose(hy.guided_filter(guide, np.full((40, 40), 7.0)), 7.0)  # a constant stays
    assert np.allclose(hy.guided_filter(guide, guide, radius=2, eps=1e-6), guide, atol=1e-2)  # edges kept
    smoothed = hy.guided_filter(guide, guide, radius=2, eps=1e6)  # huge eps: a box filter
    assert smoothed.std() < 0.5 * guide.std()


def test_pseudo_contour_suppression_flattens_a_banded_sky_and_keeps_texture():
    h, w = 96, 128
    ramp = np.linspace(60, 200, w)[None, :].repeat(h, 0)
    banded = np.round(ramp / 35) * 35  # colour reduction's bands
    sky = np.stack([banded, banded, np.clip(banded + 30, 0, 255)], -1).astype(np.uint8)
    regions = hy.gradient_regions(rgb_to_ycbcr_libjpeg(sky)[..., 0])
    assert regions.max() >= 1 and (regions > 0).mean() > 0.1
    out = hy.suppress_pseudo_contours(sky)
    assert out.shape == sky.shape and out.dtype == np.uint8
    luma_in, luma_out = rgb_to_ycbcr_libjpeg(sky)[..., 0].astype(float), rgb_to_ycbcr_libjpeg(out)[..., 0].astype(float)
    assert np.abs(np.diff(luma_out, axis=1)).max() < 0.5 * np.abs(np.diff(luma_in, axis=1)).max()  # no hard steps
    noise = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    assert hy.gradient_regions(rgb_to_ycbcr_libjpeg(noise)[..., 0]).max() == 0
    assert np.array_equal(hy.suppress_pseudo_contours(noise), noise)
    with pytest.raises(ValueError):
        hy.suppress_pseudo_contours(noise[..., 0])


def test_training_checkpoint_loads_as_an_editor(tmp_path, crop):
    card = hy.train(tmp_path / "run", "quick", max_steps=2, echo=lambda *a, **k: None, limit_images=4, batch=2)
    assert card["steps"] == 2 and card["settings"]["qualities"] == (10, 10)
    editor = hy.load_editor(checkpoint=tmp_path / "run" / "huang-yen.pt")
    assert isinstance(editor, hy.ColourReductionEditor) and not editor.training
    edit = hy.load("huang-yen", tmp_path / "run" / "huang-yen.pt")
    image = crop[:40, :48].copy()
    out = edit(image, 10)
    assert out.shape == image.shape and out.dtype == np.uint8
    refined = edit(image, 10, per_image_steps=2, lr=0.02)
    assert not np.array_equal(out, refined)
    shoda = hy.load("huang-yen", tmp_path / "run" / "huang-yen.pt", contours=True)
    assert shoda(image, 10).shape == image.shape
    torch.save({"foo": torch.zeros(1)}, tmp_path / "foreign.pt")
    with pytest.raises(ValueError, match="does not hold a Huang & Yen editor"):
        hy.load_editor(checkpoint=tmp_path / "foreign.pt")


def test_methods_are_registered():
    for name in ("huang-yen", "shin-song", "shoda"):
        spec = registry.EDITORS[name]
        assert spec.trained_range == (10, 10)
        if spec.missing():
            with pytest.raises(RuntimeError, match=f"method {name!r} is not available here"):
                registry.get_method(name)
    assert registry.EDITORS["shin-song"].options["simulator"] == "cubic"
