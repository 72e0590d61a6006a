import json
import subprocess
import sys

import numpy as np
import pytest

from jpegtutor.image import write_image
from jpegtutor.resources import repo_root

REPO = repo_root()
from jpegtutor.jpeg import pillow_decode, pillow_encode


def run(*args):
    return subprocess.run([sys.executable, "-m", "jpegtutor.cli", *args], capture_output=True, text=True)


def test_help_and_version():
    result = run("--help")
    assert result.returncode == 0
    for command in ("book", "data", "metrics"):
        assert command in result.stdout
    book_help = run("book", "--help")
    for action in ("sync", "check", "build", "list", "execute"):
        assert action in book_help.stdout
    assert run("--version").stdout.startswith("jpegtutor ")
    assert run("nonsense").returncode == 2


def test_metrics_command(tmp_path, shared):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (180, 200, 3), dtype=np.uint8)
    write_image(tmp_path / "a.png", image)
    write_image(tmp_path / "b.png", pillow_decode(pillow_encode(image, 30)))
    result = run("metrics", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--json")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert set(values) == {"psnr_db", "psnr_y_db", "ssim", "ms_ssim", "lpips_alex"}
    assert 5 < values["psnr_db"] < 40 and 0 < values["lpips_alex"] < 1


def test_metrics_command_reports_bad_input(tmp_path):
    write_image(tmp_path / "a.png", np.zeros((40, 40, 3), np.uint8))
    write_image(tmp_path / "b.png", np.zeros((40, 41, 3), np.uint8))
    result = run("metrics", str(tmp_path / "a.png"), str(tmp_path / "b.png"))
    assert result.returncode != 0 and "differ in size" in result.stderr
    result = run("metrics", str(tmp_path / "a.png"), str(tmp_path / "missing.png"))
    assert result.returncode == 2 and "no image file" in result.stderr


def test_data_commands(shared):
    listing = run("data", "list")
    assert listing.returncode == 0 and "kodak" in listing.stdout and "live1" in listing.stdout
    verified = run("data", "verify", "kodak")
    assert verified.returncode == 0 and "24/24" in verified.stdout
    missing = run("data", "locate", "nonexistent-set")
    assert missing.returncode == 2 and "neither a dataset name" in missing.stderr


def test_oserrors_and_ctrl_c_give_one_line_not_a_traceback(tmp_path, monkeypatch, capsys):
    from jpegtutor import cli

    result = run("decode", str(tmp_path), str(tmp_path / "out.png"))  # a folder given as the input
    assert result.returncode == 2 and "is a folder" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

    def interrupted(args):
        raise KeyboardInterrupt

    parser_default = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda: _with_func(parser_default(), "inspect", interrupted))
    assert cli.main(["inspect", "x.jpg"]) == 130 and "interrupted" in capsys.readouterr().err


def _with_func(parser, command, func):
    parser._subparsers._group_actions[0].choices[command].set_defaults(func=func)
    return parser


def test_sixteen_bit_and_transparent_inputs_are_converted_and_reported(tmp_path):
    from PIL import Image

    from jpegtutor.image import ImageConversionWarning, read_image

    ramp = (np.arange(32 * 32, dtype=np.uint32).reshape(32, 32) * 64).astype(np.uint16)  # 0 to 65472
    Image.fromarray(ramp).save(tmp_path / "grey16.png")
    with pytest.warns(ImageConversionWarning, match="scaled"):
        image = read_image(tmp_path / "grey16.png")
    assert image.min() == 0 and image.max() == 255 and len(np.unique(image)) > 200  # not all white
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., 0], rgba[:8, :, 3] = 200, 255  # top half opaque red, bottom half transparent
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    with pytest.warns(ImageConversionWarning, match="composited over white"):
        image = read_image(tmp_path / "rgba.png")
    assert image[0, 0].tolist() == [200, 0, 0] and image[15, 15].tolist() == [255, 255, 255]
    result = run("encode", str(tmp_path / "grey16.png"), str(tmp_path / "out.jpg"), "--quality", "50")
    assert result.returncode == 0 and "warning: grey16.png: I;16 greyscale scaled" in result.stderr
    assert pillow_decode((tmp_path / "out.jpg").read_bytes()).mean() < 200  # the ramp, not a white page


def test_a_greyscale_file_stays_greyscale_and_matches_pillow(tmp_path):
    from PIL import Image

    grey = np.random.default_rng(1).integers(0, 256, (40, 52), dtype=np.uint8)
    Image.fromarray(grey).save(tmp_path / "grey.png")
    assert run("encode", str(tmp_path / "grey.png"), str(tmp_path / "g.jpg"), "--quality", "60").returncode == 0
    import io

    pillow = io.BytesIO()
    Image.fromarray(grey).save(pillow, "JPEG", quality=60)
    assert (tmp_path / "g.jpg").read_bytes() == pillow.getvalue()  # one component, 1x1, as libjpeg writes it
    with Image.open(tmp_path / "g.jpg") as written:
        assert written.mode == "L"


def test_bench_train_times_both_paths_of_a_registered_recipe():
    result = run("bench", "train", "--recipe", "tiny", "--steps", "1", "--repeats", "1", "--size", "16", "--batch", "2",
                 "--loss-steps", "3", "--json")
    assert result.returncode == 0, result.stderr
    fields = json.loads(result.stdout)
    assert fields["recipe"] == "tiny" and fields["reference_img_per_s"] > 0 and fields["fast_img_per_s"] > 0
    assert fields["loss_steps"] == 3 and abs(fields["loss_relative_difference"]) < 0.02  # the same training, faster
    bad = run("bench", "train", "--recipe", "nope")
    assert bad.returncode == 2 and "unknown recipe 'nope'" in bad.stderr and "talebi" in bad.stderr


def test_train_set_rejects_fields_that_have_their_own_flags(tmp_path):
    result = run("train", "tiny", "--out", str(tmp_path / "run"), "--set", "seed=5")
    assert result.returncode == 2 and "--set expects KEY=VALUE" in result.stderr and "Traceback" not in result.stderr


def test_a_failed_download_is_one_line_with_the_fix(isolated, monkeypatch, capsys):
    """No ImageNet weights and no network: the first LPIPS call tries a download, which fails."""
    import jpegtutor.metrics.lpips_network as network
    from jpegtutor import cli

    monkeypatch.setenv("JPEGTUTOR_OFFLINE", "0")

    def no_network(url, *args, **kwargs):
        raise ConnectionError(f"could not download {url}: [Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(network, "download", no_network)
    monkeypatch.setattr(network, "_CACHE", {})  # a network an earlier test built would hide the download
    sample = next((REPO / "jpegtutor" / "samples").glob("*.png"))
    assert cli.main(["metrics", str(sample), str(sample)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "could not download" in err[0] and "JPEGTUTOR_WEIGHTS" in err[0]
