"""Film look: a filmic tone curve, a soft highlight roll-off and a teal/orange grade
(the pieces of the 'cinema' preset)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..color import luminance, oklab_to_rgb, rgb_to_oklab
from ..params import Float
from ..registry import Op, register_op
from ._tone import apply_log_offset, smoothstep

# -- filmic curve on log luminance (stops about mid-grey) --------------------------------
#: log-slope at mid-grey (mid-tone contrast)
FILM_CONTRAST = 1.15
#: shoulder: knee (stops, Y ≈ 1) and width; the output ceiling is 0.18·2^(1.15·2.5) ≈ 1.3
SHOULDER_KNEE, SHOULDER_WIDTH = 2.5, 0.6
#: toe: extra log-slope in deep shadows, below TOE_KNEE stops (Y ≈ 0.02)
TOE_AMOUNT, TOE_KNEE, TOE_WIDTH = 0.15, -3.0, 0.8

# -- highlight roll-off on max(R, G, B) ------------------------------------------------
ROLLOFF_KNEE, ROLLOFF_CEIL = 0.6, 1.25

# -- teal / orange in OkLCh ------------------------------------------------------------
ORANGE_HUE, TEAL_HUE = 60.0, 195.0     # degrees: skin/orange and teal in OkLCh
HUE_PULL = 0.5                         # fraction of the hue distance removed at the target
#: von Mises concentrations: a narrow window around orange/skin (≈ ±40°), a wide one around teal
#: (≈ ±65°, catching greens and blues)
ORANGE_KAPPA, TEAL_KAPPA = 2.0, 0.8
CHROMA_GAIN = 0.25                     # chroma boost of the two target hues
NEUTRAL_C = 0.04                       # OkLab chroma below which colours are protected
SHADOW_TINT = 0.02                     # OkLab chroma of the teal tint in the shadows
SHADOW_L, SHADOW_W = 0.33, 0.12        # OkLab L of the shadow band and its width


def filmic_offset(L: torch.Tensor) -> torch.Tensor:
    """F(L) − L for the filmic curve F(L) = c·L − c·w·softplus((L−Ls)/w) − t·wt·softplus((Lt−L)/wt):
    mid-grey fixed, mid slope 1.15, a shoulder whose slope falls to 0 (ceiling ≈ 1.3) and a
    toe that deepens the darkest tones. F is strictly increasing."""
    c = FILM_CONTRAST
    Fl = (c * L - c * SHOULDER_WIDTH * F.softplus((L - SHOULDER_KNEE) / SHOULDER_WIDTH)
          - TOE_AMOUNT * TOE_WIDTH * F.softplus((TOE_KNEE - L) / TOE_WIDTH))
    return Fl - L


def filmic_at_grey() -> float:
    """F(0): the small shift of mid-grey the softplus tails cause (subtracted so grey stays)."""
    z = torch.zeros(1, dtype=torch.float64)
    return float(filmic_offset(z))


_GREY_SHIFT = filmic_at_grey()


def rolloff(n: torch.Tensor, r: float) -> torch.Tensor:
    """Blend (weight r) of the identity and a Reinhard-type shoulder above ROLLOFF_KNEE
    that approaches ROLLOFF_CEIL: C1 at the knee, monotone, bounded."""
    d = (n - ROLLOFF_KNEE).clamp_min(0.0)
    soft = torch.where(n > ROLLOFF_KNEE, ROLLOFF_KNEE + d / (1.0 + d / (ROLLOFF_CEIL - ROLLOFF_KNEE)), n)
    return n + r * (soft - n)


def _von_mises(dh_rad: torch.Tensor, kappa: float) -> torch.Tensor:
    return torch.exp(kappa * (torch.cos(dh_rad) - 1.0))


def teal_orange(x: torch.Tensor, t: float) -> torch.Tensor:
    """Pull hues toward orange and teal (weight t) in OkLCh, boost their chroma a little,
    tint the shadows teal. Neutral colours (low chroma) keep their hue; mid-tone and bright
    neutrals stay neutral; black stays black."""
    lab = rgb_to_oklab(x)
    L, a, b = lab.unbind(-3)
    C = torch.hypot(a, b)
    h = torch.atan2(b, a)
    protect = smoothstep(0.0, NEUTRAL_C, C)
    pull = torch.zeros_like(h)
    boost = torch.zeros_like(h)
    for target, kappa in ((ORANGE_HUE, ORANGE_KAPPA), (TEAL_HUE, TEAL_KAPPA)):
        d = math.radians(target) - h
        w = _von_mises(d, kappa)
        pull = pull + HUE_PULL * torch.sin(d) * w   # ≈ HUE_PULL·d near the target, periodic
        boost = boost + CHROMA_GAIN * w
    dh = t * protect * pull
    C2 = C * (1.0 + t * protect * boost)
    h2 = h + dh
    Lc = L.clamp(0.0, 1.0)
    shade = t * SHADOW_TINT * torch.exp(-(((Lc - SHADOW_L) / SHADOW_W) ** 2)) * smoothstep(0.0, 0.15, Lc)
    th = math.radians(TEAL_HUE)
    a2 = C2 * torch.cos(h2) + shade * math.cos(th)
    b2 = C2 * torch.sin(h2) + shade * math.sin(th)
    return oklab_to_rgb(torch.stack([L, a2, b2], -3))


@register_op(group="look")
class FilmLook(Op):
    """Film look. img: (B,3,H,W) linear sRGB, any range; output the same.

    ``film_strength`` [0, 1]: blends (in log luminance) toward a filmic S-curve — mid-grey
    fixed, mid-tone contrast ×1.15, a toe that deepens the darkest tones and a shoulder
    that compresses highlights toward a ceiling of ≈1.3 (white lands near 0.95).
    ``film_rolloff`` [0, 1]: soft highlight roll-off on max(R,G,B) above 0.6 toward 1.25,
    with slight desaturation of the compressed highlights (bright colours go to white
    smoothly instead of clipping). ``film_teal_orange`` [0, 1]: in OkLCh, pulls warm/skin
    hues toward orange (60°) and cool hues toward teal (195°), boosts them slightly and
    tints shadows teal; low-chroma colours keep their hue, mid and bright neutrals stay
    neutral. Applied in that order."""

    version = 1
    pointwise = True
    label = "Film look"
    film_strength = Float(0.0, 1.0, 0.0, label="Film curve", step=0.01,
                          help="filmic S-curve: toe and shoulder on log luminance")
    film_rolloff = Float(0.0, 1.0, 0.0, label="Highlight roll-off", step=0.01,
                         help="soft roll-off of bright tones toward white")
    film_teal_orange = Float(0.0, 1.0, 0.0, label="Teal & orange", step=0.01,
                             help="cool hues and shadows toward teal, skin/warm hues toward orange")

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        s, r, t = float(p["film_strength"]), float(p["film_rolloff"]), float(p["film_teal_orange"])
        x = img.float()
        if s > 0:
            x = apply_log_offset(x, lambda L: s * (filmic_offset(L) - _GREY_SHIFT))
        if r > 0:
            n = x.amax(dim=-3, keepdim=True).clamp_min(1e-7)
            n2 = rolloff(n, r)
            x = x * (n2 / n)
            desat = (r * 0.5) * (1.0 - n2 / n)
            y = luminance(x)
            x = x + desat * (y - x)
        if t > 0:
            x = teal_orange(x, t)
        return x.to(img.dtype)
