"""The benchmark (jpegtutor.eval.benchmark): the registry's client, resumable, honest about what it could not run."""

from __future__ import annotations

import json
import os

import pytest

from jpegtutor import registry
from jpegtutor.cli import main
from jpegtutor.datasets import SAMPLES_DIR
from jpegtutor.eval import benchmark
from jpegtutor.jpeg.encoders import libjpeg_encode


def _coarser(image, quality, subsampling):  # libjpeg-optimized two qualities down: the same curve, other points
    return libjpeg_encode(image, max(1, quality - 2), subsampling, optimize=True)


def _broken(image, quality, subsampling):
    raise RuntimeError("boom")


TEST_METHODS = {
    "test-coarser": registry.Encoder("test-coarser", "libjpeg-optimized two qualities lower", _coarser),
    "test-broken": registry.Encoder("test-broken", "an encoder that fails", _broken),
    "test-missing": registry.Encoder("test-missing", "an encoder not installed here", _coarser,
                                     missing=lambda: "not installed (pip install test-missing)"),
}
IDENTITY = registry.Editor("test-identity", "an editor that changes nothing", lambda checkpoint: lambda image, q, s: image)
PROFILE = benchmark.Profile("test", (str(SAMPLES_DIR),), None, (10, 30, 50, 70, 90), 4, 4, ("4:2:0",))
ONLY = ["libjpeg-optimized", "test-coarser", "test-broken", "test-identity+libjpeg-optimized"]


@pytest.fixture
def registered():
    registry.method_names()
    registry.ENCODERS.update(TEST_METHODS)
    registry.EDITORS["test-identity"] = IDENTITY
    yield
    for name in TEST_METHODS:
        registry.ENCODERS.pop(name, None)
    registry.EDITORS.pop("test-identity", None)


def test_plan_holds_every_registered_method(registered):
    jobs = benchmark.plan(PROFILE)
    labels = {j.label for j in jobs}
    assert {n for n, e in registry.ENCODERS.items() if "4:2:0" in e.subsamplings} <= labels
    assert "struempler" not in labels  # 4:4:4 only: in the profiles that measure 4:4:4
    for name, editor in registry.EDITORS.items():
        if editor.weights:
            assert {f"{name}+{e}" for e in benchmark.PAIRED_ENCODERS} <= labels
    assert {f"libjpeg-optimized->{d}" for d in registry.DECODERS if d != "libjpeg"} <= labels
    assert jobs[0].label == "libjpeg-optimized"
    missing = next(j for j in jobs if j.label == "test-missing")
    assert missing.missing == "not installed (pip install test-missing)"
    assert next(j for j in jobs if j.label == "test-coarser").points == PROFILE.qualities


def test_a_method_registered_later_is_run_measured_and_ranked(registered, tmp_path):
    messages = []
    written = benchmark.run(PROFILE, results=tmp_path, only=ONLY, echo=messages.append)
    assert len(written) == 4
    summary = benchmark.summarize(PROFILE, results=tmp_path, echo=lambda *a: None)
    rows = {r["method"]: r for r in summary["rows"]}
    coarser = rows["test-coarser"]
    assert coarser["status"] == "measured" and coarser["baseline"] == "libjpeg-optimized"
    assert abs(coarser["bd_rate_percent"]["psnr_db"]) < 3  # the same encoder: the same curve
    assert coarser["per_image_psnr"]["images"] == 4
    assert rows["test-broken"]["status"] == "failed: RuntimeError: boom"
    identity = rows["test-identity+libjpeg-optimized"]  # an editor that changes nothing gains nothing on its encoder
    assert identity["on_top_of_encoder"]["encoder"] == "libjpeg-optimized"
    assert abs(identity["on_top_of_encoder"]["bd_rate_percent"]["psnr_db"]) < 1e-6
    assert all(abs(d) < 1e-6 for _, d in identity["on_top_of_encoder"]["rate_difference_percent"]["psnr_db"])
    assert "not yet measured" in rows["test-identity+mozjpeg"]["status"]
    assert rows["test-missing"]["status"].startswith("not available: not installed")
    assert rows["mozjpeg"]["status"].startswith("not yet measured")
    assert "bd_rate_percent" not in rows["libjpeg-optimized"]
    on_disk = json.loads((tmp_path / "benchmark" / "test" / "summary.json").read_text())
    assert on_disk["fields"] == benchmark.LEADERBOARD_FIELDS and "command" in on_disk

    # resumable: what was measured is not measured again and its file is not rewritten; the failed job is tried again
    stamps = {p: os.stat(p).st_mtime_ns for p in written}
    messages.clear()
    again = benchmark.run(PROFILE, results=tmp_path, only=ONLY, echo=messages.append)
    assert "4 jobs, 3 already measured, 1 to run" in messages[0]
    assert sorted(again) == sorted(written)
    assert all(os.stat(p).st_mtime_ns == stamps[p] for p in written if "test-broken" not in p.name)


