"""Dehaze: the airlight of a synthetically hazed photo is found, the haze is removed
(closer to the clean scene), a negative amount adds a veil; seamless tiles and identity at
0 are in the generic tests."""
from __future__ import annotations

import numpy as np
import torch

from kolors.core import registry
from kolors.core.params import RenderContext

OP = registry.get_op("dehaze")
AIR = torch.tensor([0.8, 0.85, 0.9]).view(1, 3, 1, 1)


def _p(**kw):
    p = {k: prm.default for k, prm in OP.params.items()}
    p.update(kw)
    return p


def _hazy(seed=0, h=120, w=180):
    """A textured scene (one dark channel per pixel near 0, as in haze-free outdoor photos:
    saturated patches and shadows) under haze that thickens with distance (top = far), and
    a band of sky (nearly at infinity) along the top."""
    rng = np.random.default_rng(seed)
    cells = rng.uniform(0.02, 0.6, (3, h // 10, w // 10))
    cells[rng.integers(0, 3, cells.shape[1:]), *np.indices(cells.shape[1:])] = 0.01   # one dark channel
    clean = torch.from_numpy(np.kron(cells, np.ones((10, 10)))).float()[None]
    depth = torch.linspace(3.0, 0.3, h).view(1, 1, h, 1).expand(1, 1, h, w)
    t = torch.exp(-0.6 * depth)
    t[..., : h // 10, :] = 0.02                                  # sky
    return clean, clean * t + AIR * (1 - t), t


def test_airlight_is_found():
    _, hazy, _ = _hazy()
    a = torch.tensor(OP.photo_stats(_p(), hazy)["dehaze_airlight"])
    assert torch.allclose(a, AIR.flatten(), rtol=0.08), a


def test_haze_is_removed():
    clean, hazy, _ = _hazy()
    p = _p(dehaze=1.0, **OP.photo_stats(_p(), hazy))
    out = OP.process(hazy, p, RenderContext(full_size=hazy.shape[-2:]))
    before = (hazy - clean).abs().mean()
    after = (out - clean).abs().mean()
    assert after < 0.5 * before, (float(before), float(after))
    # contrast comes back most where the haze was thickest (the top)
    std = lambda x, rows: float(x[..., rows, :].std())   # noqa: E731
    assert std(out, slice(12, 40)) > 2.0 * std(hazy, slice(12, 40))
    half = OP.process(hazy, {**p, "dehaze": 0.5}, RenderContext(full_size=hazy.shape[-2:]))
    assert after < (half - clean).abs().mean() < before


def test_negative_adds_a_veil_of_airlight():
    clean, hazy, _ = _hazy()
    p = _p(dehaze=-1.0, dehaze_airlight=[0.8, 0.85, 0.9])
    out = OP.process(clean, p, RenderContext(full_size=clean.shape[-2:]))
    assert torch.allclose(out, clean * 0.5 + AIR * 0.5, atol=1e-6)
    assert OP.halo(p, RenderContext(full_size=(120, 180))) == 0


def test_preview_and_export_agree():
    """A half-size render with the same (photo-level) airlight is the full render made small."""
    _, hazy, _ = _hazy(h=240, w=360)
    p = _p(dehaze=0.8, **OP.photo_stats(_p(), hazy))
    full = OP.process(hazy, p, RenderContext(full_size=(240, 360)))
    small_in = torch.nn.functional.avg_pool2d(hazy, 2)
    small = OP.process(small_in, p, RenderContext(full_size=(240, 360), scale=0.5))
    assert (torch.nn.functional.avg_pool2d(full, 2) - small).abs().mean() < 0.15 * (small - small_in).abs().mean()


def test_photo_stats_are_filled_from_the_photo_as_it_reaches_dehaze():
    """fill_photo_stats runs the operations before dehaze on the thumbnail: an exposure of
    −1 EV before it halves the airlight it finds."""
    _, hazy, _ = _hazy()
    assert not registry.needs_photo_stats({"exposure": 0.5})
    assert registry.fill_photo_stats({"exposure": 0.5}, hazy) == {"exposure": 0.5}
    s = registry.fill_photo_stats({"dehaze": 0.6}, hazy)
    s2 = registry.fill_photo_stats({"dehaze": 0.6, "exposure": -1.0}, hazy)
    a, a2 = np.array(s["dehaze_airlight"]), np.array(s2["dehaze_airlight"])
    assert registry.needs_photo_stats({"dehaze": 0.6})
    assert np.allclose(a, OP.photo_stats(_p(), hazy)["dehaze_airlight"]) and np.allclose(a2, a / 2, rtol=1e-4)
