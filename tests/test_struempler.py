"""Struempler et al.'s model: shapes, tables, gradients, and the file equals the simulator's exact forward."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from jpegtutor import jpeg
from jpegtutor.datasets import load_sample
from jpegtutor.diff import simulate


@pytest.fixture(scope="module")
def struempler(shared):  # the attention needs the ImageNet VGG-16 weights of ../shared/weights
    from jpegtutor.editors import struempler

    return struempler


@pytest.fixture(scope="module")
def image():
    return load_sample("kodim23")[:100, :120].copy()  # not a multiple of 8: the padding is exercised


def _model(struempler, scale=20.0, **options):
    torch.manual_seed(0)
    model = struempler.StruemplerModel(**options)
    if model.tables is not None:
        with torch.no_grad():
            model.tables.w.mul_(scale)  # tables of about 20-40, a realistic operating point
    return model


def test_shapes_and_table_range(struempler):
    model = _model(struempler)
    masks, tables = model(torch.rand(2, 3, 64, 72))
    assert masks.shape == (2, 2, 8, 9, 64) and (masks > 0).all() and (masks < 1).all()
    assert tables.shape == (2, 8, 8) and tables.min() >= 1 and tables.max() <= 255
    with torch.no_grad():
        model.tables.w.mul_(100.0)  # far beyond 255: clamped in the forward pass
    assert model.tables().max() == 255
    assert np.array_equal(struempler.file_tables(torch.tensor([[0.6, 1.5, 2.5, 254.7, 300.0]])), [[1, 2, 3, 255, 255]])


@pytest.mark.parametrize("rate", ["density", "network", "log"])
def test_a_rate_proxy_can_replace_the_regularizer(struempler, rate):
    model, loss = struempler.build(0.3, gamma=0.0, rate=rate)
    out = loss(model, torch.rand(2, 3, 32, 32), None)
    out["loss"].backward()
    assert out["proxy_bpp"] > 0 and out["table_term"] == 0
    assert model.tables.w.grad.abs().sum() > 0 and model.attention.head.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="rate must be one of"):
        struempler.StruemplerLoss(0.3, rate="exact")


def test_gradients_reach_attention_and_tables(struempler):
    model, loss = struempler.build(0.01, gamma=50.0, table_step=0.5, lr=1e-4)
    out = loss(model, torch.rand(2, 3, 32, 32), None)
    out["loss"].backward()
    assert model.tables.w.grad is not None and model.tables.w.grad.abs().sum() > 0
    assert model.attention.head.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.attention.vgg.parameters())  # frozen unless train_vgg


@pytest.mark.parametrize("options", [{}, {"attention": False}, {"tables": False}])
def test_file_equals_the_simulators_exact_forward(struempler, image, options):
    model = _model(struempler, **options)
    data = struempler.write_file(model, image)
    decoded = jpeg.decode(data)
    assert np.array_equal(decoded, np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        masks, tables = model(x)
        integer = torch.from_numpy(struempler.file_tables(tables)).float()[None]
        simulated = simulate(x, tables=integer, subsampling="4:4:4", masks=model.component_masks(masks))
    assert np.array_equal((simulated[0].permute(1, 2, 0) * 255).round().byte().numpy(), decoded)
    assert np.array_equal(jpeg.read_coefficients(data).tables, struempler.file_tables(tables))  # learned DQT


def test_checkpoint_round_trip(struempler, image, tmp_path):
    model = _model(struempler)
    torch.save(struempler.trainable_state(model), tmp_path / "m.pt")
    assert not any(k.startswith("attention.vgg.") for k in torch.load(tmp_path / "m.pt"))  # ImageNet's VGG is not stored
    again = struempler.load_model(str(tmp_path / "m.pt"))
    assert struempler.write_file(again, image) == struempler.write_file(model, image)
    tables_only = _model(struempler, attention=False)
    torch.save(struempler.trainable_state(tables_only), tmp_path / "t.pt")
    assert struempler.load_model(str(tmp_path / "t.pt")).attention is None
    state = torch.load(tmp_path / "t.pt")
    del state["tables.scale"]  # w alone does not say what the tables are
    torch.save(state, tmp_path / "broken.pt")
    with pytest.raises(ValueError, match="no tables.scale"):
        struempler.load_model(str(tmp_path / "broken.pt"))


def test_bad_arguments(struempler):
    with pytest.raises(ValueError, match="needs the attention, the learned tables or both"):
        struempler.StruemplerModel(attention=False, tables=False)
    with pytest.raises(ValueError, match="lambda must be > 0"):
        struempler.StruemplerLoss(0.0)
    with pytest.raises(ValueError, match="image must be uint8"):
        struempler.write_file(_model(struempler), np.zeros((8, 8), np.float32))


def test_reencoded_route_keeps_the_tables_and_differs(struempler, image):
    model = _model(struempler)
    direct, again = struempler.write_file(model, image), struempler.reencoded_file(model, image)
    assert np.array_equal(jpeg.read_coefficients(again).tables, jpeg.read_coefficients(direct).tables)
    assert direct != again and jpeg.decode(again).shape == image.shape  # a second quantization of the edited pixels


def test_refine_trains_a_copy_on_one_image(struempler, image):
    model = _model(struempler)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert struempler.write_file(struempler.refine(model, image, 0.3, 0), image) == struempler.write_file(model, image)
    refined = struempler.refine(model, image, 0.3, 3, lr=1e-3, show_progress=False)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())  # the global model is untouched
    assert not torch.equal(refined.attention.head.bias, model.attention.head.bias)
    assert not torch.equal(refined.tables.w, model.tables.w)
    assert torch.equal(refined.attention.vgg[0].weight, model.attention.vgg[0].weight)  # a frozen VGG stays frozen
    assert isinstance(refined.attention.vgg, torch.nn.Sequential)  # the cached features were taken out again
    assert struempler.write_file(refined, image) != struempler.write_file(model, image)
    with pytest.raises(ValueError, match="steps must be an integer >= 0"):
        struempler.refine(model, image, 0.3, -1)


def test_preedit_refines_a_shipped_model_per_image(struempler, image, tmp_path, capsys):
    from jpegtutor import cli

    Image.fromarray(image[:64, :64]).save(tmp_path / "in.png")
    assert cli.main(["preedit", "struempler-tables", str(tmp_path / "in.png"), str(tmp_path / "out.jpg"),
                     "--point", "0.3", "--per-image-steps", "2", "--no-lpips"]) == 0
    printed = capsys.readouterr().out
    assert "the global model, not refined, at lambda 0.3" in printed
    decoded = Image.open(tmp_path / "out.jpg")
    assert decoded.size == (64, 64) and decoded.layer[0][1:3] == (1, 1)  # 4:4:4, the method's own default
    assert cli.main(["preedit", "mozjpeg", str(tmp_path / "in.png"), str(tmp_path / "m.jpg"), "--quality", "50",
                     "--per-image-steps", "2"]) == 2
    assert "mozjpeg is an encoder" in capsys.readouterr().err and not (tmp_path / "m.jpg").exists()
