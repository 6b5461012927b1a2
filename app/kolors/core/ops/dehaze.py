"""Dehaze: the dark channel prior (He, Sun & Tang 2009), with a photo-level airlight."""
from __future__ import annotations

import math

import torch

from ..params import Float, Vector
from ..registry import Op, register_op
from ._spatial import (cell_mean, cell_min, guided_filter, luma, min_filter, pad_to_cells,
                       upsample_cells)

#: the dark channel's window radius as a fraction of the photo's long side (He et al. used
#: 7 px windows on ~600 px photos), computed on cells of about a quarter of it
RADIUS_FRAC = 0.012
CELLS_PER_RADIUS = 4
#: the share of haze removed at amount 1 (He et al.'s ω: a little is kept, so distance
#: still reads) and the lowest transmission divided by (noise in the far sky)
OMEGA, T_MIN = 0.95, 0.1
#: a negative amount adds a uniform veil of airlight: 1 − VEIL · |amount| of the photo remains
VEIL = 0.5
#: the guided filter that snaps the transmission to the photo's edges: ε on linear luminance
GF_EPS = 1e-3
#: the airlight is the mean colour of the brightest 0.1 % of the dark channel (thumbnail)
TOP = 0.001


@register_op(group="detail")
class Dehaze(Op):
    """Remove (or add) atmospheric haze.

    img: (B,3,H,W) linear sRGB (D65, white = 1, any range); output the same shape, dtype and
    space, ≥ 0. With the airlight A (``dehaze_airlight``, linear RGB: a photo-level
    statistic that :meth:`photo_stats` computes once per photo from its thumbnail, so every
    tile and every preview use the same one), the dark channel ``min_c min_window I_c/A_c``
    gives the transmission ``t = 1 − ω·amount·dark`` (on cells of about a quarter of the
    window, refined by a guided filter on luminance so it follows the photo's edges, aligned
    to the global render grid so tiles are seamless); the scene is ``(I − A)/max(t, 0.1) + A``.
    A negative amount adds a veil: ``I·(1 − v) + A·v`` with ``v = 0.5·|amount|``.

    Params: ``dehaze`` (−1…1, 0 = off); ``dehaze_airlight`` (hidden, 3 numbers)."""

    version = 1
    pointwise = False
    label = "Dehaze"
    dehaze = Float(-1.0, 1.0, 0.0, label="Dehaze", step=0.01)
    dehaze_airlight = Vector([1.0, 1.0, 1.0], 0.02, 64.0, label="Airlight (photo statistic)")

    def is_identity(self, p) -> bool:
        return p["dehaze"] == 0.0

    @staticmethod
    def _grid(ctx, img) -> tuple[int, int]:
        """(cell size s in render pixels, dark-channel radius rc in cells)."""
        fh, fw = ctx.full_size
        long = float(max(fh, fw)) if min(fh, fw) > 0 else max(img.shape[-2:]) / max(ctx.scale, 1e-6)
        r = max(1.0, RADIUS_FRAC * long * ctx.scale)
        s = max(1, int(round(r / CELLS_PER_RADIUS)))
        return s, max(1, int(round(r / s)))

    def halo(self, p, ctx) -> int:
        if p["dehaze"] <= 0.0:
            return 0                                        # the veil is pointwise
        s, rc = self._grid(ctx, torch.empty(1, 1, 1, 1))
        # cells: the window (rc), the guided filter's box twice (2 rc), the upsampling (1), the
        # partial cell at the edge (1)
        return s * (3 * rc + 2)

    def photo_stats(self, p, thumb: torch.Tensor) -> dict:
        """``{'dehaze_airlight': [r, g, b]}`` of the photo: thumb (1,3,h,w) linear, the whole
        photo as it reaches this operation."""
        x = thumb.float().clamp_min(0.0)
        r = max(1, int(round(RADIUS_FRAC * max(x.shape[-2:]))))
        dark = min_filter(x.amin(1, keepdim=True), r).flatten()
        k = max(1, int(math.ceil(TOP * dark.numel())))
        idx = torch.topk(dark, k).indices
        a = x.reshape(3, -1)[:, idx].mean(1)
        lo, hi = self.params["dehaze_airlight"].lo, self.params["dehaze_airlight"].hi
        return {"dehaze_airlight": [float(v) for v in a.clamp(lo, hi)]}

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        amount = float(p["dehaze"])
        if amount == 0.0:
            return img
        x = img.float()
        A = torch.tensor(p["dehaze_airlight"], dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        if amount < 0:
            v = VEIL * -amount
            return (x * (1 - v) + A * v).to(img.dtype)
        s, rc = self._grid(ctx, x)
        H, W = x.shape[-2:]
        y = luma(x.clamp_min(0.0))
        dark = (x / A).amin(1, keepdim=True)
        dp, py, px = pad_to_cells(dark, s, ctx.offset)
        yp = pad_to_cells(y, s, ctx.offset)[0]
        t_lo = 1.0 - OMEGA * amount * min_filter(cell_min(dp, s), rc).clamp(0.0, 1.0)
        g_lo = cell_mean(yp, s)
        a_lo, b_lo = guided_filter(g_lo, rc, GF_EPS, t_lo)
        ab = upsample_cells(torch.cat([a_lo, b_lo], 1), s, py, px, H, W)
        t = (ab[:, :1] * y + ab[:, 1:]).clamp(T_MIN, 1.0)
        return ((x - A) / t + A).clamp_min(0.0).to(img.dtype)



