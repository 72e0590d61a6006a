import numpy as np
import pytest
import torch

from jpegtutor.image import read_image, to_tensor
from jpegtutor.jpeg import pillow_decode, pillow_encode
from jpegtutor.metrics import LPIPS, bpp, lpips, ms_ssim, mse, psnr, psnr_y, ssim
import jpegtutor.metrics.lpips_network as lp

# Validated values (../shared/weights/README.md, matching published numbers).
EXPECTED = {"alex": (0.7219, 0.1376), "vgg": (0.5686, 0.4217)}


@pytest.fixture(scope="module")
def lpips_pairs(shared):
    folder = shared / "data" / "lpips-check"
    ref, p0, p1 = (to_tensor(read_image(folder / f)) for f in ("ex_ref.png", "ex_p0.png", "ex_p1.png"))
    return ref, p0, p1


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_lpips_reproduces_the_published_values(net, lpips_pairs):
    ref, p0, p1 = lpips_pairs
    d = lpips(torch.cat([ref, ref]), torch.cat([p0, p1]), net=net)
    assert d.shape == (2,)
    assert d[0].item() == pytest.approx(EXPECTED[net][0], abs=1e-3)
    assert d[1].item() == pytest.approx(EXPECTED[net][1], abs=1e-3)


def test_lpips_properties(lpips_pairs):
    ref, p0, p1 = lpips_pairs
    model = LPIPS("alex")
    assert model(ref, ref).item() == pytest.approx(0.0, abs=1e-7)
    assert model(ref, p0).item() == pytest.approx(model(p0, ref).item(), abs=1e-6)  # symmetric
    # batching does not change the numbers
    single = torch.stack([model(ref, p0)[0], model(ref, p1)[0]])
    assert torch.allclose(model(torch.cat([ref, ref]), torch.cat([p0, p1])), single, atol=1e-6)
    # usable as a loss: gradients reach the input, the weights stay frozen
    x = p0.clone().requires_grad_(True)
    model(ref, x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError, match="at least 32x32"):
        model(ref[..., :16, :16], p0[..., :16, :16])
    with pytest.raises(ValueError, match="net must be one of"):
        LPIPS("squeeze")


def test_lpips_backbone_from_a_full_torchvision_checkpoint(shared, isolated):
    """The torch hub cache holds torchvision's whole checkpoint; only features.* is used."""
    state = torch.load(shared / "weights" / "alexnet_features_imagenet.pth", map_location="cpu", weights_only=True)
    state["classifier.1.weight"] = torch.zeros(4, 4)
    hub = isolated / "torch-home" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    torch.save(state, hub / "alexnet-owt-7be5be79.pth")
    assert lp.backbone_weights_path("alex") == hub / "alexnet-owt-7be5be79.pth"
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    assert LPIPS("alex")(x, x.flip(-1)).item() > 0


def test_missing_backbone_weights_name_every_place(isolated):
    with pytest.raises(FileNotFoundError) as info:
        LPIPS("vgg")
    message = str(info.value)
    assert "vgg16_features_imagenet.pth" in message and "vgg16-397923af.pth" in message
    assert "JPEGTUTOR_OFFLINE" in message
    with pytest.raises(FileNotFoundError, match="no file at"):
        lp.backbone_weights_path("alex", isolated / "nothing.pth")


def test_psnr_matches_the_formula():
    x = torch.full((2, 3, 8, 8), 0.5)
    y = x.clone()
    y[0] += 0.1  # MSE 0.01 -> 20 dB
    y[1, 0] += 0.1  # one channel of three: MSE 0.01/3
    values = psnr(x, y)
    assert values.shape == (2,)
    assert values[0].item() == pytest.approx(20.0, abs=1e-4)
    assert values[1].item() == pytest.approx(20 + 10 * np.log10(3), abs=1e-4)
    assert mse(x, y)[0].item() == pytest.approx(0.01, rel=1e-5)
    assert torch.isinf(psnr(x, x)).all()
    # 8-bit view: the same number as with a peak of 255
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-5, 6, a.shape), 0, 255).astype(np.uint8)
    ref = 10 * np.log10(255**2 / np.mean((a.astype(float) - b) ** 2))
    assert psnr(to_tensor(a), to_tensor(b)).item() == pytest.approx(ref, abs=1e-4)


def test_psnr_y_sees_only_luma():
    x = torch.full((1, 3, 8, 8), 0.5)
    # a change that keeps Y = 0.299 R + 0.587 G + 0.114 B constant
    y = x.clone()
    y[:, 0] += 0.1
    y[:, 2] -= 0.1 * 0.299 / 0.114
    assert torch.isinf(psnr_y(x, y)) or psnr_y(x, y).item() > 100
    assert psnr(x, y).item() < 30


def test_ssim_and_ms_ssim():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 192, 192, generator=gen)
    noisy = (x + 0.05 * torch.randn(x.shape, generator=gen)).clamp(0, 1)
    very_noisy = (x + 0.2 * torch.randn(x.shape, generator=gen)).clamp(0, 1)
    assert torch.allclose(ssim(x, x), torch.ones(2), atol=1e-5)
    assert torch.allclose(ms_ssim(x, x), torch.ones(2), atol=1e-5)
    assert (ssim(x, very_noisy) < ssim(x, noisy)).all()
    assert (ms_ssim(x, very_noisy) < ms_ssim(x, noisy)).all()
    assert ssim(x, noisy).shape == (2,)
    with pytest.raises(ValueError, match="at least 161x161"):
        ms_ssim(x[..., :100, :100], noisy[..., :100, :100])


@pytest.mark.parametrize("metric", [psnr, psnr_y, ssim, ms_ssim, mse])
def test_bad_inputs_get_clear_errors(metric):
    x = torch.rand(1, 3, 170, 170)
    with pytest.raises(ValueError, match="same shape"):
        metric(x, x[..., :169])
    with pytest.raises(TypeError, match="float"):
        metric((x * 255).to(torch.uint8), (x * 255).to(torch.uint8))
    with pytest.raises(TypeError, match="torch.Tensor"):
        metric(x.numpy(), x.numpy())
    with pytest.raises(ValueError, match=r"\[0, 1\].*divide by 255"):
        metric(x * 255, x * 255)
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        metric(x[:, :1], x[:, :1])
    with pytest.raises(ValueError, match="NaN"):
        metric(x * float("nan"), x)
    assert metric(x[0], x[0]).shape == (1,)  # a single (3, H, W) image is accepted


def test_bpp_and_the_reference_codec():
    image = np.random.default_rng(0).integers(0, 256, (16, 24, 3), dtype=np.uint8)
    data = pillow_encode(image, 75)
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    assert pillow_decode(data).shape == (16, 24, 3)
    assert bpp(len(data), 16, 24) == 8 * len(data) / (16 * 24)
    with pytest.raises(ValueError, match="quality"):
        pillow_encode(image, 0)
    with pytest.raises(ValueError, match="quality"):
        pillow_encode(image, 101)
    with pytest.raises(ValueError, match="subsampling"):
        pillow_encode(image, 50, subsampling="4:1:1")
    with pytest.raises(TypeError, match="uint8"):
        pillow_encode(image.astype(np.float32), 50)
    with pytest.raises(ValueError, match="cannot decode|not a JPEG"):
        pillow_decode(b"not a jpeg at all")
    with pytest.raises(ValueError, match="positive"):
        bpp(10, 0, 5)
