"""Part III, evaluation: BD-rate rules, the harness with real files, its CLI."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from jpegtutor import eval as evaluation
from jpegtutor.image import read_image, write_image
from jpegtutor.metrics.bd import bd_metric, bd_rate

RATES = np.array([0.2, 0.4, 0.8, 1.6])
PSNR = np.array([28.0, 31.0, 34.0, 37.0])


def test_bd_rate_and_metric_known_answers():
    assert bd_rate(RATES, PSNR, RATES, PSNR) == pytest.approx(0, abs=1e-9)
    assert bd_metric(RATES, PSNR, RATES, PSNR) == pytest.approx(0, abs=1e-9)
    assert bd_rate(RATES, PSNR, 0.9 * RATES, PSNR) == pytest.approx(-10.0, abs=1e-6)  # 10 % fewer bits everywhere
    assert bd_metric(RATES, PSNR, RATES, PSNR + 0.5) == pytest.approx(0.5, abs=1e-6)
    lpips = np.array([0.5, 0.4, 0.3, 0.2])  # lower is better
    assert bd_rate(RATES, lpips, 0.8 * RATES, lpips, higher_is_better=False) == pytest.approx(-20.0, abs=1e-6)
    assert bd_metric(RATES, lpips, RATES, lpips - 0.05, higher_is_better=False) == pytest.approx(-0.05, abs=1e-6)
    assert bd_rate(RATES[::-1], PSNR[::-1], RATES, PSNR) == pytest.approx(0, abs=1e-9)  # order does not matter


def test_bd_rules_raise_clear_errors():
    with pytest.raises(ValueError, match="do not overlap"):
        bd_rate(RATES, PSNR, RATES, PSNR + 20)
    with pytest.raises(ValueError, match="do not overlap in rate"):
        bd_metric(RATES, PSNR, RATES * 100, PSNR)
    with pytest.raises(ValueError, match="at least 4"):
        bd_rate(RATES[:3], PSNR[:3], RATES, PSNR)
    with pytest.raises(ValueError, match="increase strictly"):
        bd_rate(RATES, [28, 31, 30, 37], RATES, PSNR)
    with pytest.raises(ValueError, match="method"):
        bd_rate(RATES, PSNR, RATES, PSNR, method="linear")
    with pytest.raises(ValueError, match="positive"):
        bd_rate(RATES * 0, PSNR, RATES, PSNR)


@pytest.fixture(scope="module")
def folder(shared, tmp_path_factory):
    """Three 192x192 crops (MS-SSIM needs more than 160 pixels a side)."""
    out = tmp_path_factory.mktemp("crops")
    for name in ("kodim01.png", "kodim05.png", "kodim23.png"):
        write_image(out / name, read_image(shared / "data" / "kodak" / name)[100:292, 200:392])
    return out


QUALITIES = (10, 30, 50, 70, 90)


def test_method_against_itself_is_zero_and_optimized_huffman_saves_what_the_files_say(folder):
    result = evaluation.evaluate("libjpeg-optimized", str(folder), QUALITIES, baseline="libjpeg", use_lpips=False)
    assert set(result["bd_rate_percent"]) == {"psnr_db", "psnr_y_db", "ssim", "ms_ssim"}
    baseline = evaluation.evaluate("libjpeg", str(folder), QUALITIES, use_lpips=False)
    ratios = [o["bpp"] / b["bpp"] - 1 for o, b in zip(result["points"], baseline["points"])]
    for name, value in result["bd_rate_percent"].items():
        assert 100 * min(ratios) - 1e-6 <= value <= 100 * max(ratios) + 1e-6 < 0, (name, value, ratios)
        assert result["bd_metric"][name] > 0  # same pixels at lower rates: better at equal rate
    for o, b in zip(result["points"], baseline["points"]):
        assert o["psnr_db"] == b["psnr_db"] and o["bpp"] < b["bpp"]  # identical pixels, fewer bits
    same = evaluation.evaluate("libjpeg", str(folder), QUALITIES, baseline=baseline, use_lpips=False)
    assert all(abs(v) < 1e-9 for v in same["bd_rate_percent"].values())


def test_points_average_the_images_and_errors_are_named(folder):
    result = evaluation.evaluate("libjpeg", str(folder), (20, 60), use_lpips=True, limit=2)
    assert [im["name"] for im in result["images"]] == ["kodim01.png", "kodim05.png"]
    first = result["points"][0]
    assert set(first) >= {"quality", "bpp", "psnr_db", "psnr_y_db", "ssim", "ms_ssim", "lpips_alex", "seconds"}
    assert first["bpp"] == pytest.approx(np.mean([im["points"][0]["bpp"] for im in result["images"]]))
    assert 0 < first["lpips_alex"] < 1 and result["points"][1]["psnr_db"] > first["psnr_db"]
    with pytest.raises(ValueError, match="unknown method"):
        evaluation.evaluate("webp", str(folder))
    with pytest.raises(ValueError, match="quality must be in 1-100"):
        evaluation.evaluate("libjpeg", str(folder), (0, 50))


def test_leaderboard_replaces_its_entry(tmp_path, folder):
    result = evaluation.evaluate("libjpeg-optimized", str(folder), QUALITIES, baseline="libjpeg", use_lpips=False, limit=1)
    board_path = tmp_path / "leaderboard.json"
    evaluation.update_leaderboard(result, board_path)
    board = evaluation.update_leaderboard(result, board_path, "x.json")
    assert len(board["entries"]) == 1 and board["entries"][0]["results_file"] == "x.json"


def test_cli_eval_writes_json_and_shows_progress(tmp_path, folder):
    out = tmp_path / "r.json"
    env = {**os.environ, "JPEGTUTOR_PROGRESS": "1"}
    result = subprocess.run([sys.executable, "-m", "jpegtutor.cli", "eval", "--method", "libjpeg-optimized", "--dataset",
                             str(folder), "--qualities", "10,30,50,70", "--baseline", "libjpeg", "--no-lpips", "--json", str(out)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "eval libjpeg-optimized" in result.stderr and "3/3" in result.stderr  # the progress bar
    fields = json.loads(out.read_text())
    assert [p["quality"] for p in fields["points"]] == [10, 30, 50, 70] and len(fields["images"]) == 3
    assert fields["bd_rate_percent"]["psnr_db"] < 0 and "BD-rate vs libjpeg" in result.stdout
    bad = subprocess.run([sys.executable, "-m", "jpegtutor.cli", "eval", "--dataset", str(tmp_path / "nothing")],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "nothing" in bad.stderr


def test_bd_rate_within_bpp_windows(folder):
    result = evaluation.evaluate("libjpeg-optimized", str(folder), (2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90),
                                 baseline="libjpeg", use_lpips=False)
    windows = result["bd_rate_percent_by_range"]
    assert set(windows) == {"0.1-0.6 bpp", "0.6-1.5 bpp"}
    low, high = windows["0.1-0.6 bpp"]["psnr_db"], windows["0.6-1.5 bpp"]["psnr_db"]
    # optimized Huffman tables save a larger share of the bits at low rates (the files say so too)
    assert low < high < 0


def test_save_files_keeps_every_measured_file(tmp_path, folder):
    from PIL import Image

    files = tmp_path / "files"
    result = evaluation.evaluate("libjpeg-progressive", str(folder), (20, 60), use_lpips=False, save_files=files)
    for image in result["images"]:
        for point in image["points"]:
            path = files / point["file"]
            assert path.stat().st_size == point["bytes"] and Image.open(path).format == "JPEG"
    assert result["images"][0]["points"][0]["file"] == "kodim01/quality-20.jpg"


def _synthetic(name, scale, images=6, seed=0):
    """An evaluate()-shaped result: each image's PSNR curve over bpp, its rates scaled by ``scale``."""
    rng = np.random.default_rng(seed)
    qualities = [10, 20, 30, 50, 75]
    result = {"method": name, "operating_point": "quality", "qualities": qualities, "images": []}
    for i in range(images):
        base = rng.uniform(0.2, 0.5)
        points = [{"quality": q, "bpp": scale * base * (1 + q / 25), "psnr_db": 25 + 8 * np.log2(1 + q / 25) + i}
                  for q in qualities]
        result["images"].append({"name": f"im{i}.png", "points": points})
    result["points"] = evaluation.harness._mean_points(result["images"], qualities, "quality")
    return result


