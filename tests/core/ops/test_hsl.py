"""hsl: per-band hue/saturation/lightness in OkLCh with seamless band weights."""
from __future__ import annotations

import numpy as np
import torch

from kolors.core.color import oklab_to_rgb, rgb_to_oklab
from kolors.core.ops._chroma import from_lch, to_lch
from kolors.core.ops.hsl import BANDS, HSL, band_weights
from kolors.core.params import RenderContext

OP = HSL()
CTX = RenderContext(full_size=(1, 4))


def params(**kw):
    p = {k: prm.default for k, prm in OP.params.items()}
    p.update(kw)
    return p


def px(rows):
    t = torch.tensor(rows, dtype=torch.float64).T.reshape(1, 3, 1, len(rows))
    return oklab_to_rgb(from_lch(t[:, 0:1], t[:, 1:2], t[:, 2:3])).float()


def lch(img):
    return torch.cat(to_lch(rgb_to_oklab(img.double())), 1)[0, :, 0]


def hue_diff(a, b):
    return (b - a + 180) % 360 - 180


def test_declares_24_params_with_the_agreed_names():
    names = [f"hsl_{b}_{k}" for b in ("red", "orange", "yellow", "green", "aqua", "blue", "purple", "magenta")
             for k in ("hue", "sat", "lum")]
    assert list(OP.params) == names
    assert all((OP.params[n].lo, OP.params[n].hi, OP.params[n].default) == (-1, 1, 0) for n in names)


def test_band_weights_partition_of_unity_and_smooth():
    h = torch.linspace(0, 360, 7201, dtype=torch.float64)[:-1]
    ws = torch.stack(band_weights(h))
    assert torch.allclose(ws.sum(0), torch.ones_like(h), atol=1e-9)
    assert (ws >= 0).all()
    for i, c in enumerate(BANDS.values()):
        assert abs(float(torch.stack(band_weights(torch.tensor([c], dtype=torch.float64)))[i, 0]) - 1) < 1e-9
    # no jumps anywhere around the circle (0.05° steps), including across 360 -> 0
    steps = torch.cat([ws, ws[:, :1]], 1).diff(dim=1).abs().max()
    assert steps < 0.01


def test_hue_slider_rotates_its_band_by_up_to_30_degrees():
    x = px([[0.6, 0.07, 260.0], [0.6, 0.07, 140.0]])  # blue centre, green centre
    y = OP.process(x, params(hsl_blue_hue=1.0), CTX)
    a, b = lch(x), lch(y)
    d = hue_diff(a[2], b[2])
    assert abs(float(d[0]) - 30.0) < 0.3
    assert abs(float(d[1])) < 1e-3  # the green pixel is not touched
    assert torch.allclose(a[0], b[0], atol=1e-5) and torch.allclose(a[1], b[1], rtol=1e-3)


def test_saturation_minus_one_greys_only_its_band():
    x = px([[0.6, 0.1, 20.0], [0.6, 0.1, 140.0]])  # red centre, green centre
    y = OP.process(x, params(hsl_red_sat=-1.0), CTX)
    a, b = lch(x), lch(y)
    assert b[1, 0] < 1e-5 and torch.allclose(a[0], b[0], atol=1e-5)
    assert abs(float(b[1, 1] - a[1, 1])) < 1e-5
    m = px([[0.6, 0.07, 140.0]])
    z = OP.process(m, params(hsl_green_sat=0.5), CTX)
    assert abs(float(lch(z)[1, 0] / lch(m)[1, 0]) - 1.5) < 0.03


def test_lightness_moves_coloured_pixels_not_neutrals():
    x = torch.cat([px([[0.55, 0.12, 140.0]]), torch.full((1, 3, 1, 1), 0.3)], -1)
    y = OP.process(x, params(hsl_green_lum=-1.0, hsl_red_lum=1.0, hsl_blue_lum=1.0), CTX)
    a, b = lch(x), lch(y)
    assert b[0, 0] < a[0, 0] * 0.75  # the green got darker
    assert abs(float(b[2, 0] - a[2, 0])) < 0.05  # same hue
    assert torch.allclose(y[..., 1], x[..., 1], atol=1e-5)  # the grey did not move


def test_no_seams_with_random_settings_around_the_hue_circle():
    rng = np.random.default_rng(4)
    p = {k: float(rng.uniform(-1, 1)) for k in OP.params}

    def max_step(n):
        h = np.linspace(0, 360, n + 1)[:-1]
        y = OP.process(px([[0.6, 0.06, float(v)] for v in h]), p, CTX)
        assert torch.isfinite(y).all()
        return float(torch.cat([y, y[..., :1]], -1).diff(dim=-1).abs().max())

    coarse, fine = max_step(1440), max_step(14400)
    assert coarse < 0.01  # 0.25° of input hue never jumps far
    assert fine < 0.2 * coarse  # and the steepest step shrinks with the step: continuous


def test_sat_increase_soft_limited_in_gamut():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(1, 3, 12, 12, generator=g)
    p = params(**{f"hsl_{b}_sat": 1.0 for b in BANDS})
    y = OP.process(x, p, CTX)
    assert y.min() > -3e-3 and y.max() < 1 + 3e-3


def test_uniform_settings_reach_greys_and_selectivity_fades_near_grey():
    from kolors.core.ops.hsl import band_coverage

    x = px([[0.6, 0.002, 20.0], [0.6, 0.1, 20.0], [0.6, 0.1, 200.0]])
    a = lch(x)
    grey = OP.process(x, params(**{f"hsl_{b}_sat": -1.0 for b in BANDS}), CTX)
    assert lch(grey)[1].max() < 1e-5  # every pixel, near-neutral or not
    y = OP.process(x, params(hsl_red_sat=-1.0), CTX)
    b = lch(y)
    assert b[1, 1] < 1e-5  # a clearly red colour goes grey
    assert abs(float(b[1, 2] - a[1, 2])) < 1e-5  # aqua untouched
    # a barely coloured "red" (hue unstable) gets only the average over the hue circle
    mean = -band_coverage()[0]
    assert abs(float(b[1, 0] / a[1, 0]) - (1 + mean)) < 2e-3
    assert abs(sum(band_coverage()) - 1) < 1e-12
