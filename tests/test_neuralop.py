"""JPNeO (chapter 14): Galerkin attention, the raw-plane encoder path, JENO, JDNO and their baselines."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from jpegtutor import neuralop, registry
from jpegtutor.jpeg import component_planes, encode, encode_planes, pillow_decode, read_coefficients
from jpegtutor.jpeg.codec import sampling_factors
from jpegtutor.neuralop import recipe


def _pillow(image, quality, subsampling, optimize=True):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality, subsampling=subsampling, optimize=optimize)
    return buffer.getvalue()


def _photo(h=48, w=64, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 3.0, y * 4.0, (x + y) * 2.0], -1) + rng.normal(0, 12, (h, w, 3))
    return np.clip(base, 0, 255).astype(np.uint8)


def test_galerkin_attention_equals_the_direct_sum():
    gen = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 10, 4, generator=gen, dtype=torch.float64) for _ in range(3))
    direct = torch.zeros_like(q)
    for i in range(10):  # out_i = (1/n) sum_j (q_i . k_j) v_j
        for j in range(10):
            direct[:, :, i] += (q[:, :, i] * k[:, :, j]).sum(-1, keepdim=True) * v[:, :, j] / 10
    assert torch.allclose(neuralop.galerkin_attention(q, k, v), direct)
    with pytest.raises(ValueError, match="share one"):
        neuralop.galerkin_attention(q, k[..., :2], v)


def test_galerkin_operator_is_linear_in_tokens_and_starts_at_zero():
    op = neuralop.NeuralOperator(5, 2, width=16, heads=4, layers=2)
    x = torch.randn(1, 5, 7, 9)
    assert op(x).shape == (1, 2, 7, 9)
    assert torch.count_nonzero(op(x)) == 0  # zero-initialised last layer


@pytest.mark.parametrize("size", [(37, 53), (17, 9), (64, 48)])
@pytest.mark.parametrize("subsampling", ["4:2:0", "4:2:2", "4:4:4"])
def test_raw_planes_give_libjpegs_bytes(size, subsampling):
    image = _photo(*size)
    planes = [p.astype(np.uint8) for p in component_planes(image, sampling_factors(subsampling, 3))]
    assert encode_planes(planes, 30, subsampling, optimize=True, size=size) == _pillow(image, 30, subsampling)


def test_raw_planes_at_component_size_and_errors():
    image = _photo(32, 48)  # whole MCUs: the component-size planes are libjpeg's own
    planes = [p.astype(np.uint8) for p in component_planes(image, sampling_factors("4:2:0", 3))]
    cropped = [planes[0][:32, :48], planes[1][:16, :24], planes[2][:16, :24]]
    assert encode_planes(cropped, 50, "4:2:0") == encode(image, 50, "4:2:0")
    with pytest.raises(ValueError, match="plane Cb must be 24x16"):
        encode_planes([cropped[0], cropped[1][:, :20], cropped[2]], 50, "4:2:0")
    with pytest.raises(TypeError, match="plane Y must be a 2-D uint8"):
        encode_planes([cropped[0].astype(float), cropped[1], cropped[2]], 50)
    with pytest.raises(ValueError, match="list"):
        encode_planes(cropped[:2], 50)


def test_sampling_weights_sum_to_one_and_offsets_are_within_a_cell():
    z = torch.randn(1, 3, 8, 8)
    for value, offset, weight in neuralop.neighbours(z, (32, 32)):
        assert value.shape == (1, 3, 32, 32) and offset.abs().max() <= 1.0 + 1e-5
    total = sum(w for _, _, w in neuralop.neighbours(z, (32, 32)))
    assert torch.allclose(total, torch.ones_like(total))
    # a 2x2 block of full-resolution features read at its 4:2:0 chroma sample: the 4 pixels, equal weights
    parts = neuralop.neighbours(torch.arange(16.0).view(1, 1, 4, 4), (2, 2))
    assert sorted(float(v[0, 0, 0, 0]) for v, _, _ in parts) == [0.0, 1.0, 4.0, 5.0]
    assert all(torch.allclose(w, torch.full_like(w, 0.25)) for _, _, w in parts)


@pytest.mark.parametrize("cls", [neuralop.JENO, neuralop.ChromaCNN])
def test_jeno_shapes_start_gradients_and_files(cls):
    torch.manual_seed(0)
    model = cls()
    x = torch.rand(1, 3, 21, 30, requires_grad=True)  # odd sizes
    for subsampling, shape in (("4:2:0", (11, 15)), ("4:2:2", (21, 15))):
        out = model(x, subsampling)
        assert out.shape == (1, 2, *shape)
        assert torch.allclose(out, neuralop.box_subsample(neuralop.jeno.rgb_to_ycbcr(x)[:, 1:], subsampling))
    loss = recipe.JENOLoss()(model, torch.rand(2, 3, 32, 32), torch.tensor([4.0, 5.0]))
    loss["loss"].backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    image = _photo(37, 53)
    data = neuralop.encode_with(model, image, 75, "4:2:0")
    opened = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))  # any decoder reads it
    plain = pillow_decode(_pillow(image, 75, "4:2:0"))
    assert opened.shape == image.shape  # untrained: libjpeg's averaging, up to rounding of the chroma
    assert np.abs(opened.astype(int) - plain).mean() < 1.0


def test_jdno_reads_a_real_files_coefficients_and_tables():
    image = _photo(48, 64)
    data = _pillow(image, 20, "4:2:0")
    spectra = neuralop.spectra_from_file(data)
    coefs = read_coefficients(data)
    assert spectra.luma.shape == (1, 6, 8, 64) and spectra.cb.shape == (1, 3, 4, 64)
    assert torch.equal(spectra.tables[0, 0], torch.tensor(coefs.tables[0], dtype=torch.float32))
    # the training path (simulated, exact) gives the file's dequantized coefficients
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
    sim, _ = recipe.spectra_of(x, spectra.tables)
    for a, b in ((sim.luma, spectra.luma), (sim.cb, spectra.cb), (sim.cr, spectra.cr)):
        assert torch.equal(a, b)
    # an untrained network is an ordinary decoder: within rounding of libjpeg's pixels
    for cls in (neuralop.JDNO, neuralop.DecoderCNN):
        decoded = neuralop.decode_with(cls(), data)
        assert np.abs(decoded.astype(int) - pillow_decode(data)).mean() < 0.6


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:2", "4:2:0"])
def test_jdno_odd_sizes_and_gradients(subsampling):
    image = _photo(37, 45)
    data = _pillow(image, 30, subsampling)
    torch.manual_seed(0)
    model = neuralop.JDNO(channels=16, depth=2, heads=2, cosines=8, width=16, op_heads=2)
    assert neuralop.decode_with(model, data).shape == image.shape
    torch.nn.init.normal_(model.operator.project[-1].weight, std=0.1)  # past the zero start, as after a step
    loss = recipe.JDNOLoss()(model, torch.rand(2, 3, 32, 32), torch.tensor([1.0, 90.0]))  # a Q_psi pair too
    loss["loss"].backward()
    assert model.h_q.weight.grad is not None and model.h_q.weight.grad.abs().sum() > 0


def test_training_tables_mix_standard_and_qpsi():
    from jpegtutor.jpeg import tables_for_quality
    from jpegtutor.tables import lookup_table

    tables = recipe.training_tables(torch.tensor([1.0, 81.0, 82.0]))
    assert torch.equal(tables[0], torch.tensor(tables_for_quality(10), dtype=torch.float32))
    assert torch.equal(tables[1], torch.tensor(tables_for_quality(90), dtype=torch.float32))
    assert torch.equal(tables[2], torch.tensor(lookup_table("qpsi")["tables"][0], dtype=torch.float32))


def test_jdno_rejects_greyscale_files():
    data = encode(_photo(16, 16)[..., 0], 50)
    with pytest.raises(ValueError, match="colour"):
        neuralop.spectra_from_file(data)


def test_checkpoint_round_trip_and_registration(tmp_path):
    card = neuralop.train("jdno", tmp_path / "run", "quick", max_steps=2, echo=lambda *a: None,
                          channels=16, depth=2, heads=2, cosines=8, width=16, op_heads=2)
    assert card["steps"] == 2 and (tmp_path / "run" / "jdno.pt").is_file()
    again = neuralop.train("jdno", tmp_path / "run", "quick", max_steps=2, resume=True, echo=lambda *a: None,
                           channels=16, depth=2, heads=2, cosines=8, width=16, op_heads=2)
    assert again["wall_seconds"] == card["wall_seconds"]  # nothing left to do: the card keeps the real run's time
    assert "--max-steps 2" in card["command"]
    state = torch.load(tmp_path / "run" / "jdno.pt", weights_only=True)
    model = neuralop.JDNO(channels=16, depth=2, heads=2, cosines=8, width=16, op_heads=2)
    model.load_state_dict(state)
    assert "jdno" in registry.DECODERS and "jeno" in registry.ENCODERS
    assert registry.get_encoder("jeno").subsamplings == ("4:2:2", "4:2:0")


@pytest.mark.parametrize("subsampling", ["4:2:0", "4:2:2"])
def test_least_squares_chroma_beats_libjpegs_averaging_for_the_decoders_upsampling(subsampling):
    x = torch.from_numpy(_photo(40, 56, seed=3)).permute(2, 0, 1)[None].float() / 255
    ycc = neuralop.jeno.rgb_to_ycbcr(x)
    box = neuralop.box_subsample(ycc[:, 1:], subsampling)
    solved = neuralop.LeastSquaresChroma()(x, subsampling)
    assert solved.shape == box.shape and not solved.requires_grad

    def error(chroma):
        return float(((neuralop.reconstruct(ycc[:, :1], chroma) - x) ** 2).mean())
    assert error(solved) < 0.95 * error(box)  # the least-squares optimum of a linear upsampler (noise stays)
    assert torch.equal(neuralop.LeastSquaresChroma()(x, "4:4:4"), ycc[:, 1:])  # nothing to choose at full size


def test_chroma_planes_have_libjpegs_component_sizes_and_a_sweep_runs_the_network_once():
    image = _photo(37, 53)
    planes = neuralop.chroma_planes(neuralop.LeastSquaresChroma(5), image, "4:2:0")
    assert [p.shape for p in planes] == [(37, 53), (19, 27), (19, 27)] and all(p.dtype == np.uint8 for p in planes)
    encoder = registry.get_encoder("chroma-ls")
    files = [encoder.encode(image, q, "4:2:0") for q in (30, 80)]
    assert len(files[0]) < len(files[1])
    for data in files:
        assert np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).shape == image.shape
