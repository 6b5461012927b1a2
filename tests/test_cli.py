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


@pytest.fixture(scope="module")
def engine():
    """The engine the CLI runs (its default model), on the CPU as the CLI is told to be."""
    from kolors import Enhancer
    return Enhancer(model_type="general", device="cpu")


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int64) - b.astype(np.int64)).mean())


def test_enhance_with_preset_and_sets(sample_png, tmp_path, engine):
    from kolors.io.images import read_image
    out = tmp_path / "out.jpg"
    r = kolors("enhance", sample_png, "-o", out, "--preset", "cinema", "--set", "chroma_boost=1.2",
               "--quality", "90", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    im = Image.open(out)
    assert im.size == (768, 512) and im.format == "JPEG"
    assert im.info.get("icc_profile"), "exports carry an sRGB profile"
    got = read_image(out).data
    # the engine's own file for the same request: the same JPEG
    ref = engine.enhance_file(sample_png, tmp_path / "ref.jpg", preset="cinema", quality=90, chroma_boost=1.2)
    assert np.array_equal(got, read_image(ref).data)
    # and it holds the engine's render of cinema + chroma_boost=1.2, not another grade: JPEG
    # at quality 90 (4:2:0 chroma) is ~1.8 levels off on average (p99 8); the cinema grade
    # without the boost is 8 levels away, the source 12
    src = read_image(sample_png).data
    settings = engine.resolve_settings(None, None, 1.0, None, "cinema", {"chroma_boost": 1.2})
    assert settings["chroma_boost"] == 1.2 and settings["film_strength"] == 0.7
    want = engine.render(src, settings, out_dtype=np.uint8)
    no_boost = engine.render(src, engine.resolve_settings(None, None, 1.0, None, "cinema", {}), out_dtype=np.uint8)
    assert _diff(got, want) <= 3.0, _diff(got, want)
    assert _diff(got, no_boost) >= 5.0 and _diff(got, src) >= 8.0, (_diff(got, no_boost), _diff(got, src))


def test_enhance_task_16bit_tiff(sample_png, tmp_path):
    from kolors import Enhancer
    from kolors.engine.enhancer import thumb_linear
    from kolors.io.images import read_image
    out = tmp_path / "out.tif"
    r = kolors("enhance", sample_png, "-o", out, "--task", "color_enhance", "--intensity", "0.8", "--bits", "16",
               "--model", "classic", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    ph = read_image(out)
    assert ph.data.dtype == np.uint16 and ph.data.shape == (512, 768, 3)
    # the task's settings at intensity 0.8, as the engine resolves them, rendered in 16 bits
    enh = Enhancer(model_type="classic", device="cpu")
    src = read_image(sample_png).data
    settings = enh.resolve_settings(thumb_linear(src), "color_enhance", 0.8, None, None, {})
    assert settings and "vibrance" in settings
    want = enh.render(src, settings, out_dtype=np.uint16)
    assert np.array_equal(ph.data, want)
    # the task changed the photo (~20 of 255 levels), and the intensity was applied (full
    # strength is another ~5 levels away)
    full = enh.render(src, enh.resolve_settings(thumb_linear(src), "color_enhance", 1.0, None, None, {}),
                      out_dtype=np.uint16)
    assert _diff(ph.data, src.astype(np.uint16) * 257) / 257 >= 5.0
    assert _diff(ph.data, full) / 257 >= 1.0


def test_batch_reports_a_bad_file_and_goes_on(sample_png, tmp_path, engine):
    from kolors.io.images import read_image
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(sample_png, src / "a.png")
    shutil.copy(sample_png, src / "b.png")
    (src / "c.jpg").write_text("not a photo")
    r = kolors("batch", src, "-o", tmp_path / "out", "--format", "png", "--preset", "vivid", "--device", "cpu")
    assert r.returncode == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png"]
    assert "c.jpg" in r.stderr and "2 of 3" in r.stderr
    # each file is the engine's vivid render of its photo (PNG: lossless, so to the bit)
    photo = read_image(sample_png).data
    want = engine.render(photo, engine.resolve_settings(None, None, 1.0, None, "vivid", {}), out_dtype=np.uint8)
    assert _diff(want, photo) >= 3.0                     # vivid does change the photo
    for name in ("a.png", "b.png"):
        assert np.array_equal(read_image(tmp_path / "out" / name).data, want), name


def test_presets_lut_info_params(tmp_path, sample_png):
    r = kolors("presets")
    assert r.returncode == 0 and "cinema" in r.stdout and len(r.stdout.splitlines()) >= 12
    r = kolors("presets", "show", "cinema")
    assert r.returncode == 0 and '"film_strength"' in r.stdout
    cube = tmp_path / "c.cube"
    r = kolors("lut", "-o", cube, "--preset", "cinema", "--size", "17")
    assert r.returncode == 0, r.stderr
    assert "LUT_3D_SIZE 17" in cube.read_text()
    # the engine's own table of the cinema grade (not, say, the identity)
    from kolors import Enhancer
    from kolors.io.luts import read_cube
    enh = Enhancer(model_type="classic", device="cpu")
    ref = enh.export_lut(tmp_path / "ref.cube", enh.resolve_settings(None, None, 1.0, None, "cinema", {}), size=17)
    got, want = read_cube(cube), read_cube(ref)
    assert np.array_equal(got.table, want.table)
    grid = np.stack(np.meshgrid(*[np.linspace(0, 1, 17)] * 3, indexing="ij"), -1)
    assert np.abs(got.table - grid).max() > 0.05 and np.abs(got.table - grid[..., ::-1]).max() > 0.05
    r = kolors("info", sample_png)
    assert r.returncode == 0 and "768" in r.stdout
    r = kolors("params")
    assert r.returncode == 0 and "chroma_boost" in r.stdout and "wb_gains" not in r.stdout
    # the operations in pipeline order, numbered, with their versions
    from kolors.core.ops import PIPELINE
    heads = [line for line in r.stdout.splitlines() if line[:3].strip().rstrip(".").isdigit()]
    assert [h.split("(")[1].split(",")[0] for h in heads] == list(PIPELINE)
    assert heads[0].startswith(" 1. ") and "version 1" in heads[0]


def test_output_sharpening(sample_png, tmp_path, engine):
    """--output-sharpening gives the engine's own file with that output sharpening; out of
    range is one error line and no file."""
    out = tmp_path / "s.png"
    r = kolors("enhance", sample_png, "-o", out, "--device", "cpu", "--output-sharpening", "1.0", "--set", "contrast=0.1")
    assert r.returncode == 0, r.stderr
    ref = engine.export_graded(sample_png, tmp_path / "ref.png", {"contrast": 0.1}, output_sharpening=1.0)
    plain = engine.export_graded(sample_png, tmp_path / "plain.png", {"contrast": 0.1})
    got = np.asarray(Image.open(out))
    # another process, another torch thread count: the blur's float sums may round apart in
    # the last bit, so the same file to within one level on a few pixels, not bit for bit
    d = np.abs(got.astype(int) - np.asarray(Image.open(ref)).astype(int))
    assert d.max() <= 1 and (d > 0).mean() < 0.01
    assert _diff(got, np.asarray(Image.open(plain))) > 0.3
    bad = kolors("enhance", sample_png, "-o", tmp_path / "b.png", "--output-sharpening", "5")
    assert bad.returncode == 2 and "--output-sharpening" in bad.stderr and not (tmp_path / "b.png").exists()


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
