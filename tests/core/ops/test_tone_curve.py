"""tone_curve: PCHIP point curve per channel on sRGB-encoded values."""
from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest
import torch

from kolors.core import registry
from kolors.core.color import linear_to_srgb, srgb_to_linear
from kolors.core.ops.tone_curve import eval_curve, pchip_slopes
from kolors.core.params import RenderContext

OP = registry.get_op("tone_curve")
CTX = RenderContext(full_size=(4, 4))
S_CURVE = [[0.0, 0.0], [0.25, 0.18], [0.5, 0.5], [0.75, 0.84], [1.0, 1.0]]


def run(img, pts):
    return OP.process(img, {"tone_curve": OP.params["tone_curve"].validate(pts)}, CTX)


def test_pchip_slopes_by_hand():
    # interior: weighted harmonic mean 3 / (1.5/0.5 + 1.5/1.5) = 0.75; left end: the three-point
    # estimate is 0, right end (2·1.5·... ) = 2.0
    d = pchip_slopes(np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.25, 1.0]))
    assert np.allclose(d, [0.0, 0.75, 2.0])
    # a local extremum gets slope 0; two points give the straight line
    assert pchip_slopes(np.array([0, 0.5, 1.0]), np.array([0, 1.0, 0.2]))[1] == 0.0
    assert np.allclose(pchip_slopes(np.array([0.0, 1.0]), np.array([0.1, 0.9])), [0.8, 0.8])


def test_matches_scipy_when_available():
    # check the distribution, not the module: colour-science puts a mock ``scipy`` in
    # sys.modules when SciPy is missing
    try:
        importlib.metadata.version("scipy")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("SciPy not installed")
    interp = pytest.importorskip("scipy.interpolate")
    pts = np.array([[0.0, 0.05], [0.2, 0.1], [0.45, 0.6], [0.5, 0.62], [0.8, 0.95], [1.0, 1.0]])
    e = torch.linspace(0, 1, 257, dtype=torch.float64)
    ref = interp.PchipInterpolator(pts[:, 0], pts[:, 1])(e.numpy())
    assert np.allclose(eval_curve(e, pts.tolist()).numpy(), ref, atol=1e-12)


def test_passes_through_points_and_is_monotone_without_overshoot():
    e = torch.tensor([p[0] for p in S_CURVE], dtype=torch.float64)
    assert torch.allclose(eval_curve(e, S_CURVE), torch.tensor([p[1] for p in S_CURVE], dtype=torch.float64))
    pts = [[0.0, 0.0], [0.3, 0.05], [0.4, 0.9], [0.6, 0.92], [1.0, 1.0]]  # steep, then nearly flat
    y = eval_curve(torch.linspace(0, 1, 2001, dtype=torch.float64), pts)
    assert (torch.diff(y) >= 0).all() and y.min() >= 0 and y.max() <= 1


def test_identity_curve_and_per_channel_in_srgb_encoding():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, 6, 6, generator=g) * 1.2
    assert torch.allclose(run(x, [[0, 0], [1, 1]]), x, atol=1e-6)
    y = run(x, S_CURVE)
    ref = srgb_to_linear(eval_curve(linear_to_srgb(x), S_CURVE))
    assert torch.allclose(y, ref, atol=1e-6)
    # each channel sees the same curve: a grey stays grey, and encoded 0.25 maps to 0.18
    q = srgb_to_linear(torch.full((1, 3, 1, 1), 0.25))
    assert torch.allclose(linear_to_srgb(run(q, S_CURVE)), torch.full_like(q, 0.18), atol=1e-5)


def test_values_above_white_follow_the_slope_at_one():
    d_end = pchip_slopes(np.array([p[0] for p in S_CURVE]), np.array([p[1] for p in S_CURVE]))[-1]
    e = torch.tensor([0.999, 1.0, 1.001, 1.5, 3.0], dtype=torch.float64)
    y = eval_curve(e, S_CURVE)
    assert torch.allclose(y[3:], 1.0 + d_end * (e[3:] - 1.0))
    assert abs((y[2] - y[1]) - (y[1] - y[0])) < 1e-5  # C1 at 1: no kink
    lin = srgb_to_linear(torch.tensor([2.0]).view(1, 1, 1, 1).expand(1, 3, 1, 1))
    assert run(lin, S_CURVE).min() > 1.5  # highlights above white are not clipped
    # a curve whose last point is below x = 1 is flat there (Lightroom), values above stay finite
    flat = eval_curve(torch.tensor([0.95, 1.0, 7.0]), [[0, 0], [0.9, 1.0]])
    assert torch.allclose(flat, torch.ones(3))


def test_per_channel_curves():
    """tone_curve_red lifts only red (the RGB curve is the identity here), and the channel
    curves come after the RGB curve."""
    import torch
    from kolors.core import registry
    from kolors.core.color import linear_to_srgb, srgb_to_linear
    from kolors.core.params import RenderContext
    op = registry.get_op("tone_curve")
    p = {k: prm.default for k, prm in op.params.items()}
    x = srgb_to_linear(torch.full((1, 3, 2, 2), 0.5))
    lift = [[0.0, 0.0], [0.5, 0.7], [1.0, 1.0]]
    out = linear_to_srgb(op.process(x, {**p, "tone_curve_red": lift}, RenderContext()))
    assert torch.allclose(out[:, 0], torch.tensor(0.7), atol=1e-5)
    assert torch.allclose(out[:, 1:], torch.tensor(0.5), atol=1e-5)
    both = linear_to_srgb(op.process(x, {**p, "tone_curve": [[0, 0], [0.5, 0.25], [1, 1]],
                                         "tone_curve_blue": [[0, 0], [0.25, 0.5], [1, 1]]}, RenderContext()))
    assert torch.allclose(both[:, 2], torch.tensor(0.5), atol=1e-5)      # 0.5 -> 0.25 (RGB) -> 0.5 (blue)
    assert torch.allclose(both[:, 0], torch.tensor(0.25), atol=1e-5)
