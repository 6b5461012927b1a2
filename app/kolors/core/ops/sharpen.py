"""Capture sharpening: unsharp mask of log luminance with halo control and an edge mask."""
from __future__ import annotations

import torch

from ..params import Float
from ..registry import Op, register_op
from ._spatial import apply_log_gain, gauss_blur, gauss_reach, log2_luma

#: the luminance floor of the log (linear): deep-shadow noise below it is not sharpened
FLOOR = 2e-3
#: halo limit in stops at detail 0 and at detail 1: the detail layer is soft-clipped at
#: L(detail) = LIMIT_LO · (LIMIT_HI / LIMIT_LO)^detail (0.05, 0.15 at the default 0.25, 0.45
#: at 0.5, 4 stops at 1), so low detail keeps overshoots around strong edges small while fine
#: texture (well below the limit) is sharpened in full
LIMIT_LO, LIMIT_HI = 0.05, 4.0
#: edge mask: at masking m a pixel is sharpened fully where the luminance gradient (stops
#: per full-resolution pixel, on the σ-smoothed image) exceeds 1.5 · G · m, not at all below
#: 0.5 · G · m, so flat areas (sky, skin) keep their noise unsharpened
GRAD_SCALE = 0.25


@register_op(group="detail")
class Sharpen(Op):
    """Capture sharpening for demosaiced RAW and soft photos (Lightroom's Detail panel).

    img: (B,3,H,W) linear sRGB (D65, white = 1, any range); output same shape, dtype and
    space, unclipped. An unsharp mask on log2 luminance: the detail layer ``v − G_σ(v)``
    (σ = ``sharpen_radius`` full-resolution pixels, scaled with the render) is soft-clipped
    by the halo limit of ``sharpen_detail``, weighted by the edge mask of
    ``sharpen_masking`` and applied as a luminance ratio ``2^(amount · mask · detail)``, so
    hue and saturation are kept (no colour fringes).

    Params: ``sharpen_amount`` (0–3, 0 = off) the gain of the detail layer;
    ``sharpen_radius`` (0.5–3 px, default 1) the size of the detail sharpened;
    ``sharpen_detail`` (0–1, default 0.25) low values suppress halos at strong edges, high
    values sharpen everything like a deconvolution; ``sharpen_masking`` (0–1, default 0)
    0 sharpens everywhere, higher values only the edges."""

    version = 1
    pointwise = False
    label = "Sharpening"
    sharpen_amount = Float(0.0, 3.0, 0.0, label="Sharpening", step=0.05)
    sharpen_radius = Float(0.5, 3.0, 1.0, label="Radius", step=0.1, unit="px")
    sharpen_detail = Float(0.0, 1.0, 0.25, label="Detail", step=0.01)
    sharpen_masking = Float(0.0, 1.0, 0.0, label="Masking", step=0.01)

    def is_identity(self, p) -> bool:
        return p["sharpen_amount"] <= 0.0

    @staticmethod
    def _sigmas(p, ctx) -> tuple[float, float]:
        s = float(p["sharpen_radius"]) * ctx.scale
        return s, max(s, 0.5)

    def halo(self, p, ctx) -> int:
        if self.is_identity(p):
            return 0
        s, sm = self._sigmas(p, ctx)
        mask = 1 + gauss_reach(sm) if p["sharpen_masking"] > 0 else 0
        return gauss_reach(s) + mask

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        if self.is_identity(p):
            return img
        sigma, sigma_m = self._sigmas(p, ctx)
        return unsharp(img, float(p["sharpen_amount"]), sigma, halo_limit(float(p["sharpen_detail"])),
                       float(p["sharpen_masking"]), sigma_m, ctx.scale)


def unsharp(img: torch.Tensor, amount: float, sigma: float, limit: float, masking: float = 0.0,
            sigma_m: float = 0.5, scale: float = 1.0) -> torch.Tensor:
    """The unsharp mask of log2 luminance shared by capture and output sharpening: img
    (B,3,H,W) linear, ``sigma`` and ``sigma_m`` (the edge mask's smoothing) in pixels of
    ``img``, ``limit`` the halo limit in stops, ``masking`` 0–1, ``scale`` the render scale
    (gradients are measured per full-resolution pixel). Same shape, dtype and space out."""
    x = img.float()
    v = log2_luma(x, FLOOR)
    d = v - gauss_blur(v, sigma)
    d = limit * torch.tanh(d / limit)
    if masking > 0:
        vs = gauss_blur(v, sigma_m)
        gy = torch.zeros_like(vs)
        gx = torch.zeros_like(vs)
        gy[..., 1:-1, :] = 0.5 * (vs[..., 2:, :] - vs[..., :-2, :])
        gx[..., :, 1:-1] = 0.5 * (vs[..., :, 2:] - vs[..., :, :-2])
        g = torch.sqrt(gx * gx + gy * gy) / max(scale, 1e-6)          # stops per full-res pixel
        t = GRAD_SCALE * masking
        w = ((g - 0.5 * t) / t).clamp(0.0, 1.0)
        d = d * (w * w * (3 - 2 * w))                                  # smoothstep
    return apply_log_gain(x, amount * d).to(img.dtype)


def halo_limit(detail: float) -> float:
    """The soft clip of the detail layer in stops for ``sharpen_detail`` = ``detail``."""
    return LIMIT_LO * (LIMIT_HI / LIMIT_LO) ** detail
