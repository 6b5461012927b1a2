"""region_boost: chroma × factor inside full-resolution rectangles (the industrial task)."""
from __future__ import annotations

import pytest
import torch

from kolors.core.color import linear_to_srgb, rgb_to_lab, rgb_to_oklab
from kolors.core.ops._chroma import neutral_ab
from kolors.core.ops.region_boost import RegionBoost, region_mask
from kolors.core.params import RenderContext

OP = RegionBoost()
REG = OP.params["region_boost"]


def img(h=40, w=60, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (0.25 + 0.5 * torch.rand(1, 3, h, w, generator=g)).clamp(0, 1)


def params(regions, space="LAB"):
    return {"region_boost": REG.validate(regions), "color_space": OP.params["color_space"].validate(space)}


def test_identity_cases_and_seed_api_shape():
    off = [None, {"roi": [], "factor": 2.0}, {"roi": [(1, 1, 5, 5)], "factor": 1.0}]
    for r in off:
        assert OP.is_identity(params(r, "HSV"))  # the colour space alone does not switch it on
    p = params({"roi": [(10, 5, 30, 20)], "factor": 2.0})  # tuples, as the seed passes them
    assert not OP.is_identity(p)
    assert p["region_boost"]["roi"] == [[10.0, 5.0, 30.0, 20.0]]
    x = img()
    assert torch.equal(OP.process(x, params(None), RenderContext(full_size=(40, 60))), x)


@pytest.mark.parametrize("space", ["LAB", "OKLAB"])
def test_chroma_scaled_inside_only(space):
    x = img()
    p = params({"roi": [(10, 5, 30, 20)], "factor": 2.0}, space)
    y = OP.process(x, p, RenderContext(full_size=(40, 60)))
    if space == "LAB":
        a, b = rgb_to_lab(x.double()), rgb_to_lab(y.double())
        ca, cb = a[:, 1:], b[:, 1:]
    else:
        a, b = rgb_to_oklab(x.double()), rgb_to_oklab(y.double())
        ca, cb = neutral_ab(a), neutral_ab(b)
    inside = (slice(5, 20), slice(10, 30))  # pixel centres y+0.5 in [5, 20], x+0.5 in [10, 30]
    assert torch.allclose(cb[..., inside[0], inside[1]], 2 * ca[..., inside[0], inside[1]], atol=1e-4)
    assert torch.allclose(b[:, 0], a[:, 0], atol=1e-4)  # lightness kept everywhere
    outside = torch.ones(40, 60, dtype=torch.bool)
    outside[inside] = False
    assert (y - x)[..., outside].abs().max() < 1e-5


def test_hsv_scales_saturation_keeps_value_and_caps_at_one():
    x = torch.tensor([[0.5, 0.3, 0.2], [0.9, 0.05, 0.5]]).T.reshape(1, 3, 1, 2)
    p = params({"roi": [(0, 0, 2, 1)], "factor": 1.5}, "HSV")
    y = OP.process(x, p, RenderContext(full_size=(1, 2)))
    e, f = linear_to_srgb(x), linear_to_srgb(y)
    v0, v1 = e.amax(1), f.amax(1)
    s0 = (v0 - e.amin(1)) / v0
    s1 = (v1 - f.amin(1)) / v1
    assert torch.allclose(v0, v1, atol=1e-5)
    assert abs(float(s1[0, 0, 0] / s0[0, 0, 0]) - 1.5) < 1e-3
    assert abs(float(s1[0, 0, 1]) - 1.0) < 1e-4  # capped: S = 1, no negative channel
    assert y.min() >= -1e-6
    # hue kept: the order and relative gaps of the channels
    r0 = (e[0, :, 0, 0] - e[0, :, 0, 0].min()) / (e[0, :, 0, 0].max() - e[0, :, 0, 0].min())
    r1 = (f[0, :, 0, 0] - f[0, :, 0, 0].min()) / (f[0, :, 0, 0].max() - f[0, :, 0, 0].min())
    assert torch.allclose(r0, r1, atol=1e-4)


def test_feather_falls_off_smoothly_outside_the_rectangle():
    x = img(30, 80)
    reg = REG.validate({"roi": [(20, 0, 40, 30)], "factor": 3.0, "feather": 10.0})
    m = region_mask(x, reg, RenderContext(full_size=(30, 80)))
    row = m[15]
    assert (row[20:40] == 1).all()
    right = row[39:52]
    assert (right.diff() <= 1e-7).all() and right[-1] == 0 and 0 < row[44] < 1
    assert (row[:9] == 0).all() and (row[51:] == 0).all()


def test_tiles_and_previews_agree():
    h, w = 64, 96
    x = img(h, w, seed=3)
    p = params({"roi": [(10, 8, 50, 40), (60, 30, 90, 60)], "factor": 2.5, "feather": 6.0}, "OKLAB")
    full = OP.process(x, p, RenderContext(full_size=(h, w)))
    out = torch.empty_like(full)
    for y0 in range(0, h, 20):
        for x0 in range(0, w, 28):
            part = x[..., y0:y0 + 20, x0:x0 + 28]
            out[..., y0:y0 + 20, x0:x0 + 28] = OP.process(part, p, RenderContext(full_size=(h, w), offset=(y0, x0)))
    # equal up to float32 rounding, not to the bit: the OKLab round trip (3×3 matrices,
    # cube roots) of a 20×28 tile and of the whole image take different vectorised paths,
    # whose last bits differ by machine (2.4e-6, ~10 ulps of values in [1, 2), on an
    # AVX-512 EPYC). Values reach ~1.7 (a 2.5× boost); ~10 rounded steps of a few ulps
    # each: rtol 1e-5 + atol 1e-5 (~40-80 ulps). A tile whose mask was taken at the wrong
    # offset differs by ~0.8 here.
    torch.testing.assert_close(out, full, rtol=1e-5, atol=1e-5)
    # half-size preview: the mask is taken at full-resolution coordinates
    m_full = region_mask(x, p["region_boost"], RenderContext(full_size=(h, w)))
    m_half = region_mask(x[..., ::2, ::2], p["region_boost"], RenderContext(full_size=(h, w), scale=0.5))
    ref = torch.nn.functional.avg_pool2d(m_full[None, None], 2)[0, 0]
    assert (m_half - ref).abs().mean() < 0.02
