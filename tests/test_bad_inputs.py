"""Every CLI command over a table of bad inputs: the exit code, a one-line message, no traceback,
no hang, no partial output. Runs in-process through ``jpegtutor.cli.main`` (an exception escaping
it fails the test), each call timed."""

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from jpegtutor.cli import main
from jpegtutor.resources import repo_root

SAMPLE = next((repo_root() / "jpegtutor" / "samples").glob("*.png"))
LIMIT_S = 60


def _png_claiming(width, height):
    """A PNG header that claims a huge image (Pillow's decompression-bomb guard refuses it)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")


def _jpeg(image, **options):
    buffer = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def _sof_patched(data, marker, precision=None):
    """A baseline file whose SOF0 is relabelled (arithmetic SOF9, 12-bit SOF1): headers a decoder must refuse."""
    data = bytearray(data)
    at = data.index(b"\xff\xc0")
    data[at + 1] = marker
    if precision is not None:
        data[at + 4] = precision
    return bytes(data)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    rgb = np.asarray(Image.open(SAMPLE).convert("RGB"))[:64, :80].copy()
    files = {"missing": d / "missing.png", "folder": d / "folder"}
    files["folder"].mkdir()
    (d / "empty.png").write_bytes(b"")
    (d / "text.png").write_text("not an image\n")
    Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 128, np.uint8)])).save(d / "rgba.png")
    Image.fromarray((rgb[..., 1].astype(np.uint16) * 257)).save(d / "grey16.png")
    Image.fromarray(rgb).convert("P").save(d / "palette.png")
    Image.fromarray(rgb[..., 1]).save(d / "grey.png")
    Image.fromarray(rgb[:1, :1]).save(d / "1x1.png")
    Image.fromarray(np.tile(rgb[:10, :50], (1, 200, 1))).save(d / "10000x10.png")
    (d / "truncated.png").write_bytes((d / "rgba.png").read_bytes()[:200])
    (d / "bomb.png").write_bytes(_png_claiming(20000, 20000))
    for name in ("empty", "text", "rgba", "grey16", "palette", "grey", "1x1", "10000x10", "truncated", "bomb"):
        files[name] = d / f"{name}.png"
    baseline = _jpeg(rgb, quality=60)
    jpegs = {"baseline": baseline, "truncated": baseline[: len(baseline) // 2], "progressive": _jpeg(rgb, progressive=True),
             "cmyk": _jpeg(Image.fromarray(rgb).convert("CMYK")), "restart": _jpeg(rgb, restart_marker_blocks=2),
             "12-bit": _sof_patched(baseline, 0xC1, precision=12), "arithmetic": _sof_patched(baseline, 0xC9),
             "random-after-header": b"\xff\xd8\xff\xe0" + np.random.default_rng(0).bytes(500), "soi-only": b"\xff\xd8",
             "empty": b""}
    for name, data in jpegs.items():
        files[f"{name}.jpg"] = d / f"{name}.jpg"
        files[f"{name}.jpg"].write_bytes(data)
    (d / "notadir").write_text("a file where a folder should be")
    files["unwritable"] = d / "notadir" / "out.jpg"
    return d, files


# image inputs: expected exit code of encode, rate, simulate, preedit, metrics (0: works, maybe with a warning)
IMAGE_CASES = {
    "missing": (2, 2, 2, 2, 2), "folder": (2, 2, 2, 2, 2), "empty": (2, 2, 2, 2, 2), "text": (2, 2, 2, 2, 2),
    "rgba": (0, 0, 0, 0, 0), "grey16": (0, 0, 0, 0, 0), "palette": (0, 0, 0, 0, 0), "grey": (0, 0, 0, 0, 0),
    "1x1": (0, 0, 0, 2, 0), "10000x10": (0, 0, 0, 0, 0), "truncated": (2, 2, 2, 2, 2), "bomb": (2, 2, 2, 2, 2),
}
# JPEG inputs: expected exit code of decode, inspect
# (inspect still lists the markers of files the decoder does not decode; a truncated file decodes as libjpeg
# decodes it, with a warning)
JPEG_CASES = {"baseline": (0, 0), "truncated": (0, 0), "progressive": (2, 0), "cmyk": (2, 0), "restart": (0, 0),
              "12-bit": (2, 0), "arithmetic": (2, 0), "random-after-header": (2, 2), "soi-only": (2, 2), "empty": (2, 2)}


def _run(capsys, *argv):
    start = time.perf_counter()
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse
        code = exc.code
    assert time.perf_counter() - start < LIMIT_S, f"{argv} took too long"
    out, err = capsys.readouterr()
    return code, out, err


def _check(code, err, expected, outputs, argv):
    assert code == expected, f"{argv}: exit {code}, expected {expected}; stderr: {err}"
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line and "warning:" not in line]
    if expected:
        assert len(errors) == 1 and ": error: " in errors[0], f"{argv}: not one error line: {err!r}"
        assert not any(p.exists() for p in outputs), f"{argv}: left output behind"
    else:
        assert not errors, f"{argv}: {err!r}"
        assert all(p.exists() for p in outputs)


@pytest.mark.parametrize("case", IMAGE_CASES)
def test_image_inputs(case, inputs, capsys, tmp_path):
    _, files = inputs
    source = files[case]
    runs = [("encode", source, tmp_path / "o.jpg", "--quality", "50"), ("rate", source, "--quality", "50"),
            ("simulate", source, tmp_path / "o.png", "--quality", "50"),
            ("preedit", "talebi", source, tmp_path / "p.jpg", "--quality", "15", "--no-lpips"),
            ("metrics", source, source, "--lpips")]
    for argv, expected in zip(runs, IMAGE_CASES[case]):
        code, _, err = _run(capsys, *argv)
        _check(code, err, expected, [a for a in argv if hasattr(a, "suffix") and a.parent == tmp_path], argv)


@pytest.mark.parametrize("case", JPEG_CASES)
def test_jpeg_inputs(case, inputs, capsys, tmp_path):
    _, files = inputs
    source = files[f"{case}.jpg"]
    for argv, expected in zip([("decode", source, tmp_path / "o.png"), ("inspect", source, "--json")], JPEG_CASES[case]):
        code, _, err = _run(capsys, *argv)
        _check(code, err, expected, [a for a in argv if hasattr(a, "suffix") and a.parent == tmp_path], argv)


@pytest.mark.parametrize("quality", ["0", "101", "-5", "abc", "50.5"])
def test_bad_qualities(quality, inputs, capsys, tmp_path):
    _, files = inputs
    for argv in (("encode", SAMPLE, tmp_path / "o.jpg"), ("rate", SAMPLE), ("simulate", SAMPLE, tmp_path / "o.png"),
                 ("preedit", "talebi", SAMPLE, tmp_path / "p.jpg", "--no-lpips")):
        code, _, err = _run(capsys, *argv, "--quality", quality)
        expected = 0 if (argv[0] == "simulate" and quality == "50.5") else 2  # the simulator takes float qualities
        _check(code, err, expected, [a for a in argv if hasattr(a, "suffix") and a.parent == tmp_path], argv)


def test_bad_outputs(inputs, capsys, tmp_path):
    _, files = inputs
    for argv in (("encode", SAMPLE, files["unwritable"]), ("encode", SAMPLE, files["folder"]),
                 ("decode", files["baseline.jpg"], tmp_path / "lossy.jpg"), ("simulate", SAMPLE, files["unwritable"], "--quality", "50"),
                 ("preedit", "talebi", SAMPLE, files["unwritable"], "--quality", "15", "--no-lpips"),
                 ("eval", "--dataset", files["folder"], "--no-lpips"), ("eval", "--dataset", files["missing"], "--no-lpips"),
                 ("eval", "--method", "libjpeg", "--dataset", repo_root() / "jpegtutor" / "samples", "--qualities", "50",
                  "--no-lpips", "--json", files["unwritable"]),
                 ("train", "tiny", "--out", files["unwritable"], "--max-steps", "1"), ("train", "nope", "--out", tmp_path / "r"),
                 ("train", "tiny", "--out", tmp_path / "r", "--set", "batch=abc"), ("data", "locate", "nope"),
                 ("preedit", "nope", SAMPLE, tmp_path / "p.jpg", "--quality", "15"), ("eval", "--method", "webp")):
        code, _, err = _run(capsys, *argv)
        _check(code, err, 2, [tmp_path / "lossy.jpg"], argv)


def test_inspect_reads_a_progressive_files_markers(inputs, capsys):
    import json

    _, files = inputs
    code, out, _ = _run(capsys, "inspect", files["progressive.jpg"], "--json")
    info = json.loads(out)
    assert code == 0 and info["decoded"] is False and "progressive" in info["why_not_decoded"]
    assert info["frame"] == "SOF2" and (info["width"], info["height"]) == (80, 64) and info["scans"] > 1
    assert [s["marker"] for s in info["segments"]][:1] == ["SOI"] and info["segments"][-1]["marker"] == "EOI"
    assert sum(s["length"] for s in info["segments"]) == files["progressive.jpg"].stat().st_size
