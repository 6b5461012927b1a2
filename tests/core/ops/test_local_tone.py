"""Behaviour of the local_tone operation (bilateral grid of gains) and fit_tone_grid."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from kolors.core.ops.local_tone import LOG2_MAX, LOG2_MIN, fit_tone_grid
from kolors.core.params import RenderContext
from kolors.core.registry import get_op, validate_settings
from kolors.core.ops import PIPELINE

OP = get_op("local_tone")


def tiled_process(op, p, img, ctx, tile):
    """Render tile by tile (tile + halo, clipped at the photo border, then cropped)."""
    H, W = img.shape[-2:]
    h = op.halo(p, ctx)
    out = torch.empty_like(img)
    for y in range(0, H, tile):
        for x in range(0, W, tile):
            y0, y1 = max(0, y - h), min(H, y + tile + h)
            x0, x1 = max(0, x - h), min(W, x + tile + h)
            c = RenderContext(full_size=ctx.full_size, offset=(ctx.offset[0] + y0, ctx.offset[1] + x0),
                              scale=ctx.scale)
            r = op.process(img[..., y0:y1, x0:x1], p, c)
            th, tw = min(tile, H - y), min(tile, W - x)
            out[..., y:y + th, x:x + tw] = r[..., y - y0:y - y0 + th, x - x0:x - x0 + tw]
    return out


def _halves(h=96, w=128, dark=0.02, bright=0.5, noise=0.0, seed=0):
    img = torch.full((1, 3, h, w), dark)
    img[..., w // 2:] = bright
    if noise:
        g = torch.Generator().manual_seed(seed)
        img = img * torch.exp2(noise * torch.randn(1, 1, h, w, generator=g))
    return img


def test_declared_param():
    prm = OP.params["tone_grid"]
    assert prm.kind == "grid" and prm.ndim == 3 and prm.hidden and prm.default is None
    assert PIPELINE.index("exposure") < OP.order < PIPELINE.index("highlights_shadows") and OP.group == "task" and not OP.pointwise
    assert OP.is_identity({"tone_grid": None})
    assert OP.halo({"tone_grid": np.zeros((2, 2, 2))}, RenderContext((10, 10))) == 0
    with pytest.raises(ValueError):
        validate_settings({"tone_grid": np.zeros((4, 4))})


def test_zero_grid_is_identity():
    g = torch.Generator().manual_seed(0)
    img = torch.rand(2, 3, 20, 30, generator=g) * 3 - 0.5
    out = OP.process(img, {"tone_grid": np.zeros((5, 7, 4), np.float32)}, RenderContext(full_size=(20, 30)))
    assert torch.equal(out, img)


def test_constant_grid_is_a_gain_and_keeps_hue():
    img = torch.rand(1, 3, 16, 16) + 0.01
    out = OP.process(img, {"tone_grid": np.full((3, 3, 4), 1.0, np.float32)}, RenderContext(full_size=(16, 16)))
    assert torch.allclose(out, img * 2, rtol=1e-5)


def test_dark_half_lifted_more_than_bright_half():
    img = _halves(noise=0.2)
    grid = fit_tone_grid(img, 0.8)
    assert grid.shape == (16, 16, 8) and grid.dtype == np.float32 and np.isfinite(grid).all()
    out = OP.process(img, {"tone_grid": validate_settings({"tone_grid": grid})["tone_grid"]},
                     RenderContext(full_size=img.shape[-2:]))
    gain = torch.log2(out[0, 1] / img[0, 1])
    w = img.shape[-1]
    dark, bright = float(gain[:, : w // 2].mean()), float(gain[:, w // 2:].mean())
    assert dark > 1.0 and dark > bright + 1.0
    # detail inside a region keeps its contrast (gains vary little within a half)
    assert float(gain[:, 8: w // 2 - 8].std()) < 0.2
    # nothing is pushed above white by the lift
    assert float(out[..., : w // 2].max()) < 1.0


def test_fit_on_thumbnail_applies_to_full_resolution():
    """A grid fitted on a thumbnail does the same to the full image (resolution free)."""
    full = _halves(h=192, w=256, noise=0.1)
    thumb = torch.nn.functional.avg_pool2d(full, 4)
    grid = fit_tone_grid(thumb, 0.6)
    out = OP.process(full, {"tone_grid": grid}, RenderContext(full_size=(192, 256)))
    prev = OP.process(thumb, {"tone_grid": grid}, RenderContext(full_size=(192, 256), scale=0.25))
    g_full = torch.nn.functional.avg_pool2d(torch.log2(out / full), 4)
    g_prev = torch.log2(prev / thumb)
    assert float((g_full - g_prev).abs().mean()) < 0.05


def test_fit_options():
    img = _halves()
    assert not fit_tone_grid(img, 0.0).any()
    g = fit_tone_grid(img[0].numpy(), 1.0, grid=(4, 6, 5))          # numpy, (3,h,w)
    assert g.shape == (4, 6, 5)
    # a custom gain function: constant +0.5 stop everywhere (below white)
    g2 = fit_tone_grid(img, lambda mu, level: np.full_like(mu, 0.5), grid=(4, 4, 8))
    assert np.allclose(g2[..., :5], 0.5, atol=1e-3)
    # extreme thumbnails stay finite
    for t in (torch.zeros(1, 3, 8, 8), torch.full((1, 3, 8, 8), 1e4), -torch.ones(1, 3, 8, 8)):
        assert np.isfinite(fit_tone_grid(t, 1.0)).all()
    with pytest.raises(ValueError):
        fit_tone_grid(torch.zeros(1, 4, 8, 8))


def test_smooth_no_blocks():
    """On a smooth ramp the output stays monotone and free of steps at cell borders."""
    h, w = 64, 256
    ramp = torch.exp2(torch.linspace(-8, 0, w)).view(1, 1, 1, w).expand(1, 3, h, w).contiguous()
    grid = fit_tone_grid(ramp, 0.7)
    out = OP.process(ramp, {"tone_grid": grid}, RenderContext(full_size=(h, w)))
    l = torch.log2(out[0, 1, h // 2])
    d = l[1:] - l[:-1]
    assert bool((d > 0).all())
    assert float(d.max()) < 4 * float(torch.log2(ramp[0, 1, 0, 1:] / ramp[0, 1, 0, :-1]).max())


@pytest.mark.parametrize("full,scale,tile", [((60, 90), 1.0, 17), ((1000, 1500), 0.25, 100), ((300, 200), 0.5, 33)])
def test_tiled_equals_untiled(full, scale, tile):
    rng = np.random.default_rng(1)
    grid = rng.normal(0, 1.5, (6, 9, 5)).astype(np.float32)
    ctx = RenderContext(full_size=full, scale=scale)
    h, w = ctx.render_size
    g = torch.Generator().manual_seed(1)
    img = torch.exp2(torch.rand(1, 3, h, w, generator=g) * (LOG2_MAX - LOG2_MIN + 2) + LOG2_MIN - 1)
    p = {"tone_grid": grid}
    a = OP.process(img, p, ctx)
    b = tiled_process(OP, p, img, ctx, tile)
    assert float(((a - b).abs() / (a.abs() + 1e-3)).max()) < 1e-4


def test_position_uses_full_photo_coordinates():
    """A grid that lifts only the right column of cells affects the right of the photo,
    whatever part of it a tensor holds."""
    grid = np.zeros((1, 2, 2), np.float32)
    grid[:, 1] = 1.0
    img = torch.full((1, 3, 4, 10), 0.2)
    ctx = RenderContext(full_size=(4, 1000), offset=(0, 990))
    out = OP.process(img, {"tone_grid": grid}, ctx)
    assert torch.allclose(out, img * 2)
    out = OP.process(img, {"tone_grid": grid}, RenderContext(full_size=(4, 1000), offset=(0, 0)))
    assert torch.allclose(out, img)


def test_finite_on_extremes():
    img = torch.zeros(1, 3, 10, 10)
    img[..., :3, :] = 1e4
    img[..., 3:6, :] = -1
    out = OP.process(img, {"tone_grid": np.full((2, 2, 3), 16.0, np.float32)}, RenderContext(full_size=(10, 10)))
    assert torch.isfinite(out).all()
