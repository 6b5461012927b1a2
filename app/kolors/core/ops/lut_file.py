"""LUT: apply a .cube file (a "look" made in Resolve, Premiere, OBS, ...)."""
from __future__ import annotations

import torch

from ..color import linear_to_srgb, srgb_to_linear
from ..lut import Lut1D, apply_lut, load_lut
from ..params import FilePath, Float
from ..registry import Op, register_op
from ._chroma import as_work


@register_op(group="look")
class LutFile(Op):
    """Apply a 3D or 1D LUT from a ``.cube`` file, blended with the input by strength.

    img: (B,3,H,W) linear sRGB, any range. Display-referred .cube files (what Resolve,
    ffmpeg and OBS apply to video) expect sRGB-encoded values, so the image is encoded
    with the sRGB transfer function, looked up (tetrahedral for 3D, linear per channel for
    1D; inputs outside the file's domain are clamped to it, so values above white map like
    white), decoded back to linear, and mixed with the input:
    ``out = in + lut_strength · (lut(in) - in)``.

    * ``lut_file``: path to a .cube file (read through ``kolors.core.lut.load_lut``, which
      uses the loader ``kolors.io.luts`` registers and caches by path, mtime and size).
    * ``lut_strength`` [0, 1]: 0 = off, 1 = the LUT fully.

    Off when no file is set or the strength is 0."""

    version = 1
    pointwise = True
    label = "LUT"
    lut_file = FilePath((".cube",), label="LUT file", help="a .cube 3D or 1D LUT (display-referred, sRGB)")
    lut_strength = Float(0.0, 1.0, 1.0, label="LUT strength", step=0.01)

    def is_identity(self, p) -> bool:
        return p["lut_file"] is None or p["lut_strength"] == 0.0

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        lut = load_lut(p["lut_file"])
        x = as_work(img)
        enc = linear_to_srgb(x)
        if isinstance(lut, Lut1D):
            looked = lut.apply(enc)
        else:
            looked = apply_lut(enc.contiguous(), lut)
        y = srgb_to_linear(looked)
        s = float(p["lut_strength"])
        out = y if s == 1.0 else x + s * (y - x)
        return out.to(img.dtype)
