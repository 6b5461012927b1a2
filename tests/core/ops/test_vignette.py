"""vignette: radial gain in linear light from the position in the full photo."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from kolors.core.params import RenderContext
from kolors.core.ops.vignette import Vignette

OP = Vignette()


def params(v, mid=0.5):
    return {"vignette": v, "vignette_midpoint": mid}


def gain(h, w, p, ctx=None):
    ones = torch.ones(1, 3, h, w)
    return OP.process(ones, p, ctx or RenderContext(full_size=(h, w)))[0, 0]


def tiled(img, p, full, tile=24, scale=1.0):
    """Process overlapping crops (halo 0) placed with ctx.offset and stitch them."""
    h, w = img.shape[-2:]
    out = torch.empty_like(img)
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            part = img[..., y0:y0 + tile, x0:x0 + tile]
            ctx = RenderContext(full_size=full, offset=(y0, x0), scale=scale)
            out[..., y0:y0 + tile, x0:x0 + tile] = OP.process(part, p, ctx)
    return out


def test_centre_untouched_corners_two_stops_darker():
    g = gain(101, 151, params(-1.0))
    assert abs(float(g[50, 75]) - 1) < 1e-6
    corner = float(g[0, 0])
    assert 0.25 <= corner < 0.27  # ≈ -2 EV (pixel centres are just inside the corner)
    lighten = gain(101, 151, params(1.0))
    assert 3.7 < float(lighten[0, 0]) <= 4.0 and abs(float(lighten[50, 75]) - 1) < 1e-6


def test_monotone_along_the_diagonal_and_elliptical():
    h, w = 100, 200
    g = gain(h, w, params(-0.7))
    diag = torch.stack([g[int(i * (h / 2 - 1) / 49), int(i * (w / 2 - 1) / 49)] for i in range(50)])
    assert (diag.diff() >= -1e-7).all()  # brighter towards the centre
    # middles of the long and the short edge are at the same normalised radius
    assert abs(float(g[0, w // 2] - g[h // 2, 0])) < 0.02


def test_midpoint_moves_the_start_of_the_falloff():
    g0 = gain(80, 120, params(-1.0, 0.0))
    g1 = gain(80, 120, params(-1.0, 1.0))
    assert (g0 < 0.999).float().mean() > 0.9  # from the centre outward
    assert (g1 < 0.999).float().mean() < 0.1  # corners only
    assert (g0 <= g1 + 1e-7).all()


def test_multiplicative_in_linear_light():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, 30, 40, generator=g) * 3
    y = OP.process(x, params(-0.5), RenderContext(full_size=(30, 40)))
    gm = gain(30, 40, params(-0.5))
    assert torch.allclose(y, x * gm, rtol=1e-6)


def test_tiles_equal_the_whole_image():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(1, 3, 70, 95, generator=g)
    p = params(-0.8, 0.3)
    full = OP.process(x, p, RenderContext(full_size=(70, 95)))
    assert (tiled(x, p, (70, 95)) - full).abs().max() <= 1e-6


def test_preview_matches_export():
    h, w = 120, 180
    p = params(-1.0, 0.4)
    g_full = gain(h, w, p)
    # a quarter-size preview: same full size, scale 0.25, rendered in tiles
    small = tiled(torch.ones(1, 3, h // 4, w // 4), p, (h, w), tile=11, scale=0.25)[0, 0]
    ref = F.avg_pool2d(g_full[None, None], 4)[0, 0]
    assert (small - ref).abs().max() < 0.01
    assert math.isclose(float(small.min()), float(ref.min()), abs_tol=0.01)
