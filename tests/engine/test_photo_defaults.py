"""A RAW's starting values: luminance noise reduction follows the ISO, is saved with the
edit (so a later change of the rule leaves edited photos alone), and the person's own value
wins."""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from kolors import Enhancer
from kolors.engine.edit import Edit
from kolors.engine.session import PhotoSession

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rawgen import make_dng  # noqa: E402


def test_iso_sets_the_starting_noise_reduction(sample_rgb, tmp_path):
    enh = Enhancer(model_type="classic", device="cpu")
    rgb = np.ascontiguousarray(sample_rgb[:128, :192])
    hi = make_dng(tmp_path / "hi.dng", rgb, iso=3200)
    lo = make_dng(tmp_path / "lo.dng", rgb, iso=100)
    assert PhotoSession(enh, hi).photo_defaults() == {"luma_denoise": 0.4}
    assert PhotoSession(enh, lo).photo_defaults() == {}
    e = Edit(params={"exposure": 0.2}, defaults={"luma_denoise": 0.4})
    assert e.settings() == {"luma_denoise": 0.4, "exposure": 0.2}
    back = Edit.from_json(e.to_json())
    assert back.defaults == {"luma_denoise": 0.4} and back.to_json()["ops"] == {"exposure": 1, "luma_denoise": 1}
    assert Edit(defaults={"luma_denoise": 0.4}, params={"luma_denoise": 0.0}).settings()["luma_denoise"] == 0.0
    # kolors enhance starts a RAW from the same values; the person's --set wins
    a = cv2.imread(str(enh.enhance_file(hi, tmp_path / "a.png")), cv2.IMREAD_UNCHANGED)
    b = cv2.imread(str(enh.export_graded(hi, tmp_path / "b.png", {"luma_denoise": 0.4})), cv2.IMREAD_UNCHANGED)
    c = cv2.imread(str(enh.enhance_file(hi, tmp_path / "c.png", luma_denoise=0.0)), cv2.IMREAD_UNCHANGED)
    d = cv2.imread(str(enh.export_graded(hi, tmp_path / "d.png", {})), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(a, b) and np.array_equal(c, d) and not np.array_equal(a, d)
