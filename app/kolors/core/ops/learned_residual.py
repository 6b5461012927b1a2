"""The learned residual: the model's global LUT of deltas and local affine grid."""
from __future__ import annotations

import numpy as np
import torch

from ..params import Float, Grid
from ..registry import Op, register_op
from ..residual import apply_residual, grid_coords


@register_op(group="task")
class LearnedResidual(Op):
    """What the learned enhancer adds on top of the controls it puts on the sliders.

    img: (B,3,H,W) linear sRGB (white = 1, any range); output same shape and space. In
    the signed cube-root encoding ``e`` of the image, a global 3D LUT of deltas
    (``learned_lut``, (S,S,S,3) over [0, 1]) and a coarse grid of 3×4 affine deltas
    (``learned_grid``, (G,G,12), cell centres on the full photo, bilinear between them)
    are applied (see :mod:`kolors.core.residual`), scaled by ``learned_strength``. The
    grid makes it position-dependent, so it is a stage of its own, with no halo: every
    tile computes a pixel from its position in the full photo. Set by the model
    (``model_type`` general/lite); None = off.
    """

    version = 1
    pointwise = False
    label = "Learned residual"

    learned_lut = Grid(ndim=4, lo=-4.0, hi=4.0, label="Learned LUT")
    learned_grid = Grid(ndim=3, lo=-8.0, hi=8.0, label="Learned local grid")
    learned_strength = Float(0.0, 1.0, 1.0, label="Learned residual", step=0.01,
                             help="strength of the learned correction on top of the sliders")

    def is_identity(self, p) -> bool:
        return (p["learned_lut"] is None and p["learned_grid"] is None) or float(p["learned_strength"]) == 0.0

    def halo(self, p, ctx) -> int:
        return 0

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        if self.is_identity(p):
            return img
        x = img.float()
        dev = x.device
        lut = p["learned_lut"]
        grid = p["learned_grid"]
        lut_t = (torch.as_tensor(np.asarray(lut, np.float32), device=dev)[None] if lut is not None
                 else torch.zeros(1, 2, 2, 2, 3, device=dev))
        grid_t = (torch.as_tensor(np.asarray(grid, np.float32), device=dev)[None] if grid is not None
                  else torch.zeros(1, 1, 1, 12, device=dev))
        h, w = x.shape[-2:]
        full_h, full_w = ctx.full_size
        if full_h <= 0 or full_w <= 0:
            full_h, full_w = round(h / ctx.scale), round(w / ctx.scale)
        ys = grid_coords(h, int(ctx.offset[0]), full_h, grid_t.shape[1], ctx.scale, dev)
        xs = grid_coords(w, int(ctx.offset[1]), full_w, grid_t.shape[2], ctx.scale, dev)
        return apply_residual(x, lut_t, grid_t, float(p["learned_strength"]), ys, xs).to(img.dtype)
