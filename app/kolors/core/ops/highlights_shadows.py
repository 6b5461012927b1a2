"""Highlights and shadows: tonal range controls on log luminance, applied as an RGB gain."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..params import Float
from ..registry import Op, register_op
from ._tone import apply_log_offset

# Highlights: a soft knee at HL_KNEE stops above mid-grey (Y ≈ 0.7), HL_WIDTH stops wide.
HL_KNEE, HL_WIDTH = 1.95, 0.5
#: at highlights = −1 the log-slope above the knee drops to 1 − HL_COMPRESS (range compression)
HL_COMPRESS = 0.75
#: at highlights = +1 tones far above the knee brighten by this many stops (bounded)
HL_BOOST = 0.75
# Shadows: a bounded lift/deepen of tones below SH_KNEE stops (Y ≈ 0.045).
SH_KNEE, SH_WIDTH, SH_STOPS = -2.0, 0.8, 1.5


def highlights_offset(L: torch.Tensor, h: float) -> torch.Tensor:
    """Offset (stops) for log luminance ``L``. h < 0: soft-knee compression, slope above
    the knee 1 + h·0.75, so values above white (RAW) are brought back (Y 4 → ≈1 at h = −1);
    h > 0: brightens the top end by up to 0.75·h stops."""
    z = (L - HL_KNEE) / HL_WIDTH
    if h < 0:
        return (h * HL_COMPRESS * HL_WIDTH) * F.softplus(z)
    return (h * HL_BOOST) * torch.sigmoid(z)


def shadows_offset(L: torch.Tensor, s: float) -> torch.Tensor:
    """Offset (stops): s > 0 lifts, s < 0 deepens the tones below Y ≈ 0.045 by up to
    1.5·|s| stops; fades out above mid-grey. Log-slope stays ≥ 0.53."""
    return (s * SH_STOPS) * torch.sigmoid((SH_KNEE - L) / SH_WIDTH)


@register_op(group="tone")
class HighlightsShadows(Op):
    """Highlights and shadows. img: (B,3,H,W) linear sRGB, any range (values above 1 from
    RAW welcome); output the same. ``highlights`` in [-1, 1]: − compresses and recovers
    bright tones (including above white), + brightens them. ``shadows`` in [-1, 1]: +
    lifts dark tones, − deepens them. Luminance-based gain: hue is kept, black stays
    black, mid-grey barely moves."""

    version = 1
    pointwise = True
    label = "Highlights / shadows"
    highlights = Float(-1.0, 1.0, 0.0, label="Highlights", step=0.01,
                       help="− recovers bright tones (also above white), + brightens them")
    shadows = Float(-1.0, 1.0, 0.0, label="Shadows", step=0.01,
                    help="+ lifts dark tones, − deepens them")

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        h, s = float(p["highlights"]), float(p["shadows"])
        return apply_log_offset(img, lambda L: highlights_offset(L, h) + shadows_offset(L, s))
