"""Luminance noise reduction: an edge-preserving guided filter of log luminance."""
from __future__ import annotations

import math

import torch

from ..params import Float
from ..registry import Op, register_op
from ._spatial import apply_log_gain, guided_filter_frac, log2_luma

#: the luminance floor of the log (linear): below it everything counts as black
FLOOR = 1e-3
#: filter radius at strength 0 and 1 (full-resolution px; the box of the guided filter)
RADIUS_LO, RADIUS_HI = 1.0, 3.0
#: the edge threshold: steps of luminance well above sqrt(ε) = EDGE · strength stops are
#: edges (kept), variations well below are noise (smoothed)
EDGE = 0.35
#: the share of the removed texture that ``luma_denoise_detail`` = 1 puts back
DETAIL_BACK = 0.6


@register_op(group="detail")
class LumaDenoise(Op):
    """Luminance noise reduction, beside the chroma noise reduction.

    img: (B,3,H,W) linear sRGB (D65, white = 1, any range); output same shape, dtype and
    space, unclipped. The log2 luminance is smoothed by a self-guided filter (He et al.)
    with radius 1–3 full-resolution pixels and edge threshold ``0.35 · strength`` stops
    (ε = that²), so grain is averaged away while edges and strong texture stay; the change
    is applied as a luminance ratio, so colour is kept. On a camera RAW the app starts this
    slider from the photo's ISO (:func:`default_for_iso`).

    Params: ``luma_denoise`` (0–1, 0 = off) the strength; ``luma_denoise_detail`` (0–1,
    default 0.5) how much of the fine texture is kept."""

    version = 1
    pointwise = False
    label = "Luminance noise reduction"
    luma_denoise = Float(0.0, 1.0, 0.0, label="Luminance NR", step=0.01)
    luma_denoise_detail = Float(0.0, 1.0, 0.5, label="Detail", step=0.01)

    def is_identity(self, p) -> bool:
        return p["luma_denoise"] <= 0.0

    @staticmethod
    def _radius(p, ctx) -> float:
        return (RADIUS_LO + (RADIUS_HI - RADIUS_LO) * float(p["luma_denoise"])) * ctx.scale

    def halo(self, p, ctx) -> int:
        return 0 if self.is_identity(p) else 2 * int(math.ceil(self._radius(p, ctx)))

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        if self.is_identity(p):
            return img
        x = img.float()
        v = log2_luma(x, FLOOR)
        s = float(p["luma_denoise"])
        base = guided_filter_frac(v, self._radius(p, ctx), (EDGE * s) ** 2)
        keep = DETAIL_BACK * float(p["luma_denoise_detail"])
        return apply_log_gain(x, (1.0 - keep) * (base - v)).to(img.dtype)


def default_for_iso(iso: float | None) -> float:
    """A starting strength for a RAW shot at ``iso``: 0 up to ISO 200, then 0.1 per stop
    (ISO 800 → 0.2, ISO 3200 → 0.4, ISO 12800 → 0.6), at most 0.8."""
    if not iso or iso <= 200:
        return 0.0
    return round(min(0.8, 0.1 * math.log2(float(iso) / 200.0)), 2)
