"""Behaviour of the detail_recovery operation."""
from __future__ import annotations


import numpy as np
import pytest
import torch
import torch.nn.functional as F

from kolors.core.color import linear_to_srgb, srgb_to_linear
from kolors.core.ops._spatial import blur_frac, log2_luma
from kolors.core.params import RenderContext
from kolors.core.registry import get_op
from kolors.core.ops import PIPELINE
from testdata import kodak_photo

OP = get_op("detail_recovery")
ON = {"detail_recovery": 1.0}


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


def _kodak(n, y, x, size):
    path = kodak_photo(n)
    from PIL import Image
    a = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)[y:y + size, x:x + size] / 255.0
    return srgb_to_linear(torch.from_numpy(a).permute(2, 0, 1)[None].contiguous())


def _gauss_blur(x, sigma):
    r = int(3 * sigma + 1)
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-t ** 2 / (2 * sigma ** 2))
    k = k / k.sum()
    B, C, H, W = x.shape
    y = F.pad(x.reshape(B * C, 1, H, W), (r, r, r, r), mode="replicate")
    y = F.conv2d(F.conv2d(y, k.view(1, 1, -1, 1)), k.view(1, 1, 1, -1))
    return y.reshape(B, C, H, W)


def _psnr(a, b):
    a, b = linear_to_srgb(a.clamp(0, 1)), linear_to_srgb(b.clamp(0, 1))
    return float(-10 * torch.log10(((a - b) ** 2).mean()))


def _hf(x):
    v = log2_luma(x)
    return float((v - blur_frac(v, 1.0)).pow(2).mean())


def test_declared_params_and_identity():
    prm = OP.params["detail_recovery"]
    assert (prm.lo, prm.hi, prm.default) == (0.0, 1.0, 0.0)
    assert PIPELINE.index("local_contrast") < OP.order < PIPELINE.index("vibrance") and OP.group == "detail" and not OP.pointwise
    assert OP.is_identity({"detail_recovery": 0.0})
    img = torch.rand(1, 3, 8, 8)
    assert torch.equal(OP.process(img, {"detail_recovery": 0.0}, RenderContext(full_size=(8, 8))), img)


@pytest.mark.parametrize("n,y,x", [(13, 0, 0), (1, 100, 200), (23, 100, 300)])
def test_blurred_texture_recovers_detail(n, y, x):
    sharp = _kodak(n, y, x, 160)
    soft = _gauss_blur(sharp, 0.9)
    ctx = RenderContext(full_size=tuple(sharp.shape[-2:]))
    out = OP.process(soft, ON, ctx)
    assert _hf(out) > 1.3 * _hf(soft)
    assert _psnr(out, sharp) > _psnr(soft, sharp) + 0.3
    half = OP.process(soft, {"detail_recovery": 0.5}, ctx)
    assert _hf(soft) < _hf(half) < _hf(out)


def test_flat_noise_not_amplified():
    g = torch.Generator().manual_seed(3)
    flat = (0.18 + 0.01 * torch.randn(1, 1, 128, 128, generator=g)).expand(1, 3, 128, 128).contiguous()
    ctx = RenderContext(full_size=(128, 128))
    out = OP.process(flat, ON, ctx)
    s0, s1 = float(log2_luma(flat).std()), float(log2_luma(out).std())
    assert s1 < 1.15 * s0, (s0, s1)
    # a plain detail boost of the same gain (no noise gate) would amplify it a lot
    v = log2_luma(flat)
    plain = flat * torch.exp2(2.0 * (v - blur_frac(v, 1.5)))
    assert float(log2_luma(plain).std()) > 1.8 * s0


def test_no_halo_at_strong_edge():
    img = torch.full((1, 3, 32, 96), 0.05)
    img[..., 48:] = 0.5
    out = OP.process(img, ON, RenderContext(full_size=(32, 96)))
    y = out[0, 1]
    over = (float(y[:, 48:].max()) - 0.5) / 0.45
    under = (0.05 - float(y[:, :48].min())) / 0.45
    assert max(over, under) < 0.03


def test_hue_preserved():
    sharp = _kodak(23, 100, 300, 64)
    soft = _gauss_blur(sharp, 1.0) + 0.01
    out = OP.process(soft, ON, RenderContext(full_size=(64, 64)))
    ratio = out / soft
    assert float((ratio - ratio.mean(1, keepdim=True)).abs().max()) < 1e-5


@pytest.mark.parametrize("full,scale,tile", [((100, 140), 1.0, 23), ((4000, 6000), 0.05, 64), ((300, 6000), 0.5, 400)])
def test_tiled_equals_untiled(full, scale, tile):
    g = torch.Generator().manual_seed(2)
    ctx = RenderContext(full_size=full, scale=scale)
    h, w = ctx.render_size
    img = torch.rand(1, 3, h, w, generator=g) ** 3 * 2
    a = OP.process(img, ON, ctx)
    b = tiled_process(OP, ON, img, ctx, tile)
    assert float((a - b).abs().max()) < 1e-4


def test_radius_and_halo_scale():
    h_full = OP.halo(ON, RenderContext(full_size=(4000, 6000), scale=1.0))
    h_small = OP.halo(ON, RenderContext(full_size=(4000, 6000), scale=0.25))
    assert 3 <= h_full <= 16 and h_small <= h_full


def test_finite_on_extremes():
    img = torch.zeros(1, 3, 20, 20)
    img[..., :5, :] = 1e4
    img[..., 5:10, :] = -1
    img[..., 10:, 10:] = torch.rand(3, 10, 10)
    out = OP.process(img, ON, RenderContext(full_size=(20, 20)))
    assert torch.isfinite(out).all()
