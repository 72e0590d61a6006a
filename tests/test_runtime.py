import random

import numpy as np
import pytest
import torch

from jpegtutor import runtime


def test_device_defaults_to_cpu_without_accelerators(monkeypatch):
    monkeypatch.delenv("JPEGTUTOR_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(runtime, "_mps_available", lambda: False)
    assert runtime.device() == torch.device("cpu")


def test_device_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.delenv("JPEGTUTOR_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(runtime, "_mps_available", lambda: True)
    assert runtime.device() == torch.device("mps")


def test_device_environment_override(monkeypatch):
    monkeypatch.setenv("JPEGTUTOR_DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.device() == torch.device("cpu")


def test_unavailable_device_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("JPEGTUTOR_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        runtime.device()
    with pytest.raises(ValueError, match="not a device name"):
        runtime.device("gpu0")


def test_profile(monkeypatch):
    monkeypatch.setenv("JPEGTUTOR_PROFILE", "full")
    assert runtime.profile() == "full" and runtime.by_profile(quick=1, full=2) == 2
    monkeypatch.setenv("JPEGTUTOR_PROFILE", "QUICK")
    assert runtime.profile() == "quick" and runtime.by_profile(quick=1, full=2) == 1
    monkeypatch.delenv("JPEGTUTOR_PROFILE")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert runtime.profile() == "quick"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.profile() == "full"
    monkeypatch.setenv("JPEGTUTOR_PROFILE", "medium")
    with pytest.raises(ValueError, match="medium"):
        runtime.profile()


def test_seed_everything_makes_every_generator_repeat():
    def draw():
        gen = runtime.seed_everything(123)
        return random.random(), np.random.rand(), torch.rand(3), torch.rand(3, generator=gen)

    a, b = draw(), draw()
    assert a[0] == b[0] and a[1] == b[1]
    assert torch.equal(a[2], b[2]) and torch.equal(a[3], b[3])
    with pytest.raises(TypeError):
        runtime.seed_everything(1.5)
    with pytest.raises(ValueError):
        runtime.seed_everything(-1)


def test_set_deterministic_toggles_torch_flags():
    try:
        runtime.set_deterministic(True)
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    finally:
        runtime.set_deterministic(False)
    assert not torch.are_deterministic_algorithms_enabled()


def test_progress_honours_the_off_switch(monkeypatch, capsys):
    monkeypatch.setenv("JPEGTUTOR_PROGRESS", "0")
    assert list(runtime.progress(range(3), desc="x")) == [0, 1, 2]
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("JPEGTUTOR_PROGRESS", "1")
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    assert runtime.progress_enabled()
    bar = runtime.progress(range(3), desc="visible")
    assert list(bar) == [0, 1, 2]
    assert "visible" in capsys.readouterr().err


def test_interact_is_off_in_headless_runs_and_falls_back_outside_ipython(monkeypatch, capsys):
    from jpegtutor.widgets import interact

    calls = []
    monkeypatch.setenv("JPEGTUTOR_WIDGETS", "0")
    assert interact(lambda quality=5: calls.append(quality), quality=(1, 100, 1)) is None
    assert calls == [] and "JPEGTUTOR_WIDGETS=0" in capsys.readouterr().out
    monkeypatch.setenv("JPEGTUTOR_WIDGETS", "1")
    interact(lambda quality=5, mode="exact": calls.append((quality, mode)), quality=(1, 100, 1), mode="smooth")
    assert calls == [(5, "smooth")]  # plain values pass through, ranges fall back to the default
