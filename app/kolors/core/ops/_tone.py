"""Shared helpers of the tone operations (not an operation: the registry skips ``_``
modules). Luminance mappings are applied to RGB as a gain, so hue and RGB ratios are
kept and black stays black."""
from __future__ import annotations

from typing import Callable

import torch

from ..color import luminance

#: linear mid-grey, the pivot of the tone operations
MID_GREY = 0.18
_EPS = 1e-7


def apply_log_offset(img: torch.Tensor, offset: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """Multiply RGB by 2^offset(L), where L = log2(Y / 0.18) is the pixel's luminance in
    stops about mid-grey (Y clamped to a tiny positive value). Computed in float32."""
    x = img.float()
    L = torch.log2(luminance(x).clamp_min(_EPS) / MID_GREY)
    return (x * torch.exp2(offset(L))).to(img.dtype)


def apply_luma_map(img: torch.Tensor, fn: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """Map luminance Y -> fn(Y) (fn gets Y >= a tiny positive value) and scale RGB by
    fn(Y) / Y. Computed in float32."""
    x = img.float()
    y = luminance(x).clamp_min(_EPS)
    return (x * (fn(y) / y)).to(img.dtype)


def smoothstep(e0: float, e1: float, x: torch.Tensor) -> torch.Tensor:
    t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)

