"""Quantization-table methods: published tables read back, table order in the file, Q_psi's bank."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from jpegtutor import jpeg, registry
from jpegtutor.datasets import load_sample
from jpegtutor.jpeg.zigzag import ZIGZAG
from jpegtutor.tables import encode_with_tables, published, qpsi


@pytest.fixture(scope="module")
def image():
    return load_sample("kodim23")[:72, :88].copy()


@pytest.fixture(scope="module")
def odd_tables():
    rng = np.random.default_rng(1)
    return rng.integers(1, 256, (2, 8, 8)).astype(np.int32)  # no symmetry: an order mistake shows


@pytest.mark.parametrize("subsampling", ["4:2:0", "4:4:4"])
def test_tables_reach_the_file_in_natural_order(image, odd_tables, subsampling):
    data = encode_with_tables(image, odd_tables, subsampling)
    assert data == jpeg.encode(image, None, subsampling, optimize=True, qtables=odd_tables)  # Pillow = our codec
    assert np.array_equal(published.tables_of_file(data), odd_tables)
    assert np.array_equal(jpeg.read_coefficients(data).tables[:2], odd_tables)


def test_zigzag_ordered_tables_are_the_classic_trap(image, odd_tables):
    zigzagged = odd_tables.reshape(2, 64)[:, ZIGZAG].reshape(2, 8, 8)  # the order the DQT segment uses
    wrong = published.tables_of_file(encode_with_tables(image, zigzagged, "4:4:4"))
    assert not np.array_equal(wrong, odd_tables)  # handed over in zigzag order, the tables land scrambled


def test_annex_k_and_scaling(image):
    base = np.stack([jpeg.quant.STD_LUMA, jpeg.quant.STD_CHROMA])
    for q in (1, 10, 50, 75, 100):
        assert np.array_equal(published.scaled(base, q), published.annex_k(q))
    data = encode_with_tables(image, published.annex_k(75), "4:2:0")
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=75, optimize=True)
    assert data == buffer.getvalue()  # Annex K tables = libjpeg at that quality
    with pytest.raises(ValueError, match="base set is"):
        published.scaled(np.zeros((2, 8, 8)), 50)


def test_mozjpeg_base_sets_read_back():
    if registry.get_encoder("tables-imagemagick").missing():
        pytest.skip(registry.get_encoder("tables-imagemagick").missing())
    assert np.array_equal(published.mozjpeg_base(0), published.annex_k(50))  # set 0 is Annex K
    assert (published.mozjpeg_base(1) == 16).all()  # set 1 is flat
    for index in published.MOZJPEG_SETS:
        base = published.mozjpeg_base(index)
        assert base.shape == (2, 8, 8) and base.min() >= 1
        assert published.scaled(base, 50).max() <= 255  # clipped for a baseline file
    with pytest.raises(ValueError, match="numbered 0-8"):
        published.mozjpeg_base(9)


def test_jpegli_tables_are_those_of_its_files(image):
    if registry.get_encoder("tables-jpegli").missing():
        pytest.skip(registry.get_encoder("tables-jpegli").missing())
    tables = published.jpegli_tables(60)
    assert tables.shape == (2, 8, 8) and 1 <= tables.min() and tables.max() <= 255
    jpegli = registry.get_encoder("jpegli").encode(image, 60, "4:2:0")
    assert np.array_equal(published.tables_of_file(jpegli), tables)
    ours = registry.get_encoder("tables-jpegli").encode(image, 60, "4:2:0")
    assert np.array_equal(published.tables_of_file(ours), tables) and ours != jpegli


def test_qpsi_bank_shapes_range_and_gradients():
    bank = qpsi.QPsiBank(lambdas=(1e-4, 1e6))
    tables = bank().detach()
    assert tables.shape == (2, 2, 8, 8) and float(tables.min()) > 1 and float(tables.max()) < 255
    images = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    out = qpsi.QPsiLoss()(bank, images)
    out["loss"].backward()
    assert bank.weight.grad.abs().sum(dim=(1, 2)).min() > 0 and bank.bias.grad.abs().sum(dim=1).min() > 0
    # a tiny lambda wants coarser tables (less 1/Q), a huge one finer (less distortion): the mean
    # gradient on the logits points the opposite ways
    assert bank.bias.grad[0].mean() < 0 < bank.bias.grad[1].mean()
    with pytest.raises(ValueError, match="lambdas must be"):
        qpsi.QPsiBank(lambdas=(0.0,))


def test_qpsi_integer_tables_and_lookup_table():
    bank = qpsi.QPsiBank(lambdas=(1.0, 2.0, 3.0))
    with torch.no_grad():
        bank.bias.zero_()
        bank.weight.zero_()
        bank.bias[0, 0] = 2.0
    integer = qpsi.integer_tables(bank)
    expected = np.floor(254 / (1 + np.exp(-2.0)) + 1 + 0.5)
    assert integer.dtype == np.int32 and integer[0, 0, 0, 0] == expected and integer[1, 0, 0, 0] == 128  # 254/2 + 1 = 128
    lut, groups = qpsi.distinct_tables(integer, [1.0, 2.0, 3.0])
    assert len(lut) == 2 and groups == [[1.0], [2.0, 3.0]]  # the repeated pair merged; the coarser one first
    assert (1.0 / lut[0]).sum() < (1.0 / lut[1]).sum()


def test_qpsi_method_writes_its_tables(image):
    spec = registry.get_encoder("qpsi")
    if spec.missing():
        pytest.skip(spec.missing())
    from jpegtutor.tables import lookup_table

    lut = lookup_table("qpsi")["tables"]
    for index in (1, len(lut)):
        assert np.array_equal(published.tables_of_file(spec.encode(image, index, "4:2:0")), np.asarray(lut[index - 1]))
    with pytest.raises(ValueError, match="index must be an integer from 1 to"):
        spec.encode(image, len(lut) + 1, "4:2:0")


def test_search_counts_real_bits_and_lowers_its_cost(image):
    from jpegtutor.tables import search

    crop = image[:32, :48].copy()
    problem = search.TableProblem.of(crop, "4:2:0")
    start = published.annex_k(50)
    assert problem.bits_per_pixel(start) == len(encode_with_tables(crop, start, "4:2:0")) * 8 / (32 * 48)  # exact
    decoded = np.asarray(Image.open(io.BytesIO(encode_with_tables(crop, start, "4:2:0"))).convert("RGB"), float)
    assert problem.distortion(start) == pytest.approx(((decoded - crop) ** 2).mean(), rel=0.2)  # the DCT-domain estimate
    result = search.search_tables(problem, 200.0, start=start, sweeps=1)
    before = problem.distortion(start) + 200.0 * problem.bits_per_pixel(start)
    assert result["cost"] < before and result["history"][-1] == result["cost"]
    tables = result["tables"]
    assert tables.shape == (2, 8, 8) and tables.min() >= 1 and tables.max() <= 255
    assert result["bpp"] == problem.bits_per_pixel(tables)
    assert result["distortion"] == pytest.approx(problem.distortion(tables))  # the incremental bookkeeping is right
    with pytest.raises(ValueError, match="all of one size"):
        search.TableProblem.of([crop, crop[:16]])
    with pytest.raises(ValueError, match="distortion must be one of"):
        search.search_tables(problem, 1.0, distortion="lpips")


def test_per_image_tables_method_writes_the_searched_pair(image):
    from jpegtutor.tables import per_image_tables

    crop = image[:32, :32].copy()
    spec = registry.get_encoder("tables-per-image")
    lam = spec.points[0]
    data = spec.encode(crop, lam, "4:4:4")
    assert np.array_equal(published.tables_of_file(data), per_image_tables(crop, lam, "4:4:4"))
    assert Image.open(io.BytesIO(data)).layer[0][1:3] == (1, 1)  # 4:4:4 as asked


def test_table_predictor_starts_at_the_global_pair_and_stays_in_range(image):
    from jpegtutor.tables import predict, searched_pair

    features = predict.image_features(image, 100.0, "4:2:0")
    assert features.shape == (predict.FEATURES,) and np.isfinite(features).all()
    assert features[-1] == pytest.approx(np.log(100.0))
    flat = image.copy()
    flat[:] = 128
    assert np.allclose(predict.image_features(flat, 100.0)[1:64], 0)  # no AC energy in a flat image
    model = predict.TablePredictor(8)
    glob = searched_pair(100.0)
    assert np.array_equal(predict.predicted_tables(image, 100.0, model=model, global_tables=glob), glob)  # untrained
    x = torch.from_numpy(np.stack([features, features]))
    out = model(x)
    assert out.shape == (2, 2, 8, 8)
    out.sum().backward()
    assert model.net[-1].weight.grad.abs().sum() > 0  # the last layer learns although it starts at zero
    with torch.no_grad():
        model.net[-1].bias.fill_(10.0)  # exp(10) * entry: clipped to the baseline maximum
    assert predict.predicted_tables(image, 100.0, model=model, global_tables=glob).max() == 255
    assert np.array_equal(predict.table_log_ratio(glob * 2, glob), np.full((2, 8, 8), np.log(2), np.float32))
    with pytest.raises(ValueError, match="no global searched tables for lambda 7"):
        searched_pair(7.0)


def test_predicted_tables_method_writes_the_predicted_pair(image):
    from jpegtutor.tables import predicted_tables

    spec = registry.get_encoder("tables-predicted")
    if spec.missing():
        pytest.skip(spec.missing())
    crop = image[:48, :64].copy()
    lam = spec.points[2]
    data = spec.encode(crop, lam, "4:2:0")
    assert np.array_equal(published.tables_of_file(data), predicted_tables(crop, lam, "4:2:0"))
