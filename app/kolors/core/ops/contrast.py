"""Contrast: an S-curve about mid-grey on log luminance, applied as an RGB gain."""
from __future__ import annotations

import torch

from ..params import Float
from ..registry import Op, register_op
from ._tone import apply_log_offset

#: slope change at mid-grey per unit of ``contrast`` (slope 1 + 0.6·contrast in stops)
AMOUNT = 0.6
#: width (stops) of the tonal window the curve acts on
WIDTH = 1.6


def contrast_offset(L: torch.Tensor, k: float) -> torch.Tensor:
    """Offset in stops for luminance ``L`` (stops about mid-grey): k·A·L·exp(-L²/2σ²).
    The slope d(L+offset)/dL is 1 + k·A at mid-grey and stays above 1 − |k|·A > 0, and the
    offset fades to 0 far from mid-grey, so black stays black and super-whites are not
    blown up."""
    Lc = L.clamp(-40.0, 40.0)
    return (k * AMOUNT) * Lc * torch.exp(-0.5 * (Lc / WIDTH) ** 2)


@register_op(group="tone")
class Contrast(Op):
    """Contrast about mid-grey (0.18). img: (B,3,H,W) linear sRGB, any range; output the
    same. ``contrast`` in [-1, 1]: the log-luminance slope at mid-grey becomes 1 + 0.6·c
    (tones within about ±3 stops of mid-grey spread apart or pull together, far shadows
    and highlights move back to unchanged). Applied as a luminance gain, so hue and
    saturation ratios are kept; black stays black."""

    version = 1
    pointwise = True
    label = "Contrast"
    contrast = Float(-1.0, 1.0, 0.0, label="Contrast", step=0.01,
                     help="S-curve about mid-grey: + more contrast, − flatter")

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        k = float(p["contrast"])
        return apply_log_offset(img, lambda L: contrast_offset(L, k))

