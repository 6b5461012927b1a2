"""The framing step (kolors.engine.framing): exact crops, turns and flips at full
resolution; straightening levels a tilted horizon; tiles and previews agree with the full
framed photo."""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from kolors.core.geometry import framing_of
from kolors.engine.framing import frame_array, framed_size


@pytest.fixture(scope="module")
def photo(sample_rgb):
    return sample_rgb                      # 768×512 uint8


def test_crop_turns_and_flips_are_exact(photo):
    f = framing_of({"crop": [0.1, 0.1, 0.9, 0.9]}, 768, 512)
    out = frame_array(photo, f)
    assert out.shape == (410, 614, 3) and framed_size({"crop": [0.1, 0.1, 0.9, 0.9]}, 768, 512) == (614, 410)
    assert np.array_equal(out, photo[51:461, 77:691])
    assert np.array_equal(frame_array(photo, framing_of({"rotate": 90}, 768, 512)), np.rot90(photo, -1))
    assert np.array_equal(frame_array(photo, framing_of({"rotate": "270"}, 768, 512)), np.rot90(photo, 1))
    assert np.array_equal(frame_array(photo, framing_of({"rotate": 180, "flip": "horizontal"}, 768, 512)),
                          photo[::-1])
    both = frame_array(photo, framing_of({"rotate": 90, "crop": [0.0, 0.5, 1.0, 1.0]}, 768, 512))
    assert np.array_equal(both, np.rot90(photo, -1)[384:])


def test_straighten_levels_a_horizon():
    """A horizon that rises 2.5° to the right, straightened by +2.5°, is level to within a
    fraction of a pixel across the frame."""
    W, H, t = 900, 600, 2.5
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    horizon = 300 - math.tan(math.radians(t)) * (xx - W / 2)
    # an anti-aliased edge (a rendered one would alias into a staircase the test would measure)
    img = (0.1 + 0.7 / (1 + np.exp(-(horizon - yy) / 1.5))).astype(np.float32)[..., None].repeat(3, 2)
    out = frame_array(img, framing_of({"straighten": t}, W, H))
    rows = []
    for x in range(20, out.shape[1] - 20, 40):
        col = out[:, x, 0]
        i = int(np.argmax(col < 0.45))                       # first row below the edge's middle
        frac = (col[i - 1] - 0.45) / (col[i - 1] - col[i])   # sub-pixel crossing
        rows.append(i - 1 + frac)
    assert np.ptp(rows) < 0.25, rows
    assert out.min() >= 0.0


def test_tiles_and_previews_agree_with_the_full_frame(photo):
    f = framing_of({"straighten": -4.0, "crop": [0.05, 0.1, 0.95, 0.9], "rotate": 90}, 768, 512)
    full = frame_array(photo, f)
    assert full.shape[:2] == (f.size[1], f.size[0])
    tile = frame_array(photo, f, rect=(37, 300, 160, 130))
    assert np.abs(tile.astype(int) - full[300:430, 37:197].astype(int)).max() <= 1
    proxy = cv2.resize(photo, (384, 256), interpolation=cv2.INTER_AREA)
    prev = frame_array(proxy, f, scale=0.5, src_scale=0.5)
    small = cv2.resize(full, (prev.shape[1], prev.shape[0]), interpolation=cv2.INTER_AREA)
    assert np.abs(prev.astype(float) - small).mean() < 3.0


def test_lateral_chromatic_aberration_realigns_the_channels():
    """A lens warp whose red channel is displaced 1.5 px outwards and blue 1.5 px inwards
    (transverse CA) puts each channel's edge back on the green one."""
    from kolors.core.geometry import LensWarp
    W, H, step = 200, 120, (8.0, 8.0)
    gy, gx = np.mgrid[0:H // 8, 0:W // 8].astype(np.float64)
    nodes = np.stack([(gx + 0.5) * 8 - 0.5, (gy + 0.5) * 8 - 0.5], -1)
    c = np.array([(W - 1) / 2, (H - 1) / 2])
    grid = np.stack([nodes + 1.5 * (nodes - c) / 100, nodes, nodes - 1.5 * (nodes - c) / 100], 2)
    warp = LensWarp("tca-test", W, H, grid=grid, step=step)
    assert warp.has_tca
    # a photo as that lens draws a vertical edge at x = 150: red further out, blue further in
    xx = np.arange(W, dtype=np.float64)[None, :].repeat(H, 0)
    shift = (xx - c[0]) / 100
    img = np.stack([1 / (1 + np.exp(-(xx - 150 - 1.5 * shift * (k - 1) * -1) / 0.7)) for k in (0, 1, 2)], -1)
    img = img.astype(np.float32)
    out = frame_array(img, framing_of({}, W, H, warp))
    row = out[60, 130:170]
    cross = [130 + float(np.interp(0.5, row[:, k], np.arange(40))) for k in range(3)]
    before = [130 + float(np.interp(0.5, img[60, 130:170, k], np.arange(40))) for k in range(3)]
    assert abs(before[0] - before[2]) > 1.0
    assert abs(cross[0] - cross[1]) < 0.15 and abs(cross[2] - cross[1]) < 0.15, cross
