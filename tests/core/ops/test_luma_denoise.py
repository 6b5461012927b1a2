"""Luminance noise reduction: lowers noise on a flat patch of a noisy photo, keeps an edge,
keeps colour; the RAW default follows the ISO."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from kolors.core import registry
from kolors.core.ops.luma_denoise import default_for_iso
from kolors.core.params import RenderContext

OP = registry.get_op("luma_denoise")


def _p(**kw):
    p = {k: prm.default for k, prm in OP.params.items()}
    p.update(kw)
    return p


def _noisy_step(seed=0, h=64, w=128, noise=0.08):
    """A vertical step from 0.1 to 0.4 (linear; 2 stops) with 8 % multiplicative grain."""
    g = torch.Generator().manual_seed(seed)
    clean = torch.full((1, 3, h, w), 0.1)
    clean[..., w // 2:] = 0.4
    grain = 1 + noise * torch.randn(1, 1, h, w, generator=g)
    return clean, clean * grain


def test_noise_goes_down_and_the_edge_stays():
    clean, noisy = _noisy_step()
    ctx = RenderContext(full_size=noisy.shape[-2:])
    out = OP.process(noisy, _p(luma_denoise=0.7, luma_denoise_detail=0.0), ctx)
    flat = (slice(4, -4), slice(4, 52))
    assert out[0, 1][flat].std() < 0.5 * noisy[0, 1][flat].std()
    # the 2-stop step keeps its levels and stays sharp (the columns next to it keep their value)
    row = out[0, 1].mean(0)
    assert abs(float(row[:60].mean()) / 0.1 - 1) < 0.02 and abs(float(row[68:].mean()) / 0.4 - 1) < 0.02
    assert float(row[62]) < 0.13 and float(row[65]) > 0.36
    # error against the clean photo falls
    assert (out - clean).abs().mean() < 0.6 * (noisy - clean).abs().mean()


def test_detail_keeps_texture_and_colour_is_kept():
    _, noisy = _noisy_step(seed=1)
    ctx = RenderContext(full_size=noisy.shape[-2:])
    smooth = OP.process(noisy, _p(luma_denoise=0.7, luma_denoise_detail=0.0), ctx)
    textured = OP.process(noisy, _p(luma_denoise=0.7, luma_denoise_detail=1.0), ctx)
    assert smooth[0, 1, :, :56].std() < textured[0, 1, :, :56].std() < noisy[0, 1, :, :56].std()
    tinted = noisy * torch.tensor([1.2, 1.0, 0.7]).view(1, 3, 1, 1)
    out = OP.process(tinted, _p(luma_denoise=0.5), ctx)
    ratio = out / tinted
    assert torch.allclose(ratio[:, 0], ratio[:, 2], rtol=1e-4)


@pytest.mark.parametrize("iso,expected", [(None, 0.0), (100, 0.0), (200, 0.0), (800, 0.2), (3200, 0.4),
                                          (12800, 0.6), (409600, 0.8)])
def test_default_strength_follows_iso(iso, expected):
    assert default_for_iso(iso) == pytest.approx(expected, abs=1e-9)
    assert 0.0 <= default_for_iso(iso) <= OP.params["luma_denoise"].hi
