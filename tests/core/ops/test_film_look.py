"""film_look: filmic curve, highlight roll-off, teal/orange."""
from __future__ import annotations

import math

import torch

from kolors.core import registry
from kolors.core.color import oklab_to_oklch, rgb_to_oklab, srgb_to_linear
from kolors.core.params import RenderContext

OP = registry.get_op("film_look")
CTX = RenderContext(full_size=(4, 4))


def run(img, s=0.0, r=0.0, t=0.0):
    return OP.process(img, {"film_strength": s, "film_rolloff": r, "film_teal_orange": t}, CTX)


def grey_ramp(lo=1e-5, hi=1e4, n=3000):
    return torch.logspace(math.log10(lo), math.log10(hi), n).view(1, 1, 1, n).expand(1, 3, 1, n).contiguous()


def colours(*rgb8):
    a = torch.tensor(rgb8, dtype=torch.float32) / 255.0
    return srgb_to_linear(a.T.reshape(1, 3, 1, len(rgb8)))


def lch(x):
    return oklab_to_oklch(rgb_to_oklab(x.double()))[0, :, 0]


def hue_dist(a, b):
    return ((a - b + 180.0) % 360.0) - 180.0


def test_identity_only_when_all_zero():
    d = {"film_strength": 0.0, "film_rolloff": 0.0, "film_teal_orange": 0.0}
    assert OP.is_identity(d)
    assert not OP.is_identity({**d, "film_rolloff": 0.2})


def test_filmic_curve_toe_shoulder_and_fixed_grey():
    x = grey_ramp()
    y = run(x, s=1.0)[0, 1, 0]
    xs = x[0, 1, 0]
    assert (torch.diff(y) >= -1e-5 * y[1:]).all()                 # monotone (float32 flat at the ceiling)
    assert (torch.diff(y[xs < 20]) > 0).all()
    grey = run(torch.full((1, 3, 1, 1), 0.18), s=1.0)
    assert torch.allclose(grey, torch.full_like(grey, 0.18), rtol=1e-4)
    assert y.max() < 1.4                                           # shoulder: a ceiling, no clipping
    w = run(torch.ones(1, 3, 1, 1), s=1.0)[0, 0, 0, 0]
    assert 0.85 < w < 1.0                                          # white lands near white
    i = int(torch.searchsorted(xs, torch.tensor(0.005)))
    assert y[i] < 0.8 * xs[i]                                      # toe deepens the darkest tones
    assert torch.equal(run(torch.zeros(1, 3, 1, 1), s=1.0), torch.zeros(1, 3, 1, 1))
    half = run(x, s=0.5)[0, 1, 0]
    assert y[-1] < half[-1] < xs[-1]                               # strength blends


def test_rolloff_compresses_highlights_smoothly():
    x = grey_ramp(1e-3, 1e3)
    xs = x[0, 1, 0]
    y = run(x, r=1.0)[0, 1, 0]
    low = xs < 0.6
    assert torch.allclose(y[low], xs[low], rtol=1e-5)              # untouched below the knee
    assert (torch.diff(y) >= -1e-5 * y[1:]).all() and (torch.diff(y[xs < 50]) > 0).all() and y.max() < 1.25
    assert y[torch.searchsorted(xs, torch.tensor(4.0))] > 1.0      # 4 goes a bit above white
    # a saturated bright red is brought under ~1.25 and moves toward white
    red = torch.tensor([3.0, 0.3, 0.2]).view(1, 3, 1, 1)
    out = run(red, r=1.0)[0, :, 0, 0]
    assert out.max() < 1.25 and (out[1] / out[0]) > 0.1 * 1.05
    small = run(x, r=0.01)
    assert ((small - x).abs() / x).max() < 0.01


def test_teal_orange_moves_hues_and_protects_neutrals():
    skin, sky, foliage = (224, 172, 138), (100, 150, 220), (60, 160, 60)
    x = colours(skin, sky, foliage)
    before, after = lch(x), lch(run(x, t=1.0))
    # skin (~54°) toward orange 60°, sky (~257°) and green (~142°) toward teal 195°
    for i, target in ((0, 60.0), (1, 195.0), (2, 195.0)):
        d0 = abs(hue_dist(before[2, i], target))
        d1 = abs(hue_dist(after[2, i], target))
        assert d1 < d0 - (0.2 * d0 if d0 > 20 else 0.3 * d0), (i, before[2, i], after[2, i])
    # mid and bright neutrals stay neutral; a dark neutral picks up a teal tint; black stays black
    n = torch.tensor([0.18, 0.6, 1.0, 0.03, 0.0]).view(1, 1, 1, 5).expand(1, 3, 1, 5)
    out = run(n, t=1.0)
    c = lch(out)
    assert (c[1, :3] < 2e-3).all()
    assert c[1, 3] > 0.01 and abs(hue_dist(c[2, 3], 195.0)) < 5
    assert out[..., 4].abs().max() < 1e-6
    # OkLab lightness is kept
    assert torch.allclose(after[0], before[0], atol=1e-5)
    small = run(x, t=0.01)
    assert (small - x).abs().max() < 0.01


def test_finite_and_dtype():
    x = torch.tensor([0.0, 1e4, -1.0, 1e-8]).view(1, 1, 1, 4).repeat(1, 3, 1, 1)
    x[0, 1, 0, 1] = 0.0
    for y in (run(x, 1.0, 1.0, 1.0), run(x.half(), 1.0, 1.0, 1.0).float()):
        assert torch.isfinite(y).all()
    assert run(x.half(), 0.5, 0.5, 0.5).dtype == torch.float16
