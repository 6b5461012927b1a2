"""Per-channel levels on sRGB-encoded values (set by auto-levels and fade removal)."""
from __future__ import annotations

import torch

from ..color import linear_to_srgb, srgb_to_linear
from ..params import Vector
from ..registry import Op, register_op

#: the smallest white − black span used (a white at or below the black is treated as this)
MIN_SPAN = 0.01


def levels(e: torch.Tensor, black: torch.Tensor, white: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
    """y = t^(1/g) with t = (e − b)/(w − b) on [0, 1]; y = t below 0 (values under the black
    point stay ordered and only slightly negative, whatever the gamma) and linear with the
    slope at 1 (1/g) above 1. Continuous and finite everywhere; parameters broadcast
    against ``e``."""
    t = (e - black) / (white - black).clamp_min(MIN_SPAN)
    inv = 1.0 / gamma
    inside = t.clamp(0.0, 1.0) ** inv
    return torch.where(t > 1.0, 1.0 + inv * (t - 1.0), torch.where(t < 0.0, t, inside))


@register_op(group="task")
class ChannelLevels(Op):
    """Per-channel levels. img: (B,3,H,W) linear sRGB, any range; output the same. For each
    channel, on sRGB-encoded values: y = ((x − black)/(white − black))^(1/gamma), extended
    linearly below the black point (y = t) and above the white point (slope 1/gamma).
    ``levels_black`` in [−0.5, 0.95], ``levels_white`` in [0.05, 4], ``levels_gamma`` in
    [0.2, 5] (> 1 brightens mid-tones); all hidden, set by tasks."""

    version = 1
    pointwise = True
    label = "Channel levels"
    levels_black = Vector([0.0, 0.0, 0.0], -0.5, 0.95, label="Black point")
    levels_white = Vector([1.0, 1.0, 1.0], 0.05, 4.0, label="White point")
    levels_gamma = Vector([1.0, 1.0, 1.0], 0.2, 5.0, label="Gamma")

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        def vec(k: str) -> torch.Tensor:
            return torch.tensor([float(v) for v in p[k]], dtype=torch.float32, device=img.device).view(1, 3, 1, 1)

        e = linear_to_srgb(img.float())
        y = levels(e, vec("levels_black"), vec("levels_white"), vec("levels_gamma"))
        return srgb_to_linear(y).to(img.dtype)
