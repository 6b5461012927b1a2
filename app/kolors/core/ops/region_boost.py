"""Region boost: raise colour contrast (chroma) inside rectangles — the industrial task's
inspection aid (``enhance(img, task='industrial', color_space='LAB',
region_boost={'roi': [(x1, y1, x2, y2)], 'factor': 2.0})``)."""
from __future__ import annotations

import torch

from ..color import lab_to_rgb, linear_to_srgb, oklab_to_rgb, rgb_to_lab, rgb_to_oklab, srgb_to_linear
from ..params import Choice, Regions
from ..registry import Op, register_op
from ..masks import rect_weight
from ._chroma import as_work, neutral_ab, with_neutral_ab
from .vignette import full_res_grid


def region_mask(img: torch.Tensor, regions: dict, ctx) -> torch.Tensor:
    """(h, w) float32 weight in [0, 1]: 1 inside any rectangle, falling smoothly to 0 at
    ``feather`` full-resolution pixels outside it (the largest over the rectangles: the
    masks' ``add``). Rectangles are ``[x1, y1, x2, y2]`` in full-resolution pixel
    coordinates; a pixel is inside when its centre is. Each is the ``rect`` mask kind's
    weight (:func:`kolors.core.masks.rect_weight`)."""
    Y, X, _, _ = full_res_grid(img, ctx)
    feather = float(regions.get("feather", 0.0) or 0.0)
    mask = torch.zeros(Y.shape[0], X.shape[1], dtype=torch.float32, device=img.device)
    for r in regions["roi"]:
        mask = torch.maximum(mask, rect_weight(tuple(r), feather, Y, X))
    return mask


@register_op(group="industrial")
class RegionBoost(Op):
    """Multiply chroma by ``factor`` inside regions of interest, in a chosen colour space.

    img: (B,3,H,W) linear sRGB, any range; output unclipped (a strong factor may leave the
    gamut, as the industrial task wants the raw contrast). ``region_boost``: None (off) or
    ``{'roi': [[x1, y1, x2, y2], ...], 'factor': f in [0, 4], 'feather': px}`` with
    coordinates in full-resolution pixels; the local factor is ``1 + (f - 1) · mask``
    where the mask is 1 inside any rectangle and falls to 0 over ``feather`` pixels outside
    it (computed from the distance to the rectangle, so no neighbourhood is needed and the
    halo is 0; ``ctx`` places the tensor in the full photo). ``color_space``:

    * ``LAB``   — CIE L*a*b* (D65): a*, b* × factor, L* kept;
    * ``OKLAB`` — Oklab: a, b (about the neutral axis) × factor, L kept;
    * ``HSV``   — HSV of the sRGB-encoded values: S × factor (capped at S = 1), H and V kept.

    Off when ``region_boost`` is None, has no rectangles or has factor 1 (whatever the
    colour space)."""

    version = 1
    pointwise = False
    label = "Region boost"
    region_boost = Regions(fmax=4.0, label="Region boost",
                           help="{'roi': [[x1, y1, x2, y2], ...], 'factor': f, 'feather': px} in full-res pixels")
    color_space = Choice(["LAB", "OKLAB", "HSV"], "LAB", label="Colour space",
                         help="space in which region_boost scales chroma")

    def is_identity(self, p) -> bool:
        return self.params["region_boost"].is_default(p["region_boost"])

    def halo(self, p, ctx) -> int:
        return 0

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        reg = p["region_boost"]
        if self.is_identity(p):
            return img.clone()
        x = as_work(img)
        f = 1.0 + (float(reg["factor"]) - 1.0) * region_mask(x, reg, ctx)  # (h, w)
        space = str(p["color_space"]).upper()
        if space == "OKLAB":
            lab = rgb_to_oklab(x)
            out = oklab_to_rgb(with_neutral_ab(lab[:, :1], neutral_ab(lab) * f))
        elif space == "HSV":
            e = linear_to_srgb(x)
            v = e.amax(1, keepdim=True)
            mn = e.amin(1, keepdim=True)
            spread = v - mn
            # S' = min(f S, 1)  <=>  spread' = min(f spread, v); channels move about V.
            # (A pixel with a negative channel, S > 1 already, is never pushed further.)
            cap = torch.maximum(v, spread)
            k = torch.where(spread > 1e-12, torch.minimum(f * spread, cap) / spread.clamp_min(1e-12),
                            torch.ones_like(spread))
            out = srgb_to_linear(v - k * (v - e))
        else:
            lab = rgb_to_lab(x)
            out = lab_to_rgb(torch.cat([lab[:, :1], lab[:, 1:] * f], 1))
        return out.to(img.dtype)
