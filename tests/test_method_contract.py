"""One contract for every registered method (kornia's BaseTester idea, over jpegtutor.registry).

Each method must: declare its operating points inside its range, write a real JPEG file that
Pillow (libjpeg) decodes to the input's shape, keep every measured file with --save-files and name
it in its JSON row, and refuse a bad operating point with a ValueError naming it. A pixel editor
must return uint8 pixels of the input's shape and combine with every encoder.
"""

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from jpegtutor import registry
from jpegtutor.eval import evaluate
from jpegtutor.image import read_image, write_image
from jpegtutor.resources import repo_root

SAMPLE = next((repo_root() / "jpegtutor" / "samples").glob("*.png"))
NAMES = registry.method_names()


@pytest.fixture(scope="module")
def image():
    return read_image(SAMPLE)[:64, :80]  # odd multiple of 8 on one side, small enough to be fast


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """Weights for the editors that ship none (trained for two steps by their own recipe)."""
    out = {}
    for name, spec in registry.EDITORS.items():
        if spec.weights is None:
            run = tmp_path_factory.mktemp(name)
            spec.train(run, spec.profiles[0], max_steps=2, echo=lambda *a: None, limit_images=4, crop=32, batch=2)
            out[name] = run / "final.pt"
    return out


def _method(name, checkpoints):
    spec = registry.EDITORS.get(name)
    if spec is None:
        encoder = registry.get_encoder(name)
        if encoder.missing():
            pytest.skip(f"{name}: {encoder.missing()}")
    elif name not in checkpoints and spec.missing():
        pytest.skip(f"{name}: {spec.missing()}")
    return registry.get_method(name, checkpoints.get(name))


def test_the_registry_holds_the_classical_encoders_and_the_editors():
    assert {"libjpeg", "libjpeg-optimized", "libjpeg-progressive", "mozjpeg", "jpegli", "talebi", "tiny"} <= set(NAMES)
    assert registry.get_decoder("libjpeg").decode is not None


@pytest.mark.parametrize("name", NAMES)
def test_declared_points_and_ranges(name, checkpoints):
    method = _method(name, checkpoints)
    lo, hi = method.point_range
    assert method.points and all(lo <= p <= hi for p in method.points)
    if method.trained_range:
        assert lo <= method.trained_range[0] <= method.trained_range[1] <= hi
        assert all(method.trained_range[0] <= p <= method.trained_range[1] for p in method.points)
    row = method.describe()
    assert row["name"] == method.name and row["operating_point"] == method.point and row["encoder_settings"]
    with pytest.raises(ValueError, match=method.point):
        method.check_point(hi + 1)


