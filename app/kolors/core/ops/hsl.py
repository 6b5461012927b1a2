"""HSL: hue, saturation and lightness per hue band, in OkLCh."""
from __future__ import annotations

import math

import torch

from ..color import hue_difference, oklab_to_rgb, rgb_to_oklab
from ..params import Float
from ..registry import Op, register_op
from ._chroma import as_work, from_lch, neutral_fade, rgb_bound, smootherstep, soft_chroma, to_lch

#: band name → centre in OkLCh hue degrees. Chosen from the OkLCh hues of familiar
#: colours: sRGB red 29°, skin 40–50°, orange (1, .5, 0) 53°, yellow 110°, foliage 135°,
#: green 142°, cyan 195°, sky 255–260°, blue 264°, violet (.5, 0, 1) 294°, magenta 328°.
BANDS: dict[str, float] = {
    "red": 20.0, "orange": 50.0, "yellow": 100.0, "green": 140.0,
    "aqua": 195.0, "blue": 260.0, "purple": 295.0, "magenta": 330.0,
}
#: ±1 on a hue slider rotates by this many degrees
HUE_RANGE = 30.0
#: ±1 on a lightness slider multiplies Oklab L by exp(±LUM_GAIN) for fully coloured pixels
LUM_GAIN = 0.4
#: Oklab saturation C/L at which the lightness weight is one half
LUM_SAT_HALF = 0.08
#: band selectivity fades out below this Oklab L (near black a LUT cannot resolve hue)
DARK_FADE = 0.15


def band_weights(h: torch.Tensor) -> list[torch.Tensor]:
    """Weights of the bands at hue ``h`` (degrees): raised-cosine windows between
    neighbouring centres, so each band is 1 at its centre, 0 at its neighbours' centres,
    and the weights sum to 1 at every hue (smooth, C¹, around the whole circle)."""
    cs = list(BANDS.values())
    n = len(cs)
    out = []
    for i, c in enumerate(cs):
        gap_next = (cs[(i + 1) % n] - c) % 360.0
        gap_prev = (c - cs[(i - 1) % n]) % 360.0
        d = hue_difference(h, c)
        t = torch.where(d >= 0, d / gap_next, -d / gap_prev).clamp(0.0, 1.0)
        out.append(torch.cos(t * (math.pi / 2)) ** 2)
    return out


def band_coverage() -> list[float]:
    """Share of the hue circle each band covers (its weight averaged over all hues)."""
    cs = list(BANDS.values())
    n = len(cs)
    return [(((cs[(i + 1) % n] - c) % 360.0) + ((c - cs[(i - 1) % n]) % 360.0)) / 720.0 for i, c in enumerate(cs)]