def test_per_image_and_bootstrap_bd_rate_recover_a_known_saving():
    reference, better = _synthetic("ref", 1.0), _synthetic("better", 0.9)  # 10 % fewer bits everywhere
    assert evaluation.per_image_bd_rate(better, reference) == pytest.approx([-10.0] * 6, abs=1e-6)
    interval = evaluation.bootstrap_bd_rate(better, reference, resamples=200)
    assert interval["bd_rate_percent"] == pytest.approx(-10.0, abs=1e-6)
    assert interval["low"] <= interval["bd_rate_percent"] <= interval["high"] and interval["draws"] == 200
    mixed = _synthetic("mixed", 1.0)
    for k, image in enumerate(mixed["images"]):  # half the images save 20 %, half lose 20 %: a wide interval
        for p in image["points"]:
            p["bpp"] *= 0.8 if k % 2 else 1.2
    mixed["points"] = evaluation.harness._mean_points(mixed["images"], mixed["qualities"], "quality")
    wide = evaluation.bootstrap_bd_rate(mixed, reference, resamples=300)
    assert wide["low"] < -5 and wide["high"] > 5
    other = _synthetic("other", 1.0)
    other["images"][0]["name"] = "elsewhere.png"
    with pytest.raises(ValueError, match="different images"):
        evaluation.bootstrap_bd_rate(other, reference)


def test_rate_difference_is_the_bit_saving_at_equal_quality():
    reference, better = _synthetic("ref", 1.0), _synthetic("better", 0.9)
    differences = evaluation.rate_difference(better["points"], reference["points"])
    assert len(differences) >= 3  # the lowest points fall below the reference's range and are left out
    assert [d for _, d in differences] == pytest.approx([-10.0] * len(differences), abs=0.5)
    with pytest.raises(ValueError, match="metric must be one of"):
        evaluation.rate_difference(better["points"], reference["points"], "bits")
