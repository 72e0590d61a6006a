"""The fast paths compute what the reference paths compute: the fused exact simulator (values equal,
gradients within float tolerance) and the trainer's bfloat16 channels-last step."""

import pytest
import torch

from jpegtutor.diff import adjoints, reference_path, simulate


def _run(image, quality, subsampling, seed=0):
    """Decoded image, coefficients and the gradients of a random linear function of both."""
    gen = torch.Generator().manual_seed(seed)
    decoded, coefficients = simulate(image, quality, subsampling=subsampling, return_coefficients=True)
    loss = (decoded * torch.randn(decoded.shape, generator=gen)).sum()
    loss = loss + sum((c * torch.randn(c.shape, generator=gen)).sum() for c in coefficients)
    return (decoded, coefficients, *torch.autograd.grad(loss, (image, quality)))


@pytest.mark.parametrize("subsampling", ["4:2:0", "4:2:2", "4:4:4"])
@pytest.mark.parametrize("size", [(48, 64), (37, 53), (9, 3), (2, 2), (17, 1)])
def test_fused_exact_simulator_equals_the_reference_path(subsampling, size):
    torch.manual_seed(1)
    image = (torch.rand(2, 3, *size) * 1.2 - 0.1).requires_grad_(True)  # out-of-range values clip
    quality = torch.tensor([7.0, 80.0], requires_grad=True)
    fast = _run(image, quality, subsampling)
    with reference_path():
        reference = _run(image, quality, subsampling)
    assert torch.equal(fast[0], reference[0])  # libjpeg's pixels on both paths
    assert all(torch.equal(a, b) for a, b in zip(fast[1], reference[1]))
    for a, b in zip(fast[2:], reference[2:]):  # image and quality gradients
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-5 * float(b.abs().max()))


def test_fused_image_gradient_without_coefficients_skips_the_dct_pair_correctly():
    torch.manual_seed(2)
    image = torch.rand(2, 3, 40, 56, requires_grad=True)
    weight = torch.randn(2, 3, 40, 56)
    grads = []
    for reference in (False, True):
        with reference_path(reference):
            grads.append(torch.autograd.grad((simulate(image, 30) * weight).sum(), image)[0])
    assert torch.allclose(grads[0], grads[1], atol=1e-5)
    assert not torch.equal(grads[0], weight)  # 4:2:0: the chroma part of the gradient is blurred


def test_upsample_adjoint_is_the_transpose_of_upsampling():
    from jpegtutor.jpeg.sampling import upsample_libjpeg

    torch.manual_seed(3)
    for fh, fv, (h, w), (height, width) in [(2, 2, (5, 7), (10, 13)), (2, 1, (6, 4), (6, 8)), (2, 2, (3, 2), (5, 4))]:
        x = torch.randn(2, h, w, dtype=torch.float64, requires_grad=True)
        g = torch.randn(2, height, width, dtype=torch.float64)
        up = upsample_libjpeg(x, fh, fv, height, width, floor=lambda t: t)  # the linear part
        expected = torch.autograd.grad((up * g).sum(), x)[0]
        assert torch.allclose(adjoints.upsample_adjoint(g, fh, fv, h, w), expected)


def test_simulator_ignores_autocast_and_stays_exact():
    torch.manual_seed(4)
    image = torch.rand(2, 3, 32, 32)
    with torch.autocast("cpu", torch.bfloat16):
        out = simulate(image.to(torch.bfloat16), 50)
    assert out.dtype == torch.float32
    assert torch.equal(out, simulate(image.to(torch.bfloat16).float(), 50))


def _step_terms(editor, loss, images, qualities, fast: bool, bfloat16: bool):
    """Loss and editor gradients of one step on a path (fresh copies; the density's noise seeded alike)."""
    import copy

    from jpegtutor.train.paths import StepPath

    path = StepPath(fast, "cpu")
    path.bfloat16 = path.bfloat16 and bfloat16
    editor, loss = path.place(copy.deepcopy(editor)), path.place(copy.deepcopy(loss))
    torch.manual_seed(5)
    with path.context():
        terms = loss(editor, path.inputs(images), qualities)
    terms["loss"].backward()
    return float(terms["loss"].detach()), torch.cat([p.grad.flatten() for p in editor.parameters()])


def test_fast_training_step_gives_the_reference_loss_and_gradients():
    from jpegtutor.editors import talebi
    from jpegtutor.train.paths import bfloat16_available

    torch.manual_seed(0)
    editor, loss = talebi.build()
    with torch.no_grad():  # leave the identity, so that every layer is on a gradient path
        for p in editor.parameters():
            p.add_(0.01 * torch.randn_like(p))
    from jpegtutor import datasets
    from jpegtutor.image import to_tensor

    names = ("kodim01", "kodim03", "kodim19", "kodim23")
    images = torch.cat([to_tensor(datasets.load_sample(name)[100:164, 200:264]) for name in names])
    qualities = torch.tensor([9.0, 22.0, 15.0, 12.0])
    ref_loss, ref_grad = _step_terms(editor, loss, images, qualities, fast=False, bfloat16=False)
    fp32_loss, fp32_grad = _step_terms(editor, loss, images, qualities, fast=True, bfloat16=False)
    assert fp32_loss == pytest.approx(ref_loss, rel=1e-5)  # channels-last + fused simulator: float tolerance
    assert float((fp32_grad - ref_grad).norm() / ref_grad.norm()) < 5e-3  # a few roundings flip at ulp-level inputs
    if bfloat16_available(torch.device("cpu")):
        bf16_loss, bf16_grad = _step_terms(editor, loss, images, qualities, fast=True, bfloat16=True)
        assert bf16_loss == pytest.approx(ref_loss, rel=1e-2)  # the editor in bfloat16, the loss in float32
        # bfloat16 keeps 8 bits of each activation: the gradient's direction moves by a few degrees
        # (cosine 0.96 measured here), which 200 training steps do not notice (jpegtutor bench train)
        assert torch.nn.functional.cosine_similarity(bf16_grad, ref_grad, dim=0) > 0.9


def test_trainer_fast_flag_selects_the_path(tmp_path):
    from jpegtutor import datasets
    from jpegtutor.editors import tiny
    from jpegtutor.train import Trainer, TrainConfig

    logs = {}
    for fast in (False, True):
        torch.manual_seed(0)
        config = TrainConfig(dataset=str(datasets.locate_or_samples("train")), crop=32, batch=2, max_steps=3, fast=fast,
                             checkpoint_every=3)
        Trainer(*tiny.build(), config, tmp_path / str(fast), echo=lambda *a: None).run()
        logs[fast] = (tmp_path / str(fast) / "log.jsonl").read_text().splitlines()
    import json

    first = [json.loads(logs[f][0])["loss"] for f in (False, True)]
    assert first[1] == pytest.approx(first[0], rel=1e-2)  # step 1: the same batch, the same weights
