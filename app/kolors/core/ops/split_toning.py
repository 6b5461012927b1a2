"""Split toning: one tint for the shadows, another for the highlights."""
from __future__ import annotations

import math

import torch

from ..color import luminance, oklab_to_rgb, rgb_to_oklab
from ..params import Float
from ..registry import Op, register_op
from ._chroma import TOE, as_work, neutral_ab, ray_exit, smootherstep, soft_limit

#: Oklab chroma added per unit lightness at saturation 1 (a strong but not garish tint)
TINT = 0.15


@register_op(group="look")
class SplitToning(Op):
    """Tint shadows and highlights with separate hues, preserving luminance.

    img: (B,3,H,W) linear sRGB, any range; computed in float32 Oklab. A pixel gets
    ``0.15 · L · (sat_s · w_s · dir(hue_s) + sat_h · w_h · dir(hue_h))`` added to its Oklab
    (a, b), where ``dir(h) = (cos h, sin h)`` of the OkLCh hue in degrees, ``w_h`` is a
    smooth (C²) ramp of Oklab L from 0 at black to 1 at white and ``w_s = 1 - w_h``.
    ``split_balance`` in [-1, 1] moves the crossover (where both are ½) from L = 0.5 to
    L = 0.2 (+1: highlights tint most of the image) or 0.8 (-1: shadows do). The tint is
    proportional to L, so black stays black and HDR values are tinted in proportion (and
    it fades out below L = 0.2, near black); the part of the tint that would push a
    channel below 0 is soft-limited, and finally RGB is scaled so that the luminance Y of
    every pixel is unchanged (within [1/4, 4] of a factor).
    Off when both saturations are 0."""

    version = 1
    pointwise = True
    label = "Split toning"
    split_shadow_hue = Float(0.0, 360.0, 220.0, label="Shadow hue", step=1.0, unit="°")
    split_shadow_sat = Float(0.0, 1.0, 0.0, label="Shadow saturation", step=0.01)
    split_highlight_hue = Float(0.0, 360.0, 40.0, label="Highlight hue", step=1.0, unit="°")
    split_highlight_sat = Float(0.0, 1.0, 0.0, label="Highlight saturation", step=0.01)
    split_balance = Float(-1.0, 1.0, 0.0, label="Balance", step=0.01,
                          help="positive: the highlight tint reaches further into the shadows")

    def is_identity(self, p) -> bool:
        return p["split_shadow_sat"] == 0.0 and p["split_highlight_sat"] == 0.0

    @staticmethod
    def weights(L: torch.Tensor, balance: float) -> torch.Tensor:
        """Highlight weight w_h(L) (shadow weight is 1 - w_h)."""
        pivot = 0.5 - 0.3 * balance
        gamma = math.log(0.5) / math.log(pivot)
        t = L.clamp(0.0, 1.0) ** gamma
        return smootherstep(0.0, 1.0, t)

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        x = as_work(img)
        lab = rgb_to_oklab(x)
        L = lab[:, 0:1]
        wh = self.weights(L, float(p["split_balance"]))
        ws = 1.0 - wh
        hs, hh = math.radians(p["split_shadow_hue"]), math.radians(p["split_highlight_hue"])
        ss, sh = float(p["split_shadow_sat"]), float(p["split_highlight_sat"])
        # tint ∝ L (black stays black), faded out near black where a LUT cannot follow it
        amp = TINT * L.clamp_min(0.0) * smootherstep(0.0, TOE, L)
        da = amp * (ss * ws * math.cos(hs) + sh * wh * math.cos(hh))
        db = amp * (ss * ws * math.sin(hs) + sh * wh * math.sin(hh))
        # how much of the tint fits before a channel would go below 0 (no upper bound:
        # tinted highlights may exceed 1 like any brightening); softly limited
        ab0 = neutral_ab(lab)
        t_fit = ray_exit(L, (ab0[:, 0:1], ab0[:, 1:2]), (da, db), 4.0, 1e9, tau=0.0)
        t = soft_limit(torch.ones_like(t_fit), t_fit)
        out = oklab_to_rgb(torch.cat([L, lab[:, 1:2] + t * da, lab[:, 2:3] + t * db], 1))
        y_in = luminance(x)
        y_out = luminance(out)
        ok = (y_in > 1e-8) & (y_out > 1e-8)
        f = torch.where(ok, y_in / torch.where(ok, y_out, torch.ones_like(y_out)), torch.ones_like(y_in))
        return (out * f.clamp(0.25, 4.0)).to(img.dtype)