@register_op(group="color")
class HSL(Op):
    """Per-hue-band hue, saturation and lightness (the "HSL" or "colour mixer" panel).

    img: (B,3,H,W) linear sRGB, any range; computed in float32 OkLCh. Bands and their
    centres (OkLCh hue degrees): red 20, orange 50, yellow 100, green 140, aqua 195,
    blue 260, purple 295, magenta 330; a pixel's setting is the blend of the two bands
    around its hue by raised-cosine weights (:func:`band_weights`), so there are no seams.

    * ``hsl_<band>_hue`` [-1, 1]: rotate hue by up to ±30°.
    * ``hsl_<band>_sat`` [-1, 1]: chroma × (1 + v); -1 = grey. Increases are soft-limited
      by the gamut (as ``chroma_boost``).
    * ``hsl_<band>_lum`` [-1, 1]: Oklab L × exp(0.4 v · g) where ``g = s² / (s² + 0.08²)``
      of the saturation ``s = C / L``, so neutral greys do not move; chroma is kept.

    Near-neutral colours (Oklab chroma below 0.05) and near-black ones (L below 0.15) have
    no stable hue: for them the band-selective part of each setting fades smoothly into
    the setting's average over the hue circle (so e.g. all sat sliders at -1 still give
    grey everywhere). This also keeps the op smooth enough to bake into a 3D LUT.
    """

    version = 1
    pointwise = True
    label = "HSL"

    hsl_red_hue = Float(-1.0, 1.0, 0.0, label="Red hue", step=0.01)
    hsl_red_sat = Float(-1.0, 1.0, 0.0, label="Red saturation", step=0.01)
    hsl_red_lum = Float(-1.0, 1.0, 0.0, label="Red lightness", step=0.01)
    hsl_orange_hue = Float(-1.0, 1.0, 0.0, label="Orange hue", step=0.01)
    hsl_orange_sat = Float(-1.0, 1.0, 0.0, label="Orange saturation", step=0.01)
    hsl_orange_lum = Float(-1.0, 1.0, 0.0, label="Orange lightness", step=0.01)
    hsl_yellow_hue = Float(-1.0, 1.0, 0.0, label="Yellow hue", step=0.01)
    hsl_yellow_sat = Float(-1.0, 1.0, 0.0, label="Yellow saturation", step=0.01)
    hsl_yellow_lum = Float(-1.0, 1.0, 0.0, label="Yellow lightness", step=0.01)
    hsl_green_hue = Float(-1.0, 1.0, 0.0, label="Green hue", step=0.01)
    hsl_green_sat = Float(-1.0, 1.0, 0.0, label="Green saturation", step=0.01)
    hsl_green_lum = Float(-1.0, 1.0, 0.0, label="Green lightness", step=0.01)
    hsl_aqua_hue = Float(-1.0, 1.0, 0.0, label="Aqua hue", step=0.01)
    hsl_aqua_sat = Float(-1.0, 1.0, 0.0, label="Aqua saturation", step=0.01)
    hsl_aqua_lum = Float(-1.0, 1.0, 0.0, label="Aqua lightness", step=0.01)
    hsl_blue_hue = Float(-1.0, 1.0, 0.0, label="Blue hue", step=0.01)
    hsl_blue_sat = Float(-1.0, 1.0, 0.0, label="Blue saturation", step=0.01)
    hsl_blue_lum = Float(-1.0, 1.0, 0.0, label="Blue lightness", step=0.01)
    hsl_purple_hue = Float(-1.0, 1.0, 0.0, label="Purple hue", step=0.01)
    hsl_purple_sat = Float(-1.0, 1.0, 0.0, label="Purple saturation", step=0.01)
    hsl_purple_lum = Float(-1.0, 1.0, 0.0, label="Purple lightness", step=0.01)
    hsl_magenta_hue = Float(-1.0, 1.0, 0.0, label="Magenta hue", step=0.01)
    hsl_magenta_sat = Float(-1.0, 1.0, 0.0, label="Magenta saturation", step=0.01)
    hsl_magenta_lum = Float(-1.0, 1.0, 0.0, label="Magenta lightness", step=0.01)

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        x = as_work(img)
        lab = rgb_to_oklab(x)
        L, C, h = to_lch(lab)
        ws = band_weights(h)
        cover = band_coverage()
        # per pixel: the hue-independent mean of each slider group plus the band-selective
        # deviation from it, faded out for near-neutral and near-black colours (whose hue
        # is unstable, and which a baked LUT cannot resolve by hue)
        nf = neutral_fade(C, L) * smootherstep(0.0, DARK_FADE, L)
        out = []
        for kind in ("hue", "sat", "lum"):
            vals = [float(p[f"hsl_{band}_{kind}"]) for band in BANDS]
            mean = sum(v * c for v, c in zip(vals, cover))
            dev = torch.zeros_like(h)
            for w, v in zip(ws, vals):
                if v != mean:
                    dev = dev + w * (v - mean)
            out.append(mean + nf * dev)
        dh, ds, dl = out
        h1 = h + HUE_RANGE * dh
        s = C / L.abs().clamp_min(1e-6)
        g = s * s / (s * s + LUM_SAT_HALF ** 2)
        L1 = L * torch.exp(LUM_GAIN * dl * g)
        C1 = C * (1.0 + ds).clamp_min(0.0)
        C_new = soft_chroma(C, C1, L1, h1, rgb_bound(x))
        return oklab_to_rgb(from_lch(L1, C_new, h1)).to(img.dtype)
