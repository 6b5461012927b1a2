"""Exposure: a gain in linear light."""
from __future__ import annotations

import torch

from ..params import Float
from ..registry import Op, register_op


@register_op(group="light")
class Exposure(Op):
    """Multiply linear RGB by 2^EV. img: (B,3,H,W) linear sRGB, any range; output
    unclipped (highlights above 1 are kept for later operations)."""

    version = 1
    pointwise = True
    label = "Exposure"
    exposure = Float(-5.0, 5.0, 0.0, label="Exposure", step=0.05, unit="EV")

    def gain(self, p) -> tuple[float, float, float]:
        g = 2.0 ** float(p["exposure"])
        return (g, g, g)

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        return img * (2.0 ** p["exposure"])
