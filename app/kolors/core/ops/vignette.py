"""Vignette: darken or lighten the corners of the photo."""
from __future__ import annotations

import torch

from ..params import Float, RenderContext
from ..registry import Op, register_op
from ._chroma import as_work, smootherstep

#: exposure change at the corners for vignette = ±1, in stops
STOPS = 2.0


def full_res_grid(img: torch.Tensor, ctx: RenderContext) -> tuple[torch.Tensor, torch.Tensor, float, float]:
    """Full-resolution coordinates of the pixel centres of ``img`` (B,3,h,w):
    ``Y`` (h,1) and ``X`` (1,w) float32 on img's device, and the full size (H, W).
    Pixel (y, x) of the tensor sits at ``((offset_y + y + 0.5) / scale, (offset_x + x + 0.5) / scale)``.
    Without a full size in ``ctx`` the tensor is taken to be the whole photo."""
    h, w = img.shape[-2:]
    scale = float(ctx.scale) if ctx.scale and ctx.scale > 0 else 1.0
    H, W = ctx.full_size if ctx.full_size and min(ctx.full_size) > 0 else (h / scale, w / scale)
    oy, ox = ctx.offset if ctx.offset else (0, 0)
    ys = (torch.arange(h, dtype=torch.float32, device=img.device) + (oy + 0.5)) / scale
    xs = (torch.arange(w, dtype=torch.float32, device=img.device) + (ox + 0.5)) / scale
    return ys.view(h, 1), xs.view(1, w), float(H), float(W)


@register_op(group="effects")
class Vignette(Op):
    """Multiply linear light by a smooth radial gain that is 1 in the middle of the photo.

    img: (B,3,H,W) linear sRGB, any range; the gain depends on where the tensor lies in the
    full photo (``ctx.full_size``, ``ctx.offset``, ``ctx.scale``), so tiles and previews
    agree. The radius is elliptical to the photo's aspect, ``r = sqrt((u² + v²) / 2)`` with
    u, v in [-1, 1] across the full width and height (r = 1 at the corners).

    * ``vignette`` [-1, 1]: exposure change at the corners, ``vignette · 2`` stops
      (negative darkens, positive lightens).
    * ``vignette_midpoint`` [0, 1]: where the falloff starts, ``r0 = 0.9 · midpoint``
      (0: from the centre, 1: the corners only); the weight rises from 0 at r0 to 1 at the
      corners with a C² smoothstep.
    """

    version = 1
    pointwise = False
    label = "Vignette"
    vignette = Float(-1.0, 1.0, 0.0, label="Vignette", step=0.01,
                     help="negative darkens the corners, positive lightens them")
    vignette_midpoint = Float(0.0, 1.0, 0.5, label="Vignette midpoint", step=0.01,
                              help="how far from the centre the vignette starts (0 = centre)")

    def is_identity(self, p) -> bool:
        return p["vignette"] == 0.0

    def halo(self, p, ctx) -> int:
        return 0

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        Y, X, H, W = full_res_grid(img, ctx)
        u = (X - 0.5 * W) / (0.5 * W)
        v = (Y - 0.5 * H) / (0.5 * H)
        r = torch.sqrt((u * u + v * v) * 0.5)
        r0 = 0.9 * float(p["vignette_midpoint"])
        wgt = smootherstep(r0, 1.0, r)
        gain = torch.exp2(STOPS * float(p["vignette"]) * wgt)  # (h, w)
        return (as_work(img) * gain).to(img.dtype)
