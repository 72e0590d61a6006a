"""Part IV pre-editors: Talebi et al.'s networks, the shared loss, per-image optimization, preedit."""

import hashlib
import io
import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from jpegtutor.cli import main
from jpegtutor import registry, zoo
from jpegtutor.editors import talebi, tiny
from jpegtutor.editors.layers import constant_channels
from jpegtutor.editors.loss import PreEditLoss, total_variation
from jpegtutor.editors.optimize import optimize_image
from jpegtutor.image import read_image, to_tensor
from jpegtutor.jpeg import decode
from jpegtutor.jpeg.reference import pillow_encode
from jpegtutor.resources import repo_root

SAMPLE = next((repo_root() / "jpegtutor" / "samples").glob("*.png"))


def _images(b=2, h=40, w=56, seed=0):
    return torch.rand(b, 3, h, w, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("size", [(32, 32), (37, 51), (8, 9)])
def test_editor_shapes_range_and_identity_at_initialisation(size):
    x = _images(2, *size)
    q = torch.tensor([8.0, 25.0])
    editor = talebi.TalebiEditor().eval()
    with torch.no_grad():
        y = editor(x, q)
        warped = editor.transformer(x, q)
    assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1
    assert torch.allclose(warped, x, atol=1e-5)  # the transformer starts as the identity
    assert torch.allclose(y, x, atol=1e-5)  # and so does the smoother (zero last layer)
    params = editor.transformer.transforms(x, q)
    assert params.shape == (2, 6, math.ceil(size[0] / 8), math.ceil(size[1] / 8)) and params.abs().max() == 0


def test_transformer_shift_moves_every_pixel_and_windows_average():
    transformer = talebi.PatchTransformer()
    x = _images(1, 48, 64)
    q = torch.tensor([15.0])
    with torch.no_grad():  # every block: translate by exactly +1 pixel along x
        transformer.localize[-1].bias[5] = math.atanh(1 / transformer.max_shift)
        y = transformer(x, q)
    assert torch.allclose(y[..., :, :-1], x[..., :, 1:], atol=1e-5)
    # one block's transform reaches exactly the pixels its 32x32 window covers (12 px beyond the block)
    params = torch.zeros(1, 6, 6, 8)
    params[0, 5, 2, 3] = 1.0  # block (2, 3) covers rows 16-23, columns 24-31
    disp = transformer.displacement(params, 48, 64)[0, 1]
    assert disp[16:24, 24:32].gt(0).all() and disp[4:36, 12:44].gt(0).all()
    assert disp[:4].eq(0).all() and disp[36:].eq(0).all() and disp[:, :12].eq(0).all() and disp[:, 44:].eq(0).all()
    assert torch.allclose(disp[16:24, 24:32], torch.full((8, 8), 1 / 16))  # averaged over 16 windows


def test_parts_and_errors():
    assert talebi.TalebiEditor("smoother").transformer is None
    assert talebi.TalebiEditor(["transformer"]).smoother is None
    with pytest.raises(ValueError, match="parts"):
        talebi.TalebiEditor("smoother,blur")
    with pytest.raises(ValueError, match="stage"):
        talebi.build(stage="finetune")
    with pytest.raises(TypeError, match="lambda"):
        talebi.build(**{"lambda": 0.1})
    with pytest.raises(ValueError, match="rate"):
        PreEditLoss(rate="bits", quality_model=None)
    with pytest.raises(ValueError, match="quality_weight"):
        PreEditLoss(quality_weight=-1)


def test_gradient_reaches_every_parameter_through_simulator_and_rate():
    torch.manual_seed(0)
    editor, loss = talebi.build(quality_weight=0.02)
    assert loss.terms.quality_model is not None and loss.terms.density is not None
    with torch.no_grad():  # leave the identity, so that every layer is on a gradient path
        for p in editor.parameters():
            p.add_(0.01 * torch.randn_like(p))
    terms = loss(editor, _images(2, 32, 32), torch.tensor([10.0, 20.0]))
    assert {"loss", "distance", "quality", "rate_bpp", "psnr_db"} <= set(terms)
    terms["loss"].backward()
    for name, p in editor.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name
    frozen = [p for p in loss.parameters()]
    assert frozen and all(not p.requires_grad for p in frozen)  # VGG, quality model and density stay fixed
    assert loss.terms.density.training and not loss.terms.features.training


def test_denoise_pretraining_loss():
    editor, loss = talebi.build(parts="smoother", stage="denoise")
    terms = loss(editor, _images(2, 24, 24), torch.tensor([10.0, 20.0]))
    terms["loss"].backward()
    assert terms["mse_255"] > 0 and editor.smoother.tail.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="smoother"):
        talebi.build(parts="transformer", stage="denoise")


