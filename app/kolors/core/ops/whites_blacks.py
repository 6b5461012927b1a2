"""Whites and blacks: move the white and black ends of the tonal range (on sRGB-encoded
luminance, applied as an RGB gain)."""
from __future__ import annotations

import torch

from ..color import linear_to_srgb, srgb_to_linear
from ..params import Float
from ..registry import Op, register_op
from ._tone import apply_luma_map

#: encoded white moves to 1 + 0.2·whites; the effect grows as e^2.5 toward white
WHITE_GAIN, WHITE_POWER = 0.2, 2.5
#: encoded gain at black is 1 + 0.8·blacks, fading out at BLACK_REACH (encoded, Y ≈ 0.21)
BLACK_GAIN, BLACK_REACH = 0.8, 0.5


def blacks_curve(e: torch.Tensor, b: float) -> torch.Tensor:
    """e·(1 + c·(1 − e/r)²) below r, identity above; c = 0.8·b. Monotone for |c| < 1, 0 ↦ 0."""
    u = (e / BLACK_REACH).clamp(0.0, 1.0)
    return e * (1.0 + (BLACK_GAIN * b) * (1.0 - u) ** 2)


def whites_curve(e: torch.Tensor, w: float) -> torch.Tensor:
    """e·(1 + c·e^p) on [0, 1] with c = 0.2·w (so 1 ↦ 1 + c), linear with the slope at 1
    above 1 and odd below 0. Slope ≥ 1 − 0.2·3.5 > 0."""
    c = WHITE_GAIN * w
    a = e.abs().clamp(max=1.0)
    inside = torch.copysign(a * (1.0 + c * a ** WHITE_POWER), e)
    slope1 = 1.0 + c * (WHITE_POWER + 1.0)
    return torch.where(e > 1.0, (1.0 + c) + slope1 * (e - 1.0), inside)


@register_op(group="tone")
class WhitesBlacks(Op):
    """White and black points. img: (B,3,H,W) linear sRGB, any range; output the same.
    ``whites`` in [-1, 1] moves the white end (encoded white goes to 1 ± 0.2, mid-grey
    moves ~2 %): + pushes bright tones toward/above white, − pulls them down (values above
    white compressed). ``blacks`` in [-1, 1] scales the darkest tones (encoded gain at
    black 1 ± 0.8): − crushes, + lifts; true black stays black. Luminance-based: hue kept."""

    version = 1
    pointwise = True
    label = "Whites / blacks"
    whites = Float(-1.0, 1.0, 0.0, label="Whites", step=0.01, help="move the white point")
    blacks = Float(-1.0, 1.0, 0.0, label="Blacks", step=0.01, help="move the black point")

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        w, b = float(p["whites"]), float(p["blacks"])

        def fn(y: torch.Tensor) -> torch.Tensor:
            return srgb_to_linear(whites_curve(blacks_curve(linear_to_srgb(y), b), w))

        return apply_luma_map(img, fn)
