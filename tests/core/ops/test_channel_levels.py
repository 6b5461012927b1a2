"""channel_levels: per-channel black/white/gamma on sRGB-encoded values."""
from __future__ import annotations

import torch

from kolors.core import registry
from kolors.core.color import linear_to_srgb, srgb_to_linear
from kolors.core.ops.channel_levels import levels
from kolors.core.params import RenderContext

OP = registry.get_op("channel_levels")
CTX = RenderContext(full_size=(4, 4))


def run(img, b=(0, 0, 0), w=(1, 1, 1), g=(1, 1, 1)):
    return OP.process(img, {"levels_black": list(b), "levels_white": list(w), "levels_gamma": list(g)}, CTX)


def enc(*vals):
    """Linear image whose sRGB-encoded channels are ``vals`` (each a 3-tuple)."""
    return srgb_to_linear(torch.tensor(vals, dtype=torch.float32).T.reshape(1, 3, 1, len(vals)))


def test_black_and_white_points_map_to_0_and_1_per_channel():
    b, w = (0.1, 0.2, 0.05), (0.8, 0.9, 0.7)
    y = linear_to_srgb(run(enc(b, w), b, w, (1.3, 0.8, 2.0)))[0, :, 0]
    assert torch.allclose(y[:, 0], torch.zeros(3), atol=3e-4)  # sqrt-like gamma amplifies float rounding
    assert torch.allclose(y[:, 1], torch.ones(3), atol=1e-5)


def test_gamma_and_channel_independence():
    y = linear_to_srgb(run(enc((0.25, 0.25, 0.25)), g=(2.0, 1.0, 0.5)))[0, :, 0, 0]
    assert torch.allclose(y, torch.tensor([0.5, 0.25, 0.0625]), atol=1e-5)


def test_stretches_a_faded_image_back():
    g = torch.Generator().manual_seed(0)
    e = torch.rand(1, 3, 8, 8, generator=g)
    faded = srgb_to_linear(0.15 + 0.7 * e)
    restored = linear_to_srgb(run(faded, (0.15,) * 3, (0.85,) * 3))
    assert torch.allclose(restored, e, atol=1e-5)


def test_extension_beyond_the_points_is_continuous_monotone_and_finite():
    e = torch.linspace(-1.5, 50.0, 20001, dtype=torch.float64)
    b, w = torch.tensor(0.3, dtype=torch.float64), torch.tensor(0.7, dtype=torch.float64)
    for gam in (0.2, 1.0, 5.0):
        y = levels(e, b, w, torch.tensor(gam, dtype=torch.float64))
        assert torch.isfinite(y).all() and (torch.diff(y) > 0).all()
        assert (y[e < 0.3] < 0).all() and (y[e < 0.3] > -5).all()  # below black: ordered, mildly negative
        # no jumps at the black and white points
        at = torch.tensor([0.3 - 1e-9, 0.3 + 1e-12, 0.7 - 1e-9, 0.7 + 1e-9], dtype=torch.float64)
        v = levels(at, b, w, torch.tensor(gam, dtype=torch.float64))
        assert abs(v[1] - v[0]) < 1e-2 and abs(v[3] - v[2]) < 1e-6
        # above white: linear with the slope at 1 (1/gamma per unit of t)
        assert torch.allclose(levels(torch.tensor([1.1], dtype=torch.float64), b, w, torch.tensor(gam)),
                              torch.tensor([1.0 + (0.8 / 0.4 - 1.0) / gam], dtype=torch.float64))
    # degenerate or inverted span stays finite
    x = torch.tensor([0.0, 1e4, -1.0, 0.5]).view(1, 1, 1, 4).repeat(1, 3, 1, 1)
    y = run(x, (0.95,) * 3, (0.05,) * 3, (0.2, 5.0, 1.0))
    assert torch.isfinite(y).all()


def test_continuous_near_defaults():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(1, 3, 8, 8, generator=g) * 1.1
    y = run(x, (0.002,) * 3, (0.998,) * 3, (1.01, 0.99, 1.0))
    assert (y - x).abs().max() < 0.01
