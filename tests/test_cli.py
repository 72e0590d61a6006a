import json
import subprocess
import sys

import numpy as np

from jpegtutor.image import write_image
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
