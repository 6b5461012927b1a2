"""The `kolors` command, run as a real process."""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


def kolors(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(REPO / "app"))
    return subprocess.run([sys.executable, "-m", "kolors", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png(path: Path) -> None:
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
                     + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + _png_chunk(b"IEND", b""))


def test_enhance_with_preset_and_sets(sample_png, tmp_path):
    out = tmp_path / "out.jpg"
    r = kolors("enhance", sample_png, "-o", out, "--preset", "cinema", "--set", "chroma_boost=1.2",
               "--quality", "90")
    assert r.returncode == 0, r.stderr
    im = Image.open(out)
    assert im.size == (768, 512) and im.format == "JPEG"
    assert im.info.get("icc_profile"), "exports carry an sRGB profile"


def test_enhance_task_16bit_tiff(sample_png, tmp_path):
    out = tmp_path / "out.tif"
    r = kolors("enhance", sample_png, "-o", out, "--task", "color_enhance", "--intensity", "0.8", "--bits", "16",
               "--model", "classic")
    assert r.returncode == 0, r.stderr
    from kolors.io.images import read_image
    ph = read_image(out)
    assert ph.data.dtype == np.uint16 and ph.data.shape == (512, 768, 3)


def test_batch_reports_a_bad_file_and_goes_on(sample_png, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(sample_png, src / "a.png")
    shutil.copy(sample_png, src / "b.png")
    (src / "c.jpg").write_text("not a photo")
    r = kolors("batch", src, "-o", tmp_path / "out", "--format", "png", "--preset", "vivid")
    assert r.returncode == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png"]
    assert "c.jpg" in r.stderr and "2 of 3" in r.stderr


def test_presets_lut_info_params(tmp_path, sample_png):
    r = kolors("presets")
    assert r.returncode == 0 and "cinema" in r.stdout and len(r.stdout.splitlines()) >= 12
    r = kolors("presets", "show", "cinema")
    assert r.returncode == 0 and '"film_strength"' in r.stdout
    cube = tmp_path / "c.cube"
    r = kolors("lut", "-o", cube, "--preset", "cinema", "--size", "17")
    assert r.returncode == 0, r.stderr
    assert "LUT_3D_SIZE 17" in cube.read_text()
    r = kolors("info", sample_png)
    assert r.returncode == 0 and "768" in r.stdout
    r = kolors("params")
    assert r.returncode == 0 and "chroma_boost" in r.stdout and "wb_gains" not in r.stdout


def _bad_inputs(tmp: Path, sample: Path) -> dict[str, tuple[list, str]]:
    empty = tmp / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp / "notes.jpg"
    text.write_text("hello, this is text")
    trunc = tmp / "trunc.jpg"
    Image.open(sample).convert("RGB").save(tmp / "full.jpg", quality=90)
    data = (tmp / "full.jpg").read_bytes()
    trunc.write_bytes(data[: len(data) // 2])
    huge = tmp / "huge.png"
    huge_png(huge)
    cube = tmp / "bad.cube"
    cube.write_text("LUT_3D_SIZE 2\n0 0 0\n1 0 0\nbanana 1 0\n")
    return {
        "missing": (["enhance", tmp / "nope.jpg"], "nope.jpg"),
        "empty": (["enhance", empty], "empty.jpg"),
        "truncated": (["enhance", trunc], "trunc.jpg"),
        "text": (["enhance", text], "notes.jpg"),
        "huge": (["enhance", huge], "huge.png"),
        "preset": (["enhance", sample, "--preset", "no_such_preset"], "no_such_preset"),
        "cube": (["enhance", sample, "--set", f"lut_file={cube}"], "bad.cube"),
        "range": (["enhance", sample, "--set", "chroma_boost=7"], "chroma_boost"),
        "param": (["enhance", sample, "--set", "sparkle=1"], "sparkle"),
        "task": (["enhance", sample, "--task", "magic"], "magic"),
    }


@pytest.mark.parametrize("case", ["missing", "empty", "truncated", "text", "huge", "preset", "cube", "range",
                                  "param", "task"])
def test_bad_input_one_line_nonzero_no_output(case, tmp_path, sample_png):
    args, needle = _bad_inputs(tmp_path, sample_png)[case]
    out = tmp_path / "result.jpg"
    r = kolors(*args, "-o", out)
    assert r.returncode != 0
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("kolors: error:") and needle in lines[0], lines[0]
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".result") or "result" in p.name]


def test_refuses_to_overwrite_the_input(sample_png):
    before = sample_png.read_bytes()
    r = kolors("enhance", sample_png, "-o", sample_png, "--preset", "cinema")
    assert r.returncode != 0 and "overwrite" in r.stderr
    assert sample_png.read_bytes() == before


def test_malformed_cube_for_lut_command(tmp_path):
    r = kolors("lut", "-o", tmp_path / "x.txt")
    assert r.returncode != 0 and ".cube" in r.stderr
