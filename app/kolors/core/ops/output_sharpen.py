"""Output sharpening: a final, fine unsharp mask at the size the photo is exported at."""
from __future__ import annotations

import torch

from ..params import Float
from ..registry import Op, register_op
from ._spatial import gauss_reach
from .sharpen import unsharp

#: radius (σ, output pixels), halo limit (stops) and edge masking of output sharpening:
#: fine detail only, small overshoots, flat areas left alone
SIGMA, LIMIT, MASKING = 0.7, 0.15, 0.25


@register_op(group="export")
class OutputSharpen(Op):
    """Output sharpening for the export's own size (Lightroom's "Sharpen for screen").

    img: (B,3,H,W) linear sRGB (D65, white = 1, any range) at the size being written; output
    the same shape, dtype and space. Unlike capture sharpening its radius (σ = 0.7 px) is in
    *rendered* pixels, not full-resolution ones: a photo exported at a quarter of its size is
    sharpened for that size. Set by the export (``kolors enhance --output-sharpening``, the
    export dialog), not stored in edits or shown as a slider: the screen preview is not the
    exported size.

    Params: ``output_sharpening`` (hidden, 0–2: the amount, 0 = off)."""

    version = 1
    pointwise = False
    label = "Output sharpening"
    output_sharpening = Float(0.0, 2.0, 0.0, label="Output sharpening", hidden=True)

    def is_identity(self, p) -> bool:
        return p["output_sharpening"] <= 0.0

    def halo(self, p, ctx) -> int:
        return 0 if self.is_identity(p) else gauss_reach(SIGMA) + 1 + gauss_reach(SIGMA)

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        if self.is_identity(p):
            return img
        # gradients per rendered pixel: pass scale 1 (the mask is about the output's pixels)
        return unsharp(img, float(p["output_sharpening"]), SIGMA, LIMIT, MASKING, SIGMA, 1.0)
