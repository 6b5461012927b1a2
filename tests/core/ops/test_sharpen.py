"""Capture sharpening: more high-frequency energy where there are edges, none added on flat
areas with masking, halos bounded by the detail limit, seamless tiles (generic tests)."""
from __future__ import annotations

import pytest
import torch

from kolors.core import registry
from kolors.core.ops.sharpen import halo_limit
from kolors.core.ops._spatial import gauss_blur, log2_luma
from kolors.core.params import RenderContext

OP = registry.get_op("sharpen")


def _p(**kw):
    p = {k: prm.default for k, prm in OP.params.items()}
    p.update(kw)
    return p


def _scene(seed=0, h=96, w=192):
    """Left half: flat grey with faint sensor noise; right half: a soft (σ = 1.5 px)
    checkerboard of 8 px squares, as a slightly soft lens renders it."""
    g = torch.Generator().manual_seed(seed)
    img = torch.full((1, 3, h, w), 0.18)
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    checker = (((yy // 8) + (xx // 8)) % 2).float() * 0.5 + 0.05
    right = gauss_blur(checker.view(1, 1, h, w), 1.5).expand(1, 3, h, w)
    img[..., w // 2:] = right[..., w // 2:]
    img[..., : w // 2] *= 1 + 0.01 * torch.randn(1, 1, h, w // 2, generator=g)
    return img


def _hf(img, region):
    v = log2_luma(img, 2e-3)
    d = (v - gauss_blur(v, 1.0))[..., 8:-8, region]
    return float((d * d).mean())


def test_sharpening_adds_high_frequencies_only_at_edges():
    img = _scene()
    ctx = RenderContext(full_size=img.shape[-2:])
    flat, edges = slice(8, 88), slice(104, 184)
    out = OP.process(img, _p(sharpen_amount=1.5, sharpen_masking=0.6), ctx)
    assert _hf(out, edges) > 1.25 * _hf(img, edges)         # edges crisper (halo limit of detail 0.25)
    crisp = OP.process(img, _p(sharpen_amount=1.5, sharpen_masking=0.6, sharpen_detail=1.0), ctx)
    assert _hf(crisp, edges) > 1.6 * _hf(img, edges)        # detail 1: little halo limit
    assert _hf(crisp, edges) > 1.1 * _hf(out, edges)
    assert _hf(crisp, flat) < 1.05 * _hf(img, flat)
    assert _hf(out, flat) < 1.05 * _hf(img, flat)           # noise of the flat part not sharpened
    unmasked = OP.process(img, _p(sharpen_amount=1.5), ctx)
    assert _hf(unmasked, flat) > 1.5 * _hf(img, flat)       # without masking the noise is sharpened too
    # colour kept: a luminance ratio, so r:g:b of every pixel is unchanged
    ratio = out / img.clamp_min(1e-6)
    assert torch.allclose(ratio[:, 0], ratio[:, 1], rtol=1e-4) and torch.allclose(ratio[:, 1], ratio[:, 2], rtol=1e-4)


def test_detail_bounds_halos():
    img = _scene()
    ctx = RenderContext(full_size=img.shape[-2:])
    for detail in (0.0, 0.25, 0.6):
        out = OP.process(img, _p(sharpen_amount=2.0, sharpen_detail=detail), ctx)
        stops = (log2_luma(out, 2e-3) - log2_luma(img, 2e-3)).abs().max()
        assert stops <= 2.0 * halo_limit(detail) + 1e-5, (detail, float(stops))
    assert halo_limit(0.0) == pytest.approx(0.05) and halo_limit(1.0) == pytest.approx(4.0)
    soft = OP.process(img, _p(sharpen_amount=2.0, sharpen_detail=0.0), ctx)
    hard = OP.process(img, _p(sharpen_amount=2.0, sharpen_detail=1.0), ctx)
    assert (hard - img).abs().max() > 3 * (soft - img).abs().max()


def test_radius_scales_with_the_render():
    """A quarter-size preview sharpens a quarter-size radius: the preview of a sharpened
    photo is the sharpened photo made small (within what the resampling changes)."""
    img = _scene(h=192, w=384)
    full = OP.process(img, _p(sharpen_amount=1.0, sharpen_radius=2.0), RenderContext(full_size=(192, 384)))
    small_in = torch.nn.functional.avg_pool2d(img, 2)
    small = OP.process(small_in, _p(sharpen_amount=1.0, sharpen_radius=2.0),
                       RenderContext(full_size=(192, 384), scale=0.5))
    assert (torch.nn.functional.avg_pool2d(full, 2) - small).abs().mean() < 0.25 * (small - small_in).abs().mean()