def test_layer_and_loss_helpers():
    x = _images(2, 8, 8)
    out = constant_channels(x, torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]))
    assert out.shape == (2, 5, 8, 8) and out[1, 3].eq(2).all() and out[0, 4].eq(3).all()
    assert total_variation(torch.ones(1, 3, 5, 5)).item() == 0
    stripes = torch.zeros(1, 1, 4, 4)
    stripes[..., ::2] = 1
    assert total_variation(stripes).item() == pytest.approx(1.0)


def test_per_image_optimization_lowers_the_loss_and_stays_in_range():
    loss = PreEditLoss(quality_model=None, distance="mse", rate="log", rate_weight=1.0)
    x = to_tensor(read_image(SAMPLE))[:, :, :48, :48]
    q = torch.tensor([15.0])
    before = float(loss(x, x, q)["loss"])
    edited = optimize_image(x, q, loss, steps=25, lr=0.01)
    after = float(loss(edited, x, q)["loss"])
    assert after < before and edited.min() >= 0 and edited.max() <= 1 and not edited.requires_grad
    assert torch.equal(optimize_image(x, q, loss, steps=0), x)
    with pytest.raises(ValueError, match="steps"):
        optimize_image(x, q, loss, steps=-1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny run of the whole recipe (4 stages, a few steps each)."""
    out = tmp_path_factory.mktemp("talebi")
    card = talebi.train(out, "quick", max_steps=8, echo=lambda *a: None, limit_images=4, crop=32, batch=2)
    return out, card


def test_recipe_writes_checkpoint_card_and_loads(trained):
    out, card = trained
    assert [s["stage"] for s in card["stages"]] == [r[0] for r in talebi.RECIPE]
    assert json.loads((out / "talebi.json").read_text())["total_steps"] == 8
    editor = talebi.load_editor(out / talebi.CHECKPOINT)
    assert editor.parts == talebi.PARTS and not editor.training
    state = torch.load(out / talebi.CHECKPOINT, weights_only=True)
    assert all(torch.equal(v, editor.state_dict()[k]) for k, v in state.items())
    # the joint stage started from the separately trained parts
    smoother = torch.load(out / "2-smoother" / "final.pt", weights_only=True)
    assert not torch.equal(smoother["smoother.tail.weight"], torch.zeros_like(smoother["smoother.tail.weight"]))


def test_load_editor_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        talebi.load_editor(tmp_path / "missing.pt")
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        talebi.load_editor(tmp_path / "bad.pt")
    with pytest.raises(IsADirectoryError, match="folder"):
        talebi.load_editor(tmp_path)
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "foreign.pt")
    with pytest.raises(ValueError, match="no Talebi editor"):
        talebi.load_editor(tmp_path / "foreign.pt")


def test_preedit_writes_a_standard_jpeg(trained, tmp_path):
    out, _ = trained
    image = read_image(SAMPLE)
    method = registry.get_method("talebi+libjpeg", checkpoint=out / talebi.CHECKPOINT)
    encoded = method.encode(image, 15, "4:2:0")
    edited = method.edit(image, 15, "4:2:0")
    assert encoded == pillow_encode(edited, 15, "4:2:0")  # libjpeg encodes the edited pixels
    pillow = np.asarray(Image.open(io.BytesIO(encoded)).convert("RGB"))
    assert pillow.shape == image.shape
    assert np.array_equal(decode(encoded), pillow)  # our decoder reads it too, to the pixel
    default = registry.get_method("talebi", checkpoint=out / talebi.CHECKPOINT)
    assert default.name == "talebi+libjpeg-optimized"  # equal Huffman settings by default
    assert default.encode(image, 15) == pillow_encode(edited, 15, "4:2:0", optimize=True)
    with pytest.raises(ValueError, match="quality"):
        method.encode(image, 0)
    with pytest.raises(TypeError, match="uint8"):
        method.edit(image.astype(np.float32), 15)
    with pytest.raises(ValueError, match="at least 8x8"):
        method.edit(image[:1], 15)
    with pytest.warns(registry.OutsideTrainedRangeWarning, match="8-25"):
        method.encode(image, 90)
    with pytest.raises(ValueError, match="unknown editor"):
        registry.get_method("nope+libjpeg")


def test_preedit_cli(trained, tmp_path, capsys):
    out, _ = trained
    target = tmp_path / "out.jpg"
    assert main(["preedit", "talebi", str(SAMPLE), str(target), "--quality", "12", "--checkpoint",
                 str(out / talebi.CHECKPOINT), "--per-image-steps", "2", "--save-edited", str(tmp_path / "e.png"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["bytes"] == target.stat().st_size and result["libjpeg-optimized_alone_bytes"] > 0
    assert "lpips_alex" in result and result["method"] == "talebi+libjpeg-optimized"
    assert Image.open(target).format == "JPEG" and (tmp_path / "e.png").is_file()
    missing = tmp_path / "never.jpg"
    assert main(["preedit", "talebi", str(SAMPLE), str(missing), "--quality", "101", "--checkpoint",
                 str(out / talebi.CHECKPOINT)]) != 0
    assert "quality" in capsys.readouterr().err and not missing.exists()
    assert main(["preedit", "talebi+mozjpeg", str(SAMPLE), str(missing), "--quality", "60", "--no-lpips"]) == 0
    captured = capsys.readouterr()
    assert "outside" in captured.err and "8-25" in captured.err and "mozjpeg alone" in captured.out
    assert Image.open(missing).format == "JPEG"


def test_train_cli_errors(tmp_path, capsys):
    assert main(["train", "talebi", "--out", str(tmp_path), "--set", "lambda=1"]) != 0
    assert "KEY" in capsys.readouterr().err
    assert main(["train", "tiny", "--profile", "cpu", "--out", str(tmp_path)]) != 0
    assert "profile" in capsys.readouterr().err


def test_eval_runs_an_editor(trained, tmp_path):
    from jpegtutor.eval import evaluate

    out, _ = trained
    folder = tmp_path / "images"
    folder.mkdir()
    Image.open(SAMPLE).save(folder / "a.png")
    result = evaluate("talebi", str(folder), (8, 12, 18, 25), use_lpips=False, checkpoint=str(out / talebi.CHECKPOINT),
                      baseline="libjpeg-optimized", label="talebi-test")
    assert result["method"] == "talebi-test" and len(result["points"]) == 4
    assert set(result["bd_rate_percent"]) >= {"psnr_db", "ssim"}


def test_shipped_editor_is_package_data_that_matches_its_hash():
    path = zoo.path("talebi")
    assert path.parent == zoo.WEIGHTS_DIR  # inside the package: a pip install runs it offline
    card = zoo.card("talebi")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == card["sha256"] == zoo.manifest()["talebi"]["sha256"]
    editor = talebi.load_editor()
    assert list(editor.parts) == card["parts"] == card["shipped"]["parts"]
    x = to_tensor(read_image(SAMPLE))
    with torch.no_grad():
        y = editor(x, torch.tensor([15.0]))
    assert 0 < (y - x).abs().mean() < 0.05  # it edits, and only a little


def test_initial_weights_must_fit(tmp_path):
    from jpegtutor.train.loop import load_initial_weights

    editor = talebi.TalebiEditor("smoother")
    torch.save({"transformer.localize.0.weight": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="does not fit"):
        load_initial_weights(editor, [tmp_path / "other.pt"])
    torch.save({"smoother.tail.bias": torch.ones(3)}, tmp_path / "part.pt")
    load_initial_weights(editor, [tmp_path / "part.pt"])  # a part of the model: the rest is kept
    assert torch.equal(editor.smoother.tail.bias, torch.ones(3))


def test_quality_term_gradient_is_finite_on_flat_images():
    loss = PreEditLoss(rate="log")
    flat = torch.full((2, 3, 32, 32), 0.5, requires_grad=True)
    terms = loss(flat, flat.detach(), torch.tensor([10.0, 20.0]))
    terms["loss"].backward()
    assert torch.isfinite(flat.grad).all() and torch.isfinite(terms["quality"])


@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
def test_a_torchscript_quality_model_plugs_into_the_loss(tmp_path):
    class Brightness(torch.nn.Module):  # stands in for NIMA: a score, higher = better
        def forward(self, x):
            return 10 * x.mean((1, 2, 3))

    torch.jit.save(torch.jit.script(Brightness()), str(tmp_path / "nima.pt"))
    loss = PreEditLoss(quality_model=str(tmp_path / "nima.pt"), rate="log")
    x = _images(2, 32, 32)
    terms = loss(x, x, torch.tensor([10.0, 20.0]))
    decoded = __import__("jpegtutor.diff", fromlist=["simulate"]).simulate(x, torch.tensor([10.0, 20.0]))
    assert torch.allclose(terms["quality"], -10 * decoded.mean(), atol=1e-5)  # negated, not rescaled
    with pytest.raises((ValueError, FileNotFoundError)):
        PreEditLoss(quality_model=str(tmp_path / "missing.pt"))


def test_initial_weights_load_when_a_resumed_run_has_no_checkpoint(tmp_path):
    """A stage that crashed before its first checkpoint restarts from its initial weights."""
    from jpegtutor.train import Trainer, TrainConfig

    model, loss = tiny.build()
    start = {k: torch.full_like(v, 0.5) for k, v in model.state_dict().items()}
    torch.save(start, tmp_path / "start.pt")
    (tmp_path / "run").mkdir()
    config = TrainConfig(model="tiny", init=(str(tmp_path / "start.pt"),), limit_images=4, crop=32, batch=2, max_steps=1,
                         lr=0.0, validate_every=0)
    Trainer(model, loss, config, tmp_path / "run", resume=True, echo=lambda *a: None).run()
    final = torch.load(tmp_path / "run" / "final.pt", weights_only=True)
    assert all(torch.equal(final[k], start[k]) for k in start)
