"""whites_blacks: move the white and black ends of the tonal range."""
from __future__ import annotations

import math

import torch

from kolors.core import registry
from kolors.core.params import RenderContext

OP = registry.get_op("whites_blacks")
CTX = RenderContext(full_size=(4, 4))


def run(img, w=0.0, b=0.0):
    return OP.process(img, {"whites": w, "blacks": b}, CTX)


def grey(*vals):
    return torch.tensor(vals, dtype=torch.float32).view(1, 1, 1, -1).expand(1, 3, 1, len(vals)).contiguous()


def test_whites_move_the_white_end_more_than_the_mids():
    x = grey(0.01, 0.18, 0.7, 1.0, 3.0)
    up, down = run(x, w=1.0)[0, 1, 0], run(x, w=-1.0)[0, 1, 0]
    assert up[3] > 1.4 and down[3] < 0.7
    assert abs(up[0] / 0.01 - 1) < 0.01 and abs(down[0] / 0.01 - 1) < 0.01
    assert abs(up[1] / 0.18 - 1) < 0.1 and abs(down[1] / 0.18 - 1) < 0.1
    # relative change grows toward white
    assert (up[3] / 1.0) > (up[2] / 0.7) > (up[1] / 0.18)
    # negative whites compress values above white
    assert down[4] < 1.5


def test_blacks_move_the_black_end_and_leave_whites():
    x = grey(0.001, 0.01, 0.05, 0.5, 1.0, 4.0)
    crush, lift = run(x, b=-1.0)[0, 1, 0], run(x, b=1.0)[0, 1, 0]
    assert crush[0] < 0.3 * 0.001 and crush[1] < 0.5 * 0.01
    assert lift[0] > 1.5 * 0.001 and lift[1] > 1.5 * 0.01
    assert torch.allclose(crush[3:], x[0, 1, 0, 3:], rtol=1e-5)
    assert torch.allclose(lift[3:], x[0, 1, 0, 3:], rtol=1e-5)


def test_monotone_hue_kept_black_stays_black_continuous():
    n = 3000
    x = torch.logspace(-6, math.log10(5e3), n).view(1, 1, 1, n).expand(1, 3, 1, n)
    for w in (-1.0, 1.0):
        for b in (-1.0, 1.0):
            y = run(x, w, b)[0, 1, 0]
            assert (torch.diff(y) > 0).all()
    z = torch.zeros(1, 3, 1, 1)
    assert torch.equal(run(z, 1.0, 1.0), z)
    c = torch.tensor([[0.9, 0.4, 0.1], [3.0, 1.5, 0.2], [0.02, 0.01, 0.04]]).T.reshape(1, 3, 1, 3)
    y = run(c, 0.6, -0.8)
    r = y / c
    assert torch.allclose(r, r[:, :1].expand_as(r), rtol=1e-5)
    small = run(x, 0.01, -0.01)
    assert ((small - x).abs() / x).max() < 0.02
