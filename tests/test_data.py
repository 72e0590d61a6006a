import shutil

import numpy as np
import pytest

from jpegtutor import datasets
from jpegtutor.image import read_image, to_tensor, to_uint8, write_image
from jpegtutor.resources import download, sha256_file


def test_kodak_loads_24_rgb_images_of_the_right_sizes(shared):
    images = datasets.load("kodak")
    assert len(images) == 24
    assert all(im.dtype == np.uint8 and im.ndim == 3 and im.shape[2] == 3 for im in images)
    portrait = {4, 9, 10, 17, 18, 19}
    for i, im in enumerate(images, start=1):
        assert im.shape[:2] == ((768, 512) if i in portrait else (512, 768)), f"kodim{i:02d}"
    assert [p.name for p in datasets.image_paths("kodak")] == sorted(datasets.KODAK_SHA256)


def test_named_datasets_are_found_in_shared(shared):
    assert datasets.locate("kodak") == (shared / "data" / "kodak").resolve() or datasets.locate("kodak").samefile(shared / "data" / "kodak")
    assert len(datasets.image_paths("live1")) == 29
    assert len(datasets.image_paths("bsds500-test")) == 200
    assert len(datasets.image_paths("train")) == 962
    assert datasets.load("live1", limit=2)[0].shape[2] == 3


def test_kodak_checksums_match_the_known_values(shared):
    result = datasets.verify("kodak")
    assert len(result) == 24 and all(result.values())
    assert datasets.DATASETS["kodak"].sha256 == {
        line.split()[1]: line.split()[0]
        for line in (shared / "data" / "kodak" / "SHA256SUMS").read_text().splitlines() if line.strip()
    }


def test_explicit_root_and_environment_win(shared, isolated, monkeypatch):
    folder = isolated / "mine"
    folder.mkdir()
    shutil.copy(shared / "data" / "kodak" / "kodim01.png", folder / "kodim01.png")
    assert datasets.locate("kodak", root=folder) == folder
    env = isolated / "data-env" / "kodak"
    env.mkdir(parents=True)
    shutil.copy(shared / "data" / "kodak" / "kodim02.png", env / "kodim02.png")
    assert datasets.locate("kodak") == env


def test_missing_dataset_lists_every_place_searched(isolated):
    with pytest.raises(datasets.DatasetNotFoundError) as info:
        datasets.load("live1")
    message = str(info.value)
    assert "live1" in message and "Searched" in message
    assert str(isolated / "data-env" / "live1") in message
    assert str(isolated / "cache" / "data" / "live1") in message
    assert "How to get it" in message and "DnCNN" in message


def test_missing_kodak_offline_does_not_download(isolated):
    with pytest.raises(datasets.DatasetNotFoundError, match="JPEGTUTOR_OFFLINE"):
        datasets.locate("kodak")


def test_any_folder_works_and_bad_names_are_explained(tmp_path):
    write_image(tmp_path / "b.png", np.zeros((5, 7, 3), np.uint8))
    write_image(tmp_path / "a.png", np.full((4, 4), 200, np.uint8))
    images = datasets.load(tmp_path)
    assert [im.shape for im in images] == [(4, 4, 3), (5, 7, 3)]  # sorted by name, grey made RGB
    with pytest.raises(datasets.DatasetNotFoundError, match="neither a dataset name"):
        datasets.load("kodakk")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(datasets.DatasetNotFoundError, match="holds no images"):
        datasets.load(empty)
    with pytest.raises(ValueError, match="limit"):
        datasets.load(tmp_path, limit=0)


def test_kodak_download_checks_every_file(shared, isolated, monkeypatch):
    """The real download code, run against a file:// copy of the canonical files."""
    monkeypatch.setenv("JPEGTUTOR_OFFLINE", "0")
    source = isolated / "mirror"
    source.mkdir()
    subset = dict(list(datasets.KODAK_SHA256.items())[:3])
    for name in subset:
        shutil.copy(shared / "data" / "kodak" / name, source / name)
    monkeypatch.setitem(datasets.DATASETS, "kodak", datasets.Dataset(
        "kodak", "subset", 3, "-", url_template=source.as_uri() + "/{file}", sha256=subset))
    folder = datasets.locate("kodak")  # not found anywhere: downloads into $JPEGTUTOR_DATA/kodak
    assert folder == isolated / "data-env" / "kodak"
    assert sorted(p.name for p in folder.iterdir()) == sorted(subset)
    assert all(sha256_file(folder / n) == d for n, d in subset.items())


def test_download_rejects_a_corrupted_file_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("JPEGTUTOR_OFFLINE", "0")
    src = tmp_path / "src.bin"
    src.write_bytes(b"real bytes")
    dest = tmp_path / "out" / "file.bin"
    with pytest.raises(ValueError, match="checksum mismatch"):
        download(src.as_uri(), dest, sha256="0" * 64)
    assert not dest.exists() and not list(dest.parent.glob("*.part"))
    good = download(src.as_uri(), dest, sha256=sha256_file(src))
    assert good.read_bytes() == b"real bytes"
    with pytest.raises(ConnectionError, match="could not download"):
        download((tmp_path / "missing").as_uri(), tmp_path / "x")
    monkeypatch.setenv("JPEGTUTOR_OFFLINE", "1")
    with pytest.raises(ConnectionError, match="JPEGTUTOR_OFFLINE"):
        download(src.as_uri(), tmp_path / "y")


def test_samples_ship_with_the_package(shared):
    paths = datasets.sample_paths()
    assert len(paths) == 4
    sample = datasets.load_sample("kodim23")
    assert sample.shape == (256, 256, 3)
    # an exact crop of the Kodak image, at the corner its name gives
    full = read_image(shared / "data" / "kodak" / "kodim23.png")
    assert np.array_equal(sample, full[60:316, 300:556])
    with pytest.raises(ValueError, match="available"):
        datasets.load_sample("lena")


def test_read_image_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_image(tmp_path / "nope.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(ValueError, match="cannot read"):
        read_image(bad)


def test_tensor_round_trip_is_exact():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (9, 13, 3), dtype=np.uint8)
    tensor = to_tensor(image)
    assert tensor.shape == (1, 3, 9, 13) and tensor.dtype.is_floating_point
    assert 0 <= tensor.min() and tensor.max() <= 1
    assert np.array_equal(to_uint8(tensor)[0], image)
    assert np.array_equal(to_uint8(tensor[0]), image)
    with pytest.raises(TypeError, match="uint8"):
        to_tensor(image.astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        to_tensor(np.zeros((4, 4, 4), np.uint8))


def test_colab_layout_finds_results_and_falls_back_to_samples(isolated, monkeypatch, repo):
    """A clone beside a non-editable install, the notebook running in chapters/ (the Colab setup cell)."""
    import jpegtutor.resources as resources

    clone = isolated / "clone"
    (clone / "data" / "results").mkdir(parents=True)
    (clone / "chapters").mkdir()
    (clone / "data" / "results" / "noref_quality.json").write_text('{"spearman": 0.9}')
    monkeypatch.setattr(resources, "repo_root", lambda: None)
    monkeypatch.chdir(clone / "chapters")
    assert resources.load_result("noref_quality.json") == {"spearman": 0.9}
    with pytest.raises(resources.ResourceNotFoundError, match="looked in"):
        resources.load_result("missing.json")
    with pytest.warns(datasets.SamplesFallbackWarning, match="live1"):
        folder = datasets.locate_or_samples("live1")
    assert len(datasets.image_paths(folder)) == 4
