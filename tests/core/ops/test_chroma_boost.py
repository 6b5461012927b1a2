"""chroma_boost: OkLCh chroma × factor, L and hue kept, soft gamut limit."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from kolors.core.color import oklab_to_rgb, rgb_to_oklab, srgb_to_linear
from kolors.core.ops._chroma import from_lch, max_chroma, soft_chroma, to_lch
from kolors.core.ops.chroma_boost import ChromaBoost
from kolors.core.params import RenderContext

OP = ChromaBoost()
CTX = RenderContext(full_size=(8, 8))


def run(img, k):
    return OP.process(img, {"chroma_boost": k}, CTX)


def lch(img):
    """OkLCh with chroma/hue about the neutral axis (as the op measures them), (B,3,H,W)."""
    return torch.cat(to_lch(rgb_to_oklab(img.double())), 1)


def muted(n=64, seed=0):
    """Low-chroma colours well inside the gamut."""
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(1, 1, 8, n // 8, generator=g) * 0.5 + 0.15
    return (base + (torch.rand(1, 3, 8, n // 8, generator=g) - 0.5) * 0.06).clamp(0.01, 1)


def photo(kodak, name="kodim23.png", step=6):
    path = [p for p in kodak if p.name == name][0]
    a = np.asarray(Image.open(path).convert("RGB"))[::step, ::step] / 255.0
    return srgb_to_linear(torch.tensor(a, dtype=torch.float32).permute(2, 0, 1)[None].contiguous())


def test_one_is_identity_and_small_steps_are_small():
    x = muted()
    assert torch.allclose(run(x, 1.0), x, atol=2e-5)
    assert (run(x, 1.01) - x).abs().max() < 2e-3


def test_zero_is_greyscale_with_lightness_kept():
    x = muted(seed=1)
    y = run(x, 0.0)
    a, b = lch(x), lch(y)
    assert b[:, 1].max() < 1e-5
    assert torch.allclose(a[:, 0], b[:, 0], atol=1e-5)
    assert (y.max(1).values - y.min(1).values).max() < 1e-4  # R = G = B


def test_desaturation_is_exact_and_boost_on_muted_colours_is_close_to_exact():
    x = muted(seed=2)
    a = lch(x)
    for k in (0.5, 1.5):
        b = lch(run(x, k))
        ratio = b[:, 1] / a[:, 1]
        tol = 1e-3 if k < 1 else 0.02
        assert torch.allclose(ratio, torch.full_like(ratio, k), atol=tol), (k, ratio.min(), ratio.max())
        assert torch.allclose(a[:, 0], b[:, 0], atol=1e-5)
        dh = (b[:, 2] - a[:, 2] + 180) % 360 - 180
        assert dh.abs().max() < 0.05


def test_boost_keeps_a_photo_inside_the_gamut_where_naive_scaling_clips(kodak):
    x = photo(kodak)
    y = run(x, 2.0)
    lab = rgb_to_oklab(x)
    naive = oklab_to_rgb(torch.cat([lab[:, :1], lab[:, 1:] * 2], 1))
    oog = lambda t: ((t < -1e-3) | (t > 1 + 1e-3)).any(1).float().mean().item()  # noqa: E731
    assert oog(naive) > 0.2
    assert oog(y) < 0.002
    a, b = lch(x), lch(y)
    # chroma only grows, the photo as a whole gets clearly more colourful
    assert (b[:, 1] >= a[:, 1] - 1e-4).all()
    assert b[:, 1].sum() / a[:, 1].sum() > 1.3
    assert torch.allclose(a[:, 0], b[:, 0], atol=1e-4)


def test_saturated_primaries_do_not_move_further_out():
    x = torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [1.0, 1.0, 0]]).T.reshape(1, 3, 2, 2)
    y = run(x, 2.0)
    assert y.min() > -1e-3 and y.max() < 1 + 1e-3


def test_hdr_values_stay_finite_and_bounded():
    x = torch.tensor([[5.0, 2.0, 1.0], [1e4, 10.0, 1.0], [-1.0, 0.5, 0.2], [0.0, 0.0, 0.0]]).T.reshape(1, 3, 2, 2)
    y = run(x, 2.0)
    assert torch.isfinite(y).all()
    # an HDR highlight gets more colourful, with no channel beyond (brightest channel)² or
    # (more than a hair) below 0
    assert y[0, :, 0, 0].max() <= 25.0 * 1.001 and y[0, :, 0, 0].min() >= -1e-3
    assert lch(y)[0, 1, 0, 0] > lch(x)[0, 1, 0, 0] * 1.05
    assert y[0, :, 0, 1].max() <= 1e8 and y[0, :, 0, 1].min() >= -1e-4 * 1e4


def test_soft_chroma_never_exceeds_request_and_approaches_gamut_edge():
    L = torch.full((50,), 0.6)
    h = torch.full((50,), 150.0)
    C0 = torch.full((50,), 0.05)
    C1 = torch.linspace(0.05, 1.0, 50)
    out = soft_chroma(C0, C1, L, h, 1.0)
    cmax = max_chroma(L[:1], h[:1])
    assert (out <= C1 + 1e-7).all() and (out >= C0 - 1e-7).all()
    assert (out[1:] >= out[:-1] - 1e-7).all()  # monotone
    assert out.max() <= cmax + 1e-6 and out.max() > 0.95 * cmax
    # decreases are exact
    assert torch.equal(soft_chroma(C0, C0 * 0.3, L, h, 1.0), C0 * 0.3)


def test_max_chroma_is_a_conservative_gamut_edge():
    g = torch.Generator().manual_seed(5)
    x = torch.rand(1, 3, 32, 32, generator=g)
    L, C, h = to_lch(rgb_to_oklab(x))
    cm = max_chroma(L, h)
    # mid-tone colours: the edge lies beyond every in-gamut colour except a few right at it
    mid = (L > 0.2) & (L < 0.8)
    assert (C[mid] <= cm[mid] * 1.02 + 1e-4).float().mean() > 0.97
    # and the colour at the edge is (just) inside
    edge = oklab_to_rgb(from_lch(L, cm, h))
    assert edge.min() > -1e-3 and edge.max() < 1 + 1e-3
    assert (edge.amin(1) < 0.02).logical_or(edge.amax(1) > 0.98).float().mean() > 0.5


@pytest.mark.parametrize("dtype", [torch.float16, torch.float64])
def test_dtype_kept(dtype):
    x = muted().to(dtype)
    assert run(x, 1.5).dtype == dtype
