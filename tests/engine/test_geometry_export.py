"""Exports, the command line, batch and the desktop app's session honour the framing: a
crop gives the exact size, previews and 100 % tiles show the framed photo, tasks look at
the cropped photo, before/after have the same framing."""
from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest

from kolors import Enhancer
from kolors.engine.session import PhotoSession


@pytest.fixture(scope="module")
def enh():
    return Enhancer(model_type="classic", device="cpu")


def _read(p):
    return cv2.imread(str(p), cv2.IMREAD_UNCHANGED)[..., ::-1]


def test_export_crop_is_exact_and_turns_follow(enh, sample_png, sample_rgb, tmp_path):
    out = enh.export_graded(sample_png, tmp_path / "c.png", {"crop": [0.1, 0.1, 0.9, 0.9]})
    assert np.array_equal(_read(out), sample_rgb[51:461, 77:691])
    out = enh.export_graded(sample_png, tmp_path / "r.png", {"rotate": "90", "exposure": 0.5})
    graded = _read(enh.export_graded(sample_png, tmp_path / "g.png", {"exposure": 0.5}))
    assert np.array_equal(_read(out), np.rot90(graded, -1))
    small = enh.export_graded(sample_png, tmp_path / "s.jpg", {"crop": [0, 0, 0.5, 0.5]}, long_side=100)
    assert _read(small).shape[:2] == (67, 100)


def test_straightened_export_is_smaller_and_inside(enh, sample_png, tmp_path):
    out = _read(enh.export_graded(sample_png, tmp_path / "t.png", {"straighten": 3.0}))
    assert out.shape[0] < 512 and out.shape[1] < 768
    assert abs(out.shape[1] / out.shape[0] - 1.5) < 0.01          # the crop keeps its aspect ratio


def test_cli_set_crop_and_straighten(sample_png, tmp_path):
    dst = tmp_path / "out.png"
    r = subprocess.run([sys.executable, "-m", "kolors", "enhance", str(sample_png), "-o", str(dst), "--device", "cpu",
                        "--set", "crop=[0.1,0.1,0.9,0.9]", "--set", "straighten=2.5"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = _read(dst)
    assert out.shape[:2] == (410, 614)          # the turned crop still lies inside the photo: no shrink
    plain = cv2.imread(str(sample_png))[..., ::-1][51:461, 77:691]
    assert np.abs(out.astype(int) - plain.astype(int)).mean() > 5   # but it is turned
    bad = subprocess.run([sys.executable, "-m", "kolors", "enhance", str(sample_png), "-o", str(tmp_path / "x.png"),
                          "--set", "crop=[0.9,0.1,0.1,0.9]"], capture_output=True, text=True)
    assert bad.returncode == 2 and "crop" in bad.stderr and not (tmp_path / "x.png").exists()


def test_session_shows_the_framed_photo(enh, sample_png, tmp_path):
    s = PhotoSession(enh, sample_png)
    # turned to 512×768 (portrait), then the middle half of its height
    settings = {"crop": [0.0, 0.25, 1.0, 0.75], "rotate": "90", "contrast": 0.3}
    assert s.framed_size(settings) == (512, 384) and s.size == (768, 512)
    prev = s.render_preview(settings, 256)
    assert prev.shape[:2] == (192, 256)
    before = s.original(256, settings)
    assert before.shape == prev.shape and np.abs(before.astype(int) - prev.astype(int)).mean() > 2
    out = _read(s.export(tmp_path / "e.png", settings))
    assert out.shape[:2] == (384, 512)
    tile = s.render_region(settings, (100, 50, 128, 96))
    assert np.abs(tile.astype(int) - out[50:146, 100:228].astype(int)).max() <= 1
    small = cv2.resize(out, (256, 192), interpolation=cv2.INTER_AREA)
    assert np.abs(prev.astype(float) - small).mean() < 2.5


def test_tasks_look_at_the_cropped_photo(enh, tmp_path):
    """A photo whose left half is blue-cast and right half neutral: Auto on the right half
    alone is nearly neutral, on the whole photo it corrects the cast."""
    rng = np.random.default_rng(1)
    img = rng.uniform(40, 200, (64, 32, 3)).repeat(6, 0).repeat(6, 1).astype(np.uint8)   # 384×192 patches
    img = np.concatenate([np.clip(img * [0.6, 0.8, 1.3], 0, 255).astype(np.uint8), img], 1)
    p = tmp_path / "half.png"
    cv2.imwrite(str(p), img[..., ::-1])
    s = PhotoSession(enh, p)
    whole = s.analyse("white_balance")
    right = s.analyse("white_balance", settings={"crop": [0.5, 0.0, 1.0, 1.0]})
    g_whole, g_right = np.array(whole["wb_gains"]), np.array(right["wb_gains"])
    assert np.abs(np.log(g_right)).max() < 0.5 * np.abs(np.log(g_whole)).max()
