"""Behaviour of the local_contrast operation (edge-aware clarity)."""
from __future__ import annotations


import numpy as np
import pytest
import torch

from kolors.core.color import srgb_to_linear
from kolors.core.ops._spatial import blur_frac, log2_luma
from kolors.core.params import RenderContext
from kolors.core.registry import get_op
from kolors.core.ops import PIPELINE
from testdata import kodak_photo

OP = get_op("local_contrast")


def _on(amount: float) -> dict:
    return {"local_contrast": True, "local_contrast_amount": amount}


def tiled_process(op, p, img, ctx, tile):
    """Render ``img`` tile by tile the way the exporter does: each tile grown by the
    halo (clipped at the photo border), processed with its own offset, then cropped."""
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


def _kodak(n: int, y: int, x: int, size: int) -> torch.Tensor:
    path = kodak_photo(n)
    from PIL import Image
    a = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)[y:y + size, x:x + size] / 255.0
    return srgb_to_linear(torch.from_numpy(a).permute(2, 0, 1)[None].contiguous())


def _step(h=64, w=128, dark=0.05, bright=0.5):
    img = torch.full((1, 3, h, w), dark)
    img[..., w // 2:] = bright
    return img


def _overshoot(out, dark, bright):
    """Largest excursion beyond the two flat levels, as a fraction of the step."""
    y = out[0, 1]
    w = y.shape[-1]
    over = float(y[:, w // 2:].max()) - bright
    under = dark - float(y[:, :w // 2].min())
    return max(over, under, 0.0) / (bright - dark)


def test_identity_when_off_or_zero():
    img = torch.rand(1, 3, 16, 16)
    assert OP.is_identity({"local_contrast": False, "local_contrast_amount": 1.5})
    assert OP.is_identity({"local_contrast": True, "local_contrast_amount": 0.0})
    assert not OP.is_identity(_on(0.5))
    ctx = RenderContext(full_size=(16, 16))
    assert torch.equal(OP.process(img, {"local_contrast": False, "local_contrast_amount": 1.0}, ctx), img)


def test_declared_params():
    assert PIPELINE.index("tone_curve") < OP.order < PIPELINE.index("vibrance") and OP.group == "detail" and OP.pointwise is False
    amt = OP.params["local_contrast_amount"]
    assert (amt.lo, amt.hi, amt.default) == (0.0, 2.0, 0.5)
    assert OP.params["local_contrast"].default is False


def test_no_halo_at_strong_edge_unlike_unsharp_mask():
    dark, bright = 0.05, 0.5
    img = _step(dark=dark, bright=bright)
    ctx = RenderContext(full_size=tuple(img.shape[-2:]))
    for amount in (0.5, 1.0):
        out = OP.process(img, _on(amount), ctx)
        ours = _overshoot(out, dark, bright)
        # plain unsharp mask of the same strength and radius, in the same (log) domain
        v = log2_luma(img)
        r = 0.0085 * max(img.shape[-2:])
        usm = img * torch.exp2(amount * (v - blur_frac(v, max(r, 1.0))))
        theirs = _overshoot(usm, dark, bright)
        assert theirs > 0.2, theirs
        assert ours < 0.02 * amount / 0.5, (amount, ours)
        assert ours < theirs / 20
    # flat regions far from the edge are untouched
    out = OP.process(img, _on(2.0), ctx)
    assert torch.allclose(out[..., :, :20], img[..., :, :20], atol=1e-6)
    assert torch.allclose(out[..., :, -20:], img[..., :, -20:], atol=1e-6)


def test_texture_gets_more_local_contrast():
    img = _kodak(13, 0, 0, 192)
    ctx = RenderContext(full_size=tuple(img.shape[-2:]))

    def hp_std(x):
        v = log2_luma(x)
        return float((v - blur_frac(v, 3.0)).std())

    s0 = hp_std(img)
    s1 = hp_std(OP.process(img, _on(1.0), ctx))
    s2 = hp_std(OP.process(img, _on(2.0), ctx))
    assert s1 > 1.05 * s0
    assert s2 > s1
    # mean brightness is roughly kept (it is a detail boost, not a tone change)
    out = OP.process(img, _on(1.0), ctx)
    assert abs(float(log2_luma(out).mean() - log2_luma(img).mean())) < 0.1


def test_hue_preserved_luminance_ratio():
    torch.manual_seed(0)
    img = torch.rand(1, 3, 48, 48) * 0.8 + 0.01
    out = OP.process(img, _on(1.5), RenderContext(full_size=(48, 48)))
    ratio = out / img
    assert float((ratio - ratio.mean(1, keepdim=True)).abs().max()) < 1e-5
    assert float((ratio - 1).abs().max()) > 1e-3  # it did something


@pytest.mark.parametrize("full,scale,tile", [
    ((96, 160), 1.0, 37),        # guided filter at full resolution (s = 1)
    ((400, 3000), 0.5, 170),     # coarse grid s = 2, tiles not aligned to it
    ((160, 6000), 0.5, 230),     # s = 3
])
def test_tiled_equals_untiled(full, scale, tile):
    g = torch.Generator().manual_seed(1)
    ctx = RenderContext(full_size=full, scale=scale)
    h, w = ctx.render_size
    img = torch.rand(1, 3, h, w, generator=g) * torch.exp2(3 * torch.rand(1, 1, h, w, generator=g) - 3)
    p = _on(2.0)
    a = OP.process(img, p, ctx)
    b = tiled_process(OP, p, img, ctx, tile)
    assert float((a - b).abs().max()) < 1e-4


def test_halo_bounded_for_24mp_and_scales_with_preview():
    ctx = RenderContext(full_size=(4000, 6000), scale=1.0)
    h_full = OP.halo(_on(1.0), ctx)
    assert 60 <= h_full <= 128
    h_prev = OP.halo(_on(1.0), RenderContext(full_size=(4000, 6000), scale=0.25))
    assert h_prev < h_full / 2
    assert OP.halo({"local_contrast": False, "local_contrast_amount": 1.0}, ctx) == 0


def test_preview_looks_like_export():
    """The luminance change at scale 0.25 matches the downsampled full-size change."""
    img = _kodak(5, 0, 0, 512)
    full = RenderContext(full_size=(512, 512), scale=1.0)
    prev = RenderContext(full_size=(512, 512), scale=0.25)
    pool = torch.nn.functional.avg_pool2d
    small = pool(img, 4)
    g_full = pool(log2_luma(OP.process(img, _on(1.0), full)) - log2_luma(img), 4)
    g_prev = log2_luma(OP.process(small, _on(1.0), prev)) - log2_luma(small)
    corr = float(torch.corrcoef(torch.stack([g_full.flatten(), g_prev.flatten()]))[0, 1])
    assert corr > 0.6, corr


def test_finite_on_extremes():
    ctx = RenderContext(full_size=(24, 24))
    img = torch.zeros(2, 3, 24, 24)
    img[0, :, :8] = 1e4
    img[0, :, 8:16] = -1
    img[1] = torch.rand(3, 24, 24)
    out = OP.process(img, _on(2.0), ctx)
    assert out.shape == img.shape and torch.isfinite(out).all()
    assert torch.isfinite(OP.process(img[..., :1, :1], _on(2.0), RenderContext(full_size=(1, 1)))).all()
