"""Behaviour of the chroma_denoise operation (edge-stopped chroma diffusion)."""
from __future__ import annotations


import numpy as np
import pytest
import torch

import kolors.core.ops.chroma_denoise as cd
from kolors.core.color import delta_e2000_rgb, oklab_to_rgb, rgb_to_oklab, srgb_to_linear
from kolors.core.params import RenderContext
from kolors.core.registry import get_op
from kolors.core.ops import PIPELINE
from testdata import kodak_photo

OP = get_op("chroma_denoise")


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


def _kodim23_crop():
    path = kodak_photo(23)
    from PIL import Image
    a = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)[100:356, 300:556] / 255.0
    return srgb_to_linear(torch.from_numpy(a).permute(2, 0, 1)[None].contiguous())


def _add_chroma_noise(img, sd, seed=0):
    g = torch.Generator().manual_seed(seed)
    lab = rgb_to_oklab(img)
    lab[:, 1:] += sd * torch.randn(lab[:, 1:].shape, generator=g)
    return oklab_to_rgb(lab)


def test_declared_params_and_identity():
    prm = OP.params["chroma_denoise"]
    assert (prm.lo, prm.hi, prm.default) == (0.0, 1.0, 0.0)
    assert PIPELINE.index("white_balance") < OP.order < PIPELINE.index("highlights_shadows") and OP.group == "detail" and not OP.pointwise
    assert OP.is_identity({"chroma_denoise": 0.0}) and OP.halo({"chroma_denoise": 0.0}, RenderContext((8, 8))) == 0


def test_chroma_noise_removed_luminance_kept():
    clean = _kodim23_crop()
    noisy = _add_chroma_noise(clean, 0.03)
    ctx = RenderContext(full_size=(256, 256))
    out = OP.process(noisy, {"chroma_denoise": 1.0}, ctx)
    de_before = float(delta_e2000_rgb(noisy, clean).mean())
    de_after = float(delta_e2000_rgb(out, clean).mean())
    assert de_after < 0.6 * de_before, (de_before, de_after)
    # Oklab lightness untouched
    dl = (rgb_to_oklab(out)[:, 0] - rgb_to_oklab(noisy)[:, 0]).abs().max()
    assert float(dl) < 1e-5
    # stronger is better on this image, and half strength already helps
    half = OP.process(noisy, {"chroma_denoise": 0.5}, ctx)
    de_half = float(delta_e2000_rgb(half, clean).mean())
    assert de_after < de_half < 0.8 * de_before


def test_no_bleeding_across_luminance_edge():
    lab = torch.zeros(1, 3, 48, 64)
    lab[:, 0, :, :32], lab[:, 1, :, :32], lab[:, 2, :, :32] = 0.40, 0.12, 0.06    # dark red
    lab[:, 0, :, 32:], lab[:, 1, :, 32:], lab[:, 2, :, 32:] = 0.80, -0.12, 0.10   # light green
    img = oklab_to_rgb(lab)
    ctx = RenderContext(full_size=(48, 64))
    p = {"chroma_denoise": 1.0}
    out = rgb_to_oklab(OP.process(img, p, ctx))

    def bleed(o):
        d = (o[:, 1:] - lab[:, 1:]).abs()[0].amax(dim=(0, 1))   # per column
        return float(torch.cat([d[:29], d[35:]]).max())          # ≥ 3 px from the edge

    ours = bleed(out)
    assert ours < 2e-3, ours
    # the same diffusion without edge stopping does bleed: the test can tell
    saved = cd.K_EDGE
    try:
        cd.K_EDGE = 1e6
        iso = bleed(rgb_to_oklab(OP.process(img, p, ctx)))
    finally:
        cd.K_EDGE = saved
    assert iso > 10 * ours and iso > 0.01


def test_flat_colour_unchanged():
    img = torch.empty(1, 3, 16, 16)
    img[:, 0], img[:, 1], img[:, 2] = 0.6, 0.3, 0.1
    out = OP.process(img, {"chroma_denoise": 1.0}, RenderContext(full_size=(16, 16)))
    assert float((out - img).abs().max()) < 1e-6


@pytest.mark.parametrize("full,scale,tile,strength", [((90, 130), 1.0, 31, 1.0), ((2000, 3000), 0.1, 64, 0.6),
                                                     ((6000, 300), 1.0, 512, 1.0)])
def test_tiled_equals_untiled(full, scale, tile, strength):
    ctx = RenderContext(full_size=full, scale=scale)
    h, w = ctx.render_size
    if full == (6000, 300):           # a strip of a big photo: the long-side rule applies
        h = 700
    g = torch.Generator().manual_seed(5)
    img = torch.rand(1, 3, h, w, generator=g) ** 2
    p = {"chroma_denoise": strength}
    a = OP.process(img, p, ctx)
    b = tiled_process(OP, p, img, ctx, tile)
    assert float((a - b).abs().max()) < 1e-4


def test_halo_scales_and_is_bounded():
    big = RenderContext(full_size=(4000, 6000), scale=1.0)
    h1 = OP.halo({"chroma_denoise": 1.0}, big)
    h_half = OP.halo({"chroma_denoise": 0.5}, big)
    h_prev = OP.halo({"chroma_denoise": 1.0}, RenderContext(full_size=(4000, 6000), scale=0.25))
    assert h1 <= 128 and h_half < h1 and h_prev < h1 / 4
    # stable step: iterations cover the diffusion time with dt ≤ 0.25
    n, dt, lam = cd._schedule((4000, 6000), 1.0, 1.0)
    assert dt <= 0.25 and dt * (4 + lam) <= 1.0 + 1e-9 and h1 >= n


def test_finite_on_extremes():
    img = torch.zeros(2, 3, 20, 20)
    img[0, :, :5] = 1e4
    img[0, 0, 5:10] = -1
    img[1] = torch.rand(3, 20, 20)
    out = OP.process(img, {"chroma_denoise": 1.0}, RenderContext(full_size=(20, 20)))
    assert out.shape == img.shape and torch.isfinite(out).all()