@pytest.mark.parametrize("name", NAMES)
def test_writes_a_real_jpeg_that_libjpeg_decodes(name, image, checkpoints):
    method = _method(name, checkpoints)
    point = method.points[len(method.points) // 2]
    for subsampling in method.subsamplings:
        data = method.encode(image, point, subsampling)
        assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
        with Image.open(io.BytesIO(data)) as decoded:
            assert decoded.format == "JPEG" and decoded.size == (image.shape[1], image.shape[0])
            decoded.load()
    edited = method.edit(image, point, method.subsamplings[-1])
    assert edited.dtype == np.uint8 and edited.shape == image.shape
    if method.editor is None:
        assert edited is image  # an encoder hands on the pixels untouched


@pytest.mark.parametrize("name", NAMES)
def test_eval_save_files_rows(name, image, checkpoints, tmp_path):
    method = _method(name, checkpoints)
    folder = tmp_path / "images"
    folder.mkdir()
    write_image(folder / "crop.png", image)
    points = method.points[:2]
    result = evaluate(method, str(folder), points, method.subsamplings[-1], use_lpips=False, save_files=tmp_path / "files")
    assert result["method"] == method.name and result["encoder_settings"] == method.encoder.settings
    rows = result["images"][0]["points"]
    assert [r[method.point] for r in rows] == list(points)
    for row in rows:
        path = tmp_path / "files" / row["file"]
        assert path.stat().st_size == row["bytes"] and row["bpp"] == pytest.approx(8 * row["bytes"] / image[..., 0].size)
        assert Image.open(path).format == "JPEG" and 5 < row["psnr_db"] < 80


@pytest.mark.parametrize("encoder", [n for n in NAMES if n in registry.ENCODERS and registry.ENCODERS[n].kind == "encoder"
                                     and registry.ENCODERS[n].point == "quality"])
def test_a_pixel_editor_hands_its_output_to_any_encoder(encoder, image):
    if registry.get_encoder(encoder).missing():
        pytest.skip(registry.get_encoder(encoder).missing())
    edits = {}
    method = registry.get_method(f"talebi+{encoder}", edits=edits)
    data = method.encode(image, 15, "4:2:0")
    assert Image.open(io.BytesIO(data)).size == (image.shape[1], image.shape[0])
    assert len(edits) == 1  # the edit is kept for the next encoder
    edited, seconds = next(iter(edits.values()))
    assert data == registry.get_encoder(encoder).encode(edited, 15, "4:2:0") and seconds > 0
    again = registry.get_method(f"talebi+{encoder}", edits=edits)
    again.encode(image, 15, "4:2:0")
    assert again.last_edit_cached and again.last_edit_seconds == seconds  # its cost is still reported


def test_unknown_and_unavailable_methods_say_what_there_is(monkeypatch):
    with pytest.raises(ValueError, match="registered: .*libjpeg"):
        registry.get_method("webp")
    with pytest.raises(ValueError, match="not an encoder"):
        monkeypatch.setitem(registry.ENCODERS, "coef", registry.Encoder("coef", "x", lambda *a: b"", kind="coefficient-editor"))
        registry.get_method("talebi+coef")
    with pytest.raises(ValueError, match="talebi's operating point is a quality, qpsi's is an index"):
        registry.get_method("talebi+qpsi")  # an editor conditioned on quality cannot share an index point
    trellis = registry.get_method("talebi+trellis")  # a coefficient editor that reads pixels takes an edited image
    assert trellis.kind == "pixel-editor" and trellis.encoder.name == "trellis"
    monkeypatch.setitem(registry.ENCODERS, "gone", registry.Encoder("gone", "x", lambda *a: b"", missing=lambda: "pip install gone"))
    with pytest.raises(RuntimeError, match="pip install gone"):
        registry.get_method("gone")
    row = next(r for r in registry.describe() if r["name"] == "gone")
    assert row["available"] is False and row["missing"] == "pip install gone"


def test_methods_cli_lists_every_method_with_its_ranges():
    out = subprocess.run([sys.executable, "-m", "jpegtutor.cli", "methods", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    rows = {(r["name"], r["kind"]): r for r in json.loads(out.stdout)}
    assert rows["talebi+libjpeg-optimized", "pixel-editor"]["trained_range"] == [8, 25]
    assert rows["mozjpeg", "encoder"]["default_points"] and ("libjpeg", "decoder") in rows
    if rows["jpegli", "encoder"]["available"]:
        assert rows["jpegli", "encoder"]["subsamplings"] == ["4:2:0"]
    text = subprocess.run([sys.executable, "-m", "jpegtutor.cli", "methods"], capture_output=True, text=True).stdout
    assert "talebi+mozjpeg" in text and "trained 8-25" in text


def test_zoo_ships_weights_with_card_and_manifest_and_refuses_a_changed_file(tmp_path, monkeypatch):
    import torch

    from jpegtutor import zoo

    monkeypatch.setattr(zoo, "WEIGHTS_DIR", tmp_path / "weights")
    monkeypatch.setattr(zoo, "MANIFEST_PATH", tmp_path / "manifest.json")
    (tmp_path / "weights").mkdir()
    (tmp_path / "manifest.json").write_text("{}")
    torch.save({"w": torch.ones(2)}, tmp_path / "run.pt")
    zoo.ship("demo", tmp_path / "run.pt", {"command": "python -m jpegtutor.experiments.demo train"})
    assert zoo.manifest()["demo"]["file"] == "demo.pt" and zoo.card("demo")["sha256"] == zoo.manifest()["demo"]["sha256"]
    assert torch.equal(zoo.load_state("demo")["w"], torch.ones(2))
    torch.save({"w": torch.zeros(2)}, tmp_path / "weights" / "demo.pt")  # changed behind the manifest's back
    with pytest.raises(zoo.WeightsError, match="SHA-256"):
        zoo.path("demo")
    with pytest.raises(ValueError, match="the zoo has: demo"):
        zoo.path("nope")


def test_zoo_downloads_a_url_entry_once_and_checks_it(tmp_path, monkeypatch):
    """The online path for weights too large to ship, served from a local copy (file://)."""
    import hashlib

    import torch

    from jpegtutor import zoo
    from jpegtutor.resources import ResourceNotFoundError

    source = tmp_path / "remote.pt"
    torch.save({"w": torch.arange(3.0)}, source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    monkeypatch.setattr(zoo, "WEIGHTS_DIR", tmp_path / "weights")
    monkeypatch.setattr(zoo, "MANIFEST_PATH", tmp_path / "manifest.json")
    monkeypatch.setenv("JPEGTUTOR_CACHE", str(tmp_path / "cache"))
    entry = {"file": "big.pt", "sha256": digest, "card": None, "description": "test", "url": source.as_uri()}
    (tmp_path / "manifest.json").write_text(__import__("json").dumps({"big": entry}))
    monkeypatch.setenv("JPEGTUTOR_OFFLINE", "1")
    with pytest.raises(ResourceNotFoundError, match="JPEGTUTOR_OFFLINE"):
        zoo.path("big")
    monkeypatch.setenv("JPEGTUTOR_OFFLINE", "0")
    assert torch.equal(zoo.load_state("big")["w"], torch.arange(3.0))
    assert (tmp_path / "cache" / "weights" / "big.pt").read_bytes() == source.read_bytes()
    (tmp_path / "cache" / "weights" / "big.pt").unlink()
    (tmp_path / "manifest.json").write_text(__import__("json").dumps({"big": {**entry, "sha256": "0" * 64}}))
    with pytest.raises(ValueError, match="checksum"):
        zoo.path("big")
    assert not (tmp_path / "cache" / "weights" / "big.pt").exists()  # a bad download leaves nothing behind
