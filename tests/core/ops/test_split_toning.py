"""split_toning: shadow/highlight tints in Oklab, luminance preserved."""
from __future__ import annotations

import torch

from kolors.core.color import luminance, rgb_to_oklab
from kolors.core.ops._chroma import to_lch
from kolors.core.ops.split_toning import SplitToning
from kolors.core.params import RenderContext

OP = SplitToning()
CTX = RenderContext(full_size=(1, 4))


def params(**kw):
    p = {k: prm.default for k, prm in OP.params.items()}
    p.update(kw)
    return p


def greys(*vals):
    return torch.tensor(vals, dtype=torch.float32).view(1, 1, 1, -1).repeat(1, 3, 1, 1)


def lch(img):
    return torch.cat(to_lch(rgb_to_oklab(img.double())), 1)[0, :, 0]


def hue_diff(a, b):
    return (b - a + 180) % 360 - 180


def test_identity_is_decided_by_the_saturations():
    assert OP.is_identity(params(split_shadow_hue=10.0, split_highlight_hue=300.0, split_balance=0.7))
    assert not OP.is_identity(params(split_shadow_sat=0.01))
    assert not OP.is_identity(params(split_highlight_sat=0.01))


def test_shadows_and_highlights_take_their_hues():
    x = greys(0.02, 0.8)  # a dark and a bright grey
    y = OP.process(x, params(split_shadow_hue=220.0, split_shadow_sat=1.0,
                             split_highlight_hue=40.0, split_highlight_sat=1.0), CTX)
    c = lch(y)
    assert abs(float(hue_diff(c[2, 0], torch.tensor(220.0)))) < 3
    assert abs(float(hue_diff(c[2, 1], torch.tensor(40.0)))) < 3
    assert (c[1] > 0.02).all()


def test_luminance_preserved_and_black_stays_black():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, 16, 16, generator=g) ** 2
    x[..., 0, 0] = 0.0
    y = OP.process(x, params(split_shadow_sat=0.8, split_highlight_sat=0.6, split_balance=0.3), CTX)
    assert torch.allclose(luminance(y), luminance(x), rtol=1e-4, atol=1e-6)
    assert (y[..., 0, 0] == 0).all()
    assert y.min() >= -1e-4  # shadow tints are kept out of negative RGB
    assert (y - x).abs().max() > 0.01


def test_balance_moves_the_crossover():
    x = greys(0.18)  # mid grey
    p = dict(split_shadow_hue=220.0, split_shadow_sat=1.0, split_highlight_hue=40.0, split_highlight_sat=1.0)
    toward_hi = lch(OP.process(x, params(split_balance=1.0, **p), CTX))
    toward_sh = lch(OP.process(x, params(split_balance=-1.0, **p), CTX))
    assert abs(float(hue_diff(toward_hi[2, 0], torch.tensor(40.0)))) < 20
    assert abs(float(hue_diff(toward_sh[2, 0], torch.tensor(220.0)))) < 20
    w = SplitToning.weights(torch.tensor([0.2, 0.5, 0.8]), 0.0)
    assert torch.allclose(w[1], torch.tensor(0.5)) and w[0] < 0.2 and w[2] > 0.8


def test_continuous_at_zero_saturation():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(1, 3, 8, 8, generator=g)
    d = [(OP.process(x, params(split_shadow_sat=s, split_highlight_sat=s), CTX) - x).abs().max() for s in (5e-3, 5e-4)]
    assert d[0] < 1e-2 and d[1] < 1e-3 and d[1] < 0.15 * d[0]
