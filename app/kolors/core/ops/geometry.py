"""Geometry: quarter turns, flip, straighten and crop (the framing of the photo)."""
from __future__ import annotations

import torch

from ..params import Bool, Choice, Float, Rect
from ..registry import Op, register_op


@register_op(group="geometry")
class Geometry(Op):
    """The framing of the photo (see :mod:`kolors.core.geometry` for the coordinates).

    Not a per-pixel operation: the engine resamples the source once, before every other
    operation (:mod:`kolors.engine.framing`), so everything after it, tasks and the learned
    model included, sees the framed photo. Plans skip it (``frames = True``).

    Params: ``rotate`` (0/90/180/270, clockwise), ``flip`` (none/horizontal/vertical),
    ``straighten`` (−45…45°, clockwise), ``crop`` ([x0, y0, x1, y1] fractions of the turned
    and flipped photo), ``crop_constrain`` (on: a straightened crop shrinks to stay inside
    the photo)."""

    version = 1
    pointwise = False
    frames = True
    label = "Crop & straighten"
    rotate = Choice(["0", "90", "180", "270"], "0", label="Rotate")
    flip = Choice(["none", "horizontal", "vertical"], "none", label="Flip")
    straighten = Float(-45.0, 45.0, 0.0, label="Straighten", step=0.05, unit="°")
    crop = Rect(label="Crop")
    crop_constrain = Bool(True, label="Constrain to photo")

    def is_identity(self, p) -> bool:
        return (p["rotate"] == "0" and p["flip"] == "none" and p["straighten"] == 0.0
                and self.params["crop"].is_default(p["crop"]))

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        raise RuntimeError("geometry is applied by the engine's framing step, not inside a plan")
