"""Lens corrections: distortion, transverse chromatic aberration and vignetting."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..params import Bool, Float, Grid
from ..registry import Op, register_op


@register_op(group="lens")
class LensCorrection(Op):
    """Lens corrections from the camera's and lens's profile (lensfun), or by hand.

    img: (B,3,H,W) linear sRGB (D65, white = 1, any range), the framed photo; output the
    same, unclipped. Distortion and chromatic aberration are corrected by the engine's
    framing step (one resampling with the crop, :mod:`kolors.engine.lens`); this operation
    applies the vignetting correction: ``lens_vignette_gain``, a coarse grid of gains over
    the framed photo (hidden: the engine fills it from the profile and the manual slider,
    as a photo-level statistic, so tiles and previews agree), upsampled bilinearly and
    multiplied in linear light.

    Params: ``lens_correction`` (on: use the photo's lens profile when lensfun has one);
    ``lens_distortion`` (−1…1: by hand, positive undoes barrel distortion, negative
    pincushion; added to the profile's); ``lens_vignetting`` (−1…1: by hand, positive
    brightens the corners); ``lens_vignette_gain`` (hidden, (gh, gw) gains)."""

    version = 1
    pointwise = False
    label = "Lens corrections"
    lens_correction = Bool(False, label="Profile corrections")
    lens_distortion = Float(-1.0, 1.0, 0.0, label="Distortion", step=0.01)
    lens_vignetting = Float(-1.0, 1.0, 0.0, label="Vignetting", step=0.01)
    lens_vignette_gain = Grid(ndim=2, lo=0.05, hi=20.0, label="Vignetting gains (photo statistic)")

    def is_identity(self, p) -> bool:
        return p["lens_vignette_gain"] is None

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        g = p["lens_vignette_gain"]
        if g is None:
            return img
        x = img.float()
        H, W = x.shape[-2:]
        fh, fw = ctx.render_size if min(ctx.full_size) > 0 else (H, W)
        grid = torch.as_tensor(g, dtype=torch.float32, device=x.device)[None, None]
        # pixel centres of this tensor in the whole render, as [-1, 1] of the photo
        ys = (torch.arange(H, device=x.device, dtype=torch.float32) + ctx.offset[0] + 0.5) / fh * 2 - 1
        xs = (torch.arange(W, device=x.device, dtype=torch.float32) + ctx.offset[1] + 0.5) / fw * 2 - 1
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        pos = torch.stack([gx, gy], -1)[None]
        gain = F.grid_sample(grid, pos, mode="bilinear", padding_mode="border", align_corners=True)
        return (x * gain).to(img.dtype)
