"""Per-channel linear gains (set by classical auto white balance)."""
from __future__ import annotations

import torch

from ..params import Vector
from ..registry import Op, register_op


@register_op(group="task")
class Gains(Op):
    """Multiply R, G, B by ``wb_gains`` (hidden, each in [0.05, 20]). img: (B,3,H,W)
    linear sRGB, any range; output the same, unclipped."""

    version = 1
    pointwise = True
    label = "Channel gains"
    wb_gains = Vector([1.0, 1.0, 1.0], 0.05, 20.0, label="White-balance gains",
                      help="per-channel linear gains (set by auto white balance)")

    def gain(self, p) -> tuple[float, float, float]:
        return tuple(float(v) for v in p["wb_gains"])

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        g = torch.tensor([float(v) for v in p["wb_gains"]], dtype=img.dtype, device=img.device)
        return img * g.view(1, 3, 1, 1)
