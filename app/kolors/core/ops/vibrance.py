"""Vibrance: a saturation change aimed at muted colours that spares skin tones."""
from __future__ import annotations

import math

import torch

from ..color import oklab_to_rgb, rgb_to_oklab
from ..params import Float
from ..registry import Op, register_op
from ._chroma import as_work, neutral_ab, rgb_bound, scale_ab, soft_chroma, to_lch

#: Oklab "saturation" C/L at which the weight of a colour has fallen to one half
SAT_HALF = 0.15
#: the skin-tone cluster in the (a/L, b/L) plane: centre saturation and OkLCh hue, and the
#: Gaussian radii along (radial) and across (tangential) the hue direction
SKIN_S, SKIN_HUE, SKIN_SIGMA_R, SKIN_SIGMA_T = 0.13, 52.0, 0.06, 0.05
#: fraction of a positive vibrance withheld from skin tones (at the centre of the cluster)
SKIN_PROTECT = 0.75


def skin_weight(lab: torch.Tensor) -> torch.Tensor:
    """Skin-tone likelihood in [0, 1] of Oklab colours (B,3,H,W) → (B,1,H,W): a Gaussian
    around the typical skin colour in the scale-free plane (a/L, b/L) — 1 at saturation
    0.13 and hue 52°, above ½ for hues of about 30°–75° at skin saturations, below 0.1
    for greys, vivid colours and other hues. Being a smooth function of the colour (not of
    hue alone, which is unstable near grey), a baked LUT follows it closely."""
    L = lab[:, 0:1].clamp_min(0.02)
    ab = neutral_ab(lab) / L
    hr = math.radians(SKIN_HUE)
    cr, sr = math.cos(hr), math.sin(hr)
    da = ab[:, 0:1] - SKIN_S * cr
    db = ab[:, 1:2] - SKIN_S * sr
    d_rad = da * cr + db * sr
    d_tan = -da * sr + db * cr
    return torch.exp(-0.5 * ((d_rad / SKIN_SIGMA_R) ** 2 + (d_tan / SKIN_SIGMA_T) ** 2))


@register_op(group="color")
class Vibrance(Op):
    """Vibrance: scale OkLCh chroma by a factor that is largest for muted colours.

    img: (B,3,H,W) linear sRGB, any range; computed in float32 Oklab, L and hue kept.
    ``vibrance`` in [-1, 1]: the chroma factor is ``1 + v * w`` with
    ``w = 1 / (1 + (s / 0.15)^2)`` of the colour's saturation ``s = C / L`` — near-neutral
    colours get up to twice (v = 1) or none (v = -1) of their chroma, vivid ones little
    change. For v > 0, skin tones (a Gaussian cluster around OkLCh hue 52°, C/L 0.13, see
    :func:`skin_weight`) get as little as a quarter of the boost, and the increase is
    soft-limited by the gamut like ``chroma_boost``. For v < 0 vivid colours are still
    desaturated by at least half the amount (``w >= 0.5`` there)."""

    version = 1
    pointwise = True
    label = "Vibrance"
    vibrance = Float(-1.0, 1.0, 0.0, label="Vibrance", step=0.01,
                     help="saturate muted colours more than vivid ones, sparing skin tones")

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        v = float(p["vibrance"])
        x = as_work(img)
        lab = rgb_to_oklab(x)
        L, C, h = to_lch(lab)
        s = C / L.clamp_min(0.02)
        w = 1.0 / (1.0 + (s / SAT_HALF) ** 2)
        if v >= 0:
            k = 1.0 + v * w * (1.0 - SKIN_PROTECT * skin_weight(lab))
            C_new = soft_chroma(C, C * k, L, h, rgb_bound(x))
        else:
            k = 1.0 + v * (0.5 + 0.5 * w)
            C_new = C * k
        return oklab_to_rgb(scale_ab(lab, C, C_new)).to(img.dtype)
