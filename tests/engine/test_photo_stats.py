"""Photo-level statistics (dehaze's airlight) are computed once per photo from the
session's thumbnail, so the preview, a 100 % tile and the export of the same edit agree."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from kolors import Enhancer
from kolors.core import registry
from kolors.engine.session import PhotoSession


@pytest.fixture(scope="module")
def hazy_png(tmp_path_factory):
    """A 600×400 8-bit photo of a textured scene under haze that thickens upwards."""
    rng = np.random.default_rng(7)
    h, w = 400, 600
    cells = rng.uniform(0.02, 0.7, (h // 20, w // 20, 3))
    clean = np.kron(cells, np.ones((20, 20, 1)))
    t = np.exp(-0.7 * np.linspace(3.0, 0.3, h))[:, None, None] * np.ones((1, w, 1))
    t[:30] = 0.03
    air = np.array([0.78, 0.82, 0.9])
    hazy = clean * t + air * (1 - t)
    enc = np.where(hazy <= 0.0031308, hazy * 12.92, 1.055 * hazy ** (1 / 2.4) - 0.055)
    p = tmp_path_factory.mktemp("haze") / "hazy.png"
    cv2.imwrite(str(p), np.round(enc[..., ::-1] * 255).astype(np.uint8))
    return p


def test_preview_tile_and_export_use_the_same_airlight(hazy_png, tmp_path):
    enh = Enhancer(model_type="classic", device="cpu")
    s = PhotoSession(enh, hazy_png)
    settings = {"dehaze": 0.7}
    filled = registry.fill_photo_stats(settings, s.thumb())
    air = np.array(filled["dehaze_airlight"])
    assert np.allclose(air, [0.78, 0.82, 0.9], rtol=0.1), air          # found, not the default white
    out = s.export(tmp_path / "out.png", settings, bits=8)
    exp = cv2.imread(str(out))[..., ::-1].astype(np.float64)
    tile = s.render_region(settings, (200, 100, 160, 120)).astype(np.float64)
    assert np.abs(tile - exp[100:220, 200:360]).max() <= 1.0              # a 100 % tile = that part of the export
    prev = s.render_preview(settings, 300).astype(np.float64)              # 300×200 preview at "fit"
    small = cv2.resize(exp, (prev.shape[1], prev.shape[0]), interpolation=cv2.INTER_AREA)
    assert np.abs(prev - small).mean() < 2.0
    # and the airlight matters: the plan without statistics (default white airlight) renders
    # something else
    from kolors.core.pipeline import Plan
    from kolors.engine.render import RenderOptions, render_array
    arr, scale = s.proxy(300)
    white = render_array(arr, Plan(dict(settings)), np.uint8, RenderOptions(scale=scale, full_size=s.full_size))
    assert np.abs(white.astype(np.float64) - prev).mean() > 4 * np.abs(prev - small).mean()
    # the haze is lifted: more contrast in the hazy upper part than the source has
    src = cv2.imread(str(hazy_png))[..., ::-1].astype(np.float64)
    assert exp[40:150].std() > 1.5 * src[40:150].std()


def test_statistics_are_recomputed_not_taken_from_the_settings(hazy_png, tmp_path):
    """The airlight is the photo's: a value in the settings (a stale one, a hand-made one)
    is replaced by the photo's own, so the same edit renders alike from every entry point."""
    enh = Enhancer(model_type="classic", device="cpu")
    a = enh.export_graded(hazy_png, tmp_path / "a.png", {"dehaze": 0.7})
    b = enh.export_graded(hazy_png, tmp_path / "b.png", {"dehaze": 0.7, "dehaze_airlight": [1.0, 1.0, 1.0]})
    assert cv2.imread(str(a)).tobytes() == cv2.imread(str(b)).tobytes()
    plain = enh.export_graded(hazy_png, tmp_path / "c.png", {})
    assert np.abs(cv2.imread(str(a)).astype(int) - cv2.imread(str(plain)).astype(int)).mean() > 5
    thumb = torch.ones(1, 3, 8, 8)
    assert enh.plan({"dehaze": 0.5}, 1.0, thumb) is enh.plan({"dehaze": 0.5}, 1.0, lambda: thumb)
