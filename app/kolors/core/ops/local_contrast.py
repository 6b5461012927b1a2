"""Local contrast: edge-aware boost of the detail layer of log luminance."""
from __future__ import annotations

import torch

from ..params import Bool, Float
from ..registry import Op, register_op
from ._spatial import apply_log_gain, fast_gf_halo, fast_guided_filter, log2_luma, long_side

#: guided-filter radius as a fraction of the photo's long side, and its cap (full-res px;
#: keeps the halo ≤ 126 px at full resolution for any photo)
RADIUS_FRAC = 0.0085
RADIUS_MAX = 52.0
#: guided-filter ε in stops² — variations well below sqrt(ε) = 0.25 stops count as detail,
#: steps well above it as edges (kept out of the detail layer, so no halos)
EPS = 0.25 ** 2
#: detail beyond this (stops) is not boosted further
DETAIL_LIMIT = 1.5


def _radius(ctx, img) -> float:
    return min(RADIUS_FRAC * long_side(ctx, img), RADIUS_MAX) * ctx.scale


@register_op(group="detail")
class LocalContrast(Op):
    """Edge-aware local contrast (clarity).

    img: (B,3,H,W) linear sRGB (D65, white = 1, any range); output same shape, dtype and
    space, unclipped. The log2 luminance is split into an edge-preserving base (a
    self-guided filter, He et al., radius ≈ 0.85 % of the photo's long side, at most
    52 px at full resolution, computed on a coarse grid aligned to the photo) and a
    detail layer; the detail is multiplied by
    ``1 + local_contrast_amount`` and the change is applied as a luminance ratio, so hue
    and saturation are kept and strong edges get no halos.

    Params: ``local_contrast`` switches it on; ``local_contrast_amount`` (0–2, default
    0.5) is the extra detail gain (0 = identity)."""

    version = 1
    pointwise = False
    label = "Local contrast"
    local_contrast = Bool(False, label="Local contrast")
    local_contrast_amount = Float(0.0, 2.0, 0.5, label="Amount", step=0.05)

    def is_identity(self, p) -> bool:
        return (not p["local_contrast"]) or p["local_contrast_amount"] <= 0.0

    def halo(self, p, ctx) -> int:
        if self.is_identity(p):
            return 0
        fh, fw = ctx.full_size
        r = min(RADIUS_FRAC * max(fh, fw), RADIUS_MAX) * ctx.scale
        return fast_gf_halo(r)

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        if self.is_identity(p):
            return img
        x = img.float()
        v = log2_luma(x)
        base = fast_guided_filter(v, _radius(ctx, x), EPS, ctx.offset)
        d = v - base
        # soft limit of very large detail (isolated specular points, noise spikes)
        d = DETAIL_LIMIT * torch.tanh(d / DETAIL_LIMIT)
        out = apply_log_gain(x, float(p["local_contrast_amount"]) * d)
        return out.to(img.dtype)
