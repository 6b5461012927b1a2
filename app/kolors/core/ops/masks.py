"""Masks: local adjustments, each mask one masked pass after the global grade."""
from __future__ import annotations

from typing import Any, Mapping

import torch

from ..lru import LRU
from ..masks import MAX_MASKS, Masks, active_masks, mask_weight
from ..params import RenderContext
from ..registry import Op, register_op, settings_key

#: a mask's adjustments see values up to this (linear; the global grade may exceed white)
SOURCE_MAX = 8.0

#: plans of masks' adjustments: every mask of an edit at two table sizes (coarse and fine)
_PLANS: LRU[str, Any] = LRU(4 * MAX_MASKS)


def mask_plan(adjustments: Mapping[str, Any], lut_size: int = 65):
    """The render plan of one mask's adjustments with ``lut_size``³ tables (cached: each
    table is baked once)."""
    from ..pipeline import Plan
    key = settings_key(adjustments, (SOURCE_MAX, int(lut_size)))
    return _PLANS.get_or_create(key, lambda: Plan(dict(adjustments), source_max=SOURCE_MAX,
                                                  lut_size=int(lut_size)))


@register_op(group="masks")
class MaskedAdjustments(Op):
    """Local adjustments (:mod:`kolors.core.masks`).

    img: (B,3,H,W) linear sRGB (D65, white = 1, any range), placed in the framed photo by
    ``ctx``; output same shape, dtype and space, unclipped. For each visible mask in order:
    ``x ← x + m·(A(x) - x)`` with ``m`` the mask's weight in [0, 1] (opacity included) and
    ``A`` its adjustments run as a render plan of their own (pointwise ones baked into one
    3D LUT of the render's table size, local contrast and sharpening direct). Masks of
    pixel values (luminance, colour) see the image as it reaches the masks (after the
    global grade, before any mask). The halo is the sum of the masks' own spatial halos."""

    version = 1
    pointwise = False
    label = "Masks"
    masks = Masks(label="Masks", help="local adjustments: a list of masks, each with its adjustments")

    def is_identity(self, p) -> bool:
        return not active_masks(p["masks"] or [])

    def halo(self, p, ctx: RenderContext) -> int:
        return sum(mask_plan(m["adjustments"]).halo(ctx) for m in active_masks(p["masks"] or []))

    def process(self, img: torch.Tensor, p, ctx: RenderContext) -> torch.Tensor:
        out = img
        size = int(ctx.cache.get("lut_size", 65))
        for m in active_masks(p["masks"] or []):
            wt = mask_weight(m, img, ctx).to(out.dtype)
            nz = (wt > 0).any(0)[0]                       # (h, w): pixels the mask touches
            if not bool(nz.any()):
                continue
            plan = mask_plan(m["adjustments"], size)
            h, w = nz.shape
            if plan.pointwise_only:
                # colour-only adjustments: only the box the mask touches is evaluated
                rows, cols = nz.any(1).nonzero(), nz.any(0).nonzero()
                y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
                if (y1 - y0) * (x1 - x0) < 0.8 * h * w:
                    sub = out[..., y0:y1, x0:x1].contiguous()
                    ws = wt[..., y0:y1, x0:x1]
                    out = out.clone() if out is img else out
                    out[..., y0:y1, x0:x1] = sub + ws * (plan.run(sub, ctx) - sub)
                    continue
            adj = plan.run(out, ctx)
            out = out + wt * (adj - out)
        return out if out is not img else img.clone()


def before_masks(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` without the masks and the operations after them: what the masks see."""
    from ..registry import get_op, ops
    order = get_op("masks").order
    late = {k for op in ops() if op.order >= order for k in op.params}
    return {k: v for k, v in settings.items() if k not in late}
