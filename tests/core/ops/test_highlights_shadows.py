"""highlights_shadows: recover/brighten highlights, lift/deepen shadows (luminance gain)."""
from __future__ import annotations

import math

import torch

from kolors.core import registry
from kolors.core.params import RenderContext

OP = registry.get_op("highlights_shadows")
CTX = RenderContext(full_size=(4, 4))


def run(img, h=0.0, s=0.0):
    return OP.process(img, {"highlights": h, "shadows": s}, CTX)


def grey(*vals):
    return torch.tensor(vals, dtype=torch.float32).view(1, 1, 1, -1).expand(1, 3, 1, len(vals)).contiguous()


def test_negative_highlights_recover_values_above_white():
    x = grey(0.18, 1.0, 2.0, 4.0)
    y = run(x, h=-1.0)[0, 1, 0]
    assert abs(y[0] - 0.18) < 0.18 * 0.01          # mid-grey barely moves
    assert 0.6 < y[1] < 0.8                         # white darkens
    assert y[2] < 1.0 and y[3] < 1.15               # 1 and 2 stops over come back to about white
    assert y[1] < y[2] < y[3]                       # and stay ordered
    half = run(x, h=-0.5)[0, 1, 0]
    assert y[3] < half[3] < 4.0


def test_positive_highlights_brighten_the_top_end_only():
    x = grey(0.01, 0.18, 0.8, 1.0)
    y = run(x, h=1.0)[0, 1, 0]
    assert abs(y[0] - 0.01) < 1e-5 and abs(y[1] - 0.18) < 0.18 * 0.02
    assert y[2] > 0.95 and y[3] > 1.3


def test_shadows_lift_and_deepen_dark_tones():
    x = grey(0.003, 0.02, 0.18, 1.0)
    up, down = run(x, s=1.0)[0, 1, 0], run(x, s=-1.0)[0, 1, 0]
    assert up[0] > 2.0 * 0.003 and up[1] > 1.5 * 0.02
    assert down[0] < 0.5 * 0.003 and down[1] < 0.7 * 0.02
    assert abs(up[2] / 0.18 - 1) < 0.1 and abs(down[2] / 0.18 - 1) < 0.1
    assert abs(up[3] - 1.0) < 0.01 and abs(down[3] - 1.0) < 0.01


def test_monotone_hue_kept_black_stays_black():
    n = 3000
    x = torch.logspace(-6, math.log10(5e3), n).view(1, 1, 1, n).expand(1, 3, 1, n)
    for h in (-1.0, 1.0):
        for s in (-1.0, 1.0):
            y = run(x, h, s)[0, 1, 0]
            assert (torch.diff(y) > 0).all()
    z = torch.zeros(1, 3, 1, 1)
    assert torch.equal(run(z, -1.0, 1.0), z)
    c = torch.tensor([[0.9, 0.4, 0.1], [3.0, 1.5, 0.2], [0.02, 0.01, 0.04]]).T.reshape(1, 3, 1, 3)
    y = run(c, -0.7, 0.6)
    r = y / c
    assert torch.allclose(r, r[:, :1].expand_as(r), rtol=1e-5)
