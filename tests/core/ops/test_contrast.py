"""contrast: S-curve about mid-grey on log luminance, applied as an RGB gain."""
from __future__ import annotations

import math

import torch

from kolors.core import registry
from kolors.core.color import luminance
from kolors.core.params import RenderContext

OP = registry.get_op("contrast")
CTX = RenderContext(full_size=(4, 4))


def run(img, k):
    return OP.process(img, {"contrast": k}, CTX)


def ramp(lo=1e-5, hi=1e3, n=4000):
    return torch.logspace(math.log10(lo), math.log10(hi), n).view(1, 1, 1, n).expand(1, 3, 1, n).contiguous()


def test_mid_grey_is_the_pivot_and_slope_there_is_one_plus_0p6k():
    g = torch.full((1, 3, 1, 1), 0.18)
    for k in (-1.0, -0.3, 0.4, 1.0):
        assert torch.allclose(run(g, k), g, atol=1e-6)
        eps = 0.01  # stops
        pts = torch.tensor([0.18 * 2 ** -eps, 0.18 * 2 ** eps]).view(1, 1, 1, 2).expand(1, 3, 1, 2)
        out = run(pts, k)[0, 1, 0]
        slope = (math.log2(out[1]) - math.log2(out[0])) / (2 * eps)
        assert abs(slope - (1 + 0.6 * k)) < 0.01


def test_positive_spreads_tones_negative_pulls_them_together():
    x = torch.tensor([0.02, 0.06, 0.5, 0.9]).view(1, 1, 1, 4).expand(1, 3, 1, 4)
    hi, lo = run(x, 0.8)[0, 1, 0], run(x, -0.8)[0, 1, 0]
    assert hi[0] < x[0, 1, 0, 0] and hi[1] < 0.06 and hi[2] > 0.5 and hi[3] > 0.9
    assert lo[0] > 0.02 and lo[1] > 0.06 and lo[2] < 0.5 and lo[3] < 0.9


def test_monotone_black_stays_black_far_tones_untouched():
    x = ramp()
    for k in (-1.0, 1.0):
        y = run(x, k)[0, 1, 0]
        assert (torch.diff(y) > 0).all()
        assert torch.allclose(y[:50], x[0, 1, 0, :50], rtol=2e-3)   # 1e-5: 14 stops below grey
        assert torch.allclose(y[-50:], x[0, 1, 0, -50:], rtol=2e-3)  # 1e3: 12 stops above
    z = torch.zeros(1, 3, 2, 2)
    assert torch.equal(run(z, 1.0), z)


def test_hue_kept_rgb_ratios_unchanged():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, 8, 8, generator=g) * 1.5 + 0.01
    y = run(x, 0.7)
    r = y / x
    assert torch.allclose(r, r[:, :1].expand_as(r), rtol=1e-5)
    assert not torch.allclose(y, x)
    assert torch.allclose(luminance(y) / luminance(x), r[:, :1], rtol=1e-5)


def test_continuous_near_zero():
    x = ramp(1e-4, 10.0, 500)
    d = (run(x, 0.01) - x).abs() / x
    assert d.max() < 0.01
