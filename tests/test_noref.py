"""The no-reference JPEG damage model: shapes, gradients, input errors, the shipped weights, the
TorchScript hook and a tiny training run."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from jpegtutor.image import read_image, to_tensor
from jpegtutor.jpeg import pillow_decode, pillow_encode
from jpegtutor.metrics.noref import NoRefQuality
from jpegtutor.experiments.noref import train
from jpegtutor.metrics.noref import MIN_SIDE, load_pretrained, load_quality_model

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.*deprecated:DeprecationWarning")

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "jpegtutor" / "samples").glob("*.png"))


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return NoRefQuality().eval()


@pytest.mark.parametrize("shape", [(2, 3, 64, 80), (1, 3, MIN_SIDE, MIN_SIDE), (3, 3, 33, 47)])
def test_output_is_one_nonnegative_value_per_image(model, shape):
    out = model(torch.rand(shape))
    assert out.shape == (shape[0],)
    assert torch.isfinite(out).all() and (out >= 0).all()


def test_single_image_without_batch_gives_one_value(model):
    assert model(torch.rand(3, 40, 40)).shape == (1,)


def test_small_and_cheap(model):
    assert 30_000 <= sum(p.numel() for p in model.parameters()) <= 150_000


def test_gradient_with_respect_to_the_input(model):
    x = torch.rand(2, 3, 64, 64, requires_grad=True)
    model(x).sum().backward()
    assert torch.isfinite(x.grad).all()
    assert x.grad.abs().sum() > 0


@pytest.mark.parametrize("x, error, match", [
    (torch.rand(1, 3, 31, 64), ValueError, "at least 32x32"),
    (torch.rand(1, 4, 64, 64), ValueError, r"shape \(B, 3, H, W\)"),
    (torch.rand(64, 64), ValueError, r"shape \(B, 3, H, W\)"),
    (torch.randint(0, 255, (1, 3, 64, 64), dtype=torch.uint8), TypeError, "float tensor"),
    (torch.rand(1, 3, 64, 64) * 255, ValueError, "divide by 255"),
    (torch.full((1, 3, 64, 64), float("nan")), ValueError, "NaN"),
])
def test_bad_inputs_are_named(model, x, error, match):
    with pytest.raises(error, match=match):
        model(x)


def test_numpy_input_is_a_type_error(model):
    with pytest.raises(TypeError, match="torch.Tensor"):
        model(np.zeros((1, 3, 64, 64), np.float32))


def test_shipped_weights_rank_heavy_compression_worst():
    nr = load_pretrained()
    assert not nr.training and not any(p.requires_grad for p in nr.parameters())
    image = read_image(SAMPLES[0])
    versions = [image] + [pillow_decode(pillow_encode(image, q, "4:2:0")) for q in (90, 5)]
    with torch.no_grad():
        original, q90, q5 = nr(torch.cat([to_tensor(v) for v in versions])).tolist()
    assert q5 > q90 and q5 > original
    assert q5 > 0.2  # LPIPS-Alex of q 5 is about 0.4-0.6


def test_missing_weights_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.pt"):
        load_pretrained(tmp_path / "nothing.pt")


def test_default_spec_is_the_shipped_model():
    assert isinstance(load_quality_model("noref"), NoRefQuality)


class _Brightness(torch.nn.Module):  # a stand-in for NIMA: higher = better
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 10 * x.mean(dim=(1, 2, 3))


def test_torchscript_score_is_negated_into_a_penalty(tmp_path):
    path = tmp_path / "score.pt"
    torch.jit.save(torch.jit.script(_Brightness()), str(path))
    penalty = load_quality_model(str(path))
    x = torch.rand(2, 3, 40, 40)
    assert torch.allclose(penalty(x), -10 * x.mean(dim=(1, 2, 3)))
    assert penalty(x).shape == (2,)
    assert not any(p.requires_grad for p in penalty.parameters())
    assert load_quality_model(path)(x).shape == (2,)  # a Path works too


def test_bad_specs_are_explained(tmp_path):
    with pytest.raises(ValueError, match="unknown quality model spec"):
        load_quality_model("nima")
    with pytest.raises(FileNotFoundError, match="no TorchScript file"):
        load_quality_model(str(tmp_path / "missing.pt"))
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a TorchScript file"):
        load_quality_model(str(garbage))
    with pytest.raises(TypeError, match="spec must be"):
        load_quality_model(3)


def test_torchscript_with_a_wrong_output_shape_is_caught(tmp_path):
    class Map(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[:, :1]

    path = tmp_path / "map.pt"
    torch.jit.save(torch.jit.script(Map()), str(path))
    with pytest.raises(ValueError, match=r"to \(B,\) scores"):
        load_quality_model(str(path))(torch.rand(2, 3, 40, 40))


def test_tiny_training_run_writes_loadable_weights_and_a_card(shared, tmp_path):
    threads = torch.get_num_threads()
    try:
        card = train(samples=8, steps=2, batch=4, out=tmp_path, echo=lambda *_: None, crop=64)
    finally:
        torch.set_num_threads(threads)  # train() pins one thread; give the rest of the suite its threads back
    nr = load_pretrained(tmp_path / "noref.pt")
    assert nr(torch.rand(1, 3, 64, 64)).shape == (1,)
    written = json.loads((tmp_path / "noref.json").read_text())
    assert written["steps"] == 2 and written["parameters"] == card["parameters"]
    for key in ("architecture", "data", "seconds", "seed", "command"):
        assert key in written
    assert not list(tmp_path.glob(".*.tmp"))