def test_an_experiment_result_with_the_same_settings_is_reused(registered, tmp_path):
    benchmark.run(PROFILE, results=tmp_path / "first", only=["test-coarser"], echo=lambda *a: None)
    result = json.loads((tmp_path / "first" / "benchmark" / "test" / "test-coarser_samples_420.json").read_text())
    (tmp_path / "second" / "chapter").mkdir(parents=True)
    (tmp_path / "second" / "chapter" / "coarser.json").write_text(json.dumps(result))
    messages = []
    written = benchmark.run(PROFILE, results=tmp_path / "second", only=["test-coarser"], echo=messages.append)
    adopted = json.loads(written[0].read_text())
    assert adopted["reused_from"] == "chapter/coarser.json"
    assert any("reused chapter/coarser.json" in m for m in messages)
    fresh = benchmark.run(PROFILE, results=tmp_path / "third", reuse=False, only=["test-coarser"], echo=lambda *a: None)
    assert "reused_from" not in json.loads(fresh[0].read_text())


def test_a_job_over_its_time_budget_runs_on_the_first_images_and_says_so(registered, tmp_path):
    few = benchmark.Profile("tight", (str(tmp_path / "images"),), None, PROFILE.qualities, 4, 4, ("4:2:0",), job_budget_s=1e-6)
    (tmp_path / "images").mkdir()
    for i in range(5):  # five images: the budget keeps four
        (tmp_path / "images" / f"{i}.png").write_bytes(next(SAMPLES_DIR.glob("*.png")).read_bytes())
    benchmark.run(few, results=tmp_path, only=["libjpeg-optimized", "test-coarser"], echo=lambda *a: None)
    row = next(r for r in benchmark.summarize(few, results=tmp_path, echo=lambda *a: None)["rows"]
               if r["method"] == "test-coarser")
    assert row["images_limited"].startswith("first 4 of 5 images")
    assert row["per_image_psnr"]["images"] == 4 and isinstance(row["bd_rate_percent"]["psnr_db"], float)


def test_best_names_the_lowest_bd_rate_and_its_margin_over_jpegli():
    rows = [{"method": m, "dataset": "kodak", "subsampling": "4:2:0", "bd_rate_percent": {"psnr_db": v}}
            for m, v in (("a", -5.0), ("jpegli-optimized", -3.0), ("b", 2.0))]
    top = benchmark.best({"rows": rows}, "psnr_db", "all")
    assert top == {"method": "a", "bd_rate_percent": -5.0, "margin_over_reference": -2.0, "reference": "jpegli-optimized"}
    assert benchmark.best({"rows": rows}, "lpips_alex", "all") is None


@pytest.mark.parametrize("argv, message", [(["--shard", "3/2"], "--shard: I must be in 1..N"),
                                           (["--shard", "x"], "--shard: expected I/N"),
                                           (["--profile", "huge"], "invalid choice")])
def test_cli_errors_are_one_line(argv, message, capsys):
    try:
        code = main(["benchmark", *argv])
    except SystemExit as exc:  # argparse's own errors exit
        code = exc.code
    err = capsys.readouterr().err
    assert code != 0 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cli_list_prints_every_job(capsys):
    assert main(["benchmark", "--list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(benchmark.plan("quick"))
    assert any(line.startswith("tiny+libjpeg-optimized") and "not available" in line for line in lines)
