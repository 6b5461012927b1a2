"""Chroma boost: scale Oklab chroma, keeping lightness and hue, with a soft gamut limit."""
from __future__ import annotations

import torch

from ..color import oklab_to_rgb, rgb_to_oklab
from ..params import Float
from ..registry import Op, register_op
from ._chroma import as_work, rgb_bound, scale_ab, soft_chroma, to_lch


@register_op(group="color")
class ChromaBoost(Op):
    """Multiply OkLCh chroma by ``chroma_boost`` (0 = greyscale, 1 = unchanged, 2 = double),
    keeping Oklab L and hue exactly.

    img: (B,3,H,W) linear sRGB, any range (HDR values above 1 allowed); computed in float32
    Oklab, returned in the input dtype. Lowering chroma is exact. Raising it is soft-limited
    by the gamut: the increase approaches, but does not cross, the edge of linear RGB
    [0, 1] — so saturated colours do not clip to flat patches — or, for a pixel above
    white whose largest channel is m, of [0, m²] (HDR highlights keep room, stay finite);
    a colour already outside the gamut is not pushed further out. The increase also fades
    out smoothly near black (Oklab L below 0.2) and near white (above 0.85), where the
    gamut leaves no room anyway and a baked LUT could not follow a sharper limit."""

    version = 1
    pointwise = True
    label = "Chroma boost"
    chroma_boost = Float(0.0, 2.0, 1.0, label="Chroma boost", step=0.01,
                         help="multiply colourfulness (OkLCh chroma); 0 = greyscale")

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        k = float(p["chroma_boost"])
        x = as_work(img)
        lab = rgb_to_oklab(x)
        L, C, h = to_lch(lab)
        if k <= 1.0:
            C_new = C * k
        else:
            C_new = soft_chroma(C, C * k, L, h, rgb_bound(x))
        return oklab_to_rgb(scale_ab(lab, C, C_new)).to(img.dtype)
