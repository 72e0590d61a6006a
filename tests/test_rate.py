"""Part III, rate: exact file sizes to the byte, and the rate proxies' contracts."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from jpegtutor.diff import dct_coefficients, quality_to_tables
from jpegtutor.image import read_image, to_tensor, write_image
from jpegtutor.jpeg import pillow_encode
from jpegtutor.jpeg.codec import quantized_coefficients
from jpegtutor.rate import (FactorizedDensity, RateNetwork, empirical_entropy_bits, exact_rate, image_rate, l1_proxy,
                            log_proxy, struempler_regularizer)


@pytest.fixture(scope="module")
def images(shared):
    kodak = read_image(shared / "data" / "kodak" / "kodim23.png")
    live1 = read_image(shared / "data" / "live1" / "cemetry.png")
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (40, 24, 3), dtype=np.uint8)  # dense high-frequency data: many 0xFF bytes
    return {"kodak": kodak, "crop": live1[:37, :51], "tiny": kodak[:1, :2], "noise": noise, "white": np.full((16, 24, 3), 255, np.uint8)}


@pytest.mark.parametrize("quality", [1, 10, 50, 90, 100])
def test_exact_rate_is_the_file_size_to_the_byte(images, quality):
    stuffed = 0
    for name, image in images.items():
        for subsampling in ("4:4:4", "4:2:2", "4:2:0"):
            for optimize in (False, True):
                rate = image_rate(image, quality, subsampling, optimize)
                assert rate.file_bytes == len(pillow_encode(image, quality, subsampling, optimize)), (name, subsampling, optimize)
                assert rate.file_bytes == rate.header_bytes + rate.entropy_bytes + 2
                assert 8 * rate.entropy_bytes == sum(rate.code_bits) + rate.padding_bits + 8 * rate.stuffed_bytes
                assert sum(rate.dc_bits) + sum(rate.ac_bits) == sum(rate.code_bits)
                assert sum(b.sum() for b in rate.block_bits) + rate.dummy_block_bits == sum(rate.code_bits)
                stuffed += rate.stuffed_bytes
    assert stuffed > 0  # the stuffing path was exercised


def test_exact_rate_of_greyscale_and_block_layout(images):
    grey = images["kodak"][:64, :80, 1]
    coefs = quantized_coefficients(grey, 30)
    rate = exact_rate(coefs)
    assert rate.file_bytes == len(pillow_encode(grey, 30))
    assert [b.shape for b in rate.block_bits] == [(8, 10)] and rate.dummy_block_bits == 0
    flat = quantized_coefficients(np.full((64, 64, 3), 128, np.uint8), 50)
    assert np.allclose(exact_rate(flat).block_bits[0][1:, 1:], exact_rate(flat).block_bits[0][1, 1])  # equal flat blocks


def _inputs(image, quality=50.0, requires_grad=True):
    x = to_tensor(image).requires_grad_(requires_grad)
    return x, dct_coefficients(x), quality_to_tables(torch.tensor([quality]))


def test_closed_form_proxies_have_image_gradients_and_check_inputs(images):
    x, coefficients, tables = _inputs(images["kodak"][:64, :64])
    for proxy in (log_proxy, l1_proxy):
        value = proxy(coefficients, tables)
        assert value.shape == (1,) and value.item() > 0
        (grad,) = torch.autograd.grad(value.sum(), x, retain_graph=True)
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    coarse = quality_to_tables(torch.tensor([10.0]))
    assert log_proxy(coefficients, coarse) < log_proxy(coefficients, tables)  # coarser tables, fewer bits
    with pytest.raises(TypeError, match="list"):
        log_proxy(coefficients[0], tables)
    with pytest.raises(ValueError, match="tables"):
        l1_proxy(coefficients, tables[:, :1])


def test_empirical_entropy_is_close_to_the_coded_bits(images):
    image = images["kodak"]
    _, coefficients, tables = _inputs(image, 50.0, requires_grad=False)
    bits = float(empirical_entropy_bits(coefficients, tables))
    coded = sum(image_rate(image, 50).code_bits)
    assert 0.6 * coded < bits < 1.2 * coded  # an ideal per-frequency coder vs JPEG's run-length Huffman code


def test_struempler_regularizer_gradient_and_values():
    tables = quality_to_tables(torch.tensor([20.0, 80.0])).detach().requires_grad_(True)
    value = struempler_regularizer(tables, attention=torch.full((2, 1, 8, 8), 0.5), alpha=2.0, beta=3.0)
    assert value.shape == (2,) and value[0] < value[1]  # finer tables cost more
    assert torch.allclose(value, 2.0 * (1 / tables).flatten(1).sum(1) + 1.5)
    value.sum().backward()
    assert (tables.grad < 0).all()
    with pytest.raises(ValueError, match="tables"):
        struempler_regularizer(torch.ones(2, 8, 8))


def test_factorized_density_is_a_probability_model():
    density = FactorizedDensity().eval()
    torch.manual_seed(0)
    for p in density.parameters():
        p.data += 0.1 * torch.randn_like(p)
    support = torch.arange(-300, 301, dtype=torch.float32).expand(64, -1)
    for component in range(3):
        probability = torch.exp2(-density.symbol_bits(component, support)).sum(1)
        assert torch.allclose(probability, torch.ones(64), atol=1e-3)


def test_learned_proxies_give_gradients_and_load(images):
    from jpegtutor.rate import load_pretrained

    x, coefficients, tables = _inputs(images["kodak"][:64, :64])
    for model in (FactorizedDensity().train(), RateNetwork(), load_pretrained("density"), load_pretrained("network")):
        value = model(coefficients, tables)
        assert value.shape == (1,) and value.item() > 0
        (grad,) = torch.autograd.grad(value.sum(), x, retain_graph=True)
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    with pytest.raises(ValueError, match="no learned proxy"):
        load_pretrained("nima")


def test_shipped_rate_network_predicts_unseen_images(shared):
    """Trained on `train/` crops only; LIVE1 images at three qualities within 25 % of the coded bits."""
    from jpegtutor.rate import features
    from jpegtutor.rate import load_pretrained

    network = load_pretrained("network")
    for name in ("bikes.png", "parrots.png"):
        image = read_image(shared / "data" / "live1" / name)
        for quality in (10, 50, 90):
            coefficients, tables, rate = features(image, quality)
            with torch.no_grad():
                predicted = float(network(coefficients, tables))
            assert abs(predicted - 8 * rate.entropy_bytes) < 0.25 * 8 * rate.entropy_bytes, (name, quality)


def test_training_writes_weights_and_cards(tmp_path):
    from jpegtutor.experiments.rate_proxies import train

    train(images=6, steps=2, batch=3, out=tmp_path, echo=lambda *a: None)
    for name in ("density", "network"):
        card = json.loads((tmp_path / f"{name}.json").read_text())
        assert card["steps"] == 2 and "command" in card
        assert (tmp_path / f"{name}.pt").stat().st_size > 1000


def test_cli_rate(tmp_path, images):
    write_image(tmp_path / "in.png", images["crop"])
    result = subprocess.run([sys.executable, "-m", "jpegtutor.cli", "rate", str(tmp_path / "in.png"), "--quality", "40",
                             "--subsampling", "422", "--optimize", "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    fields = json.loads(result.stdout)
    assert fields["file_bytes"] == len(pillow_encode(images["crop"], 40, "4:2:2", optimize=True))
    assert fields["bpp"] == pytest.approx(8 * fields["file_bytes"] / (37 * 51))
    for key in ("entropy_bits", "log_proxy", "l1_proxy", "struempler_regularizer", "density_bits", "network_bits"):
        assert fields[key] > 0


def test_gradient_test_edits_within_the_budget(images):
    from jpegtutor.experiments.rate_proxies import gradient_test

    result = gradient_test([np.ascontiguousarray(images["kodak"][:64, :64])], steps=4, psnr_db=40.0, lr=5e-3)
    assert result["struempler"] == {"file_size_change_percent": 0.0, "psnr_db": None}  # no image gradient, no edit
    for name in ("log", "l1", "density", "network"):
        assert result[name]["psnr_db"] >= 40.0 - 0.5, (name, result[name])  # the projection holds (8-bit rounding aside)
