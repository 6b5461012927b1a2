"""Framing a photo: quarter turns, flips, straightening and the crop, as one mapping from
output pixels to source pixels (numpy, float64; no resampling here: :mod:`kolors.engine.framing`
resamples with it).

Coordinates. The *source* is the decoded photo, upright (EXIF orientation already applied),
``W×H`` pixels, pixel centres at integer positions. The *oriented* photo is the source
turned ``rotate`` degrees clockwise (0/90/180/270), then flipped (``flip``: none, horizontal
= mirror left↔right, vertical = top↔bottom). ``crop`` ``[x0, y0, x1, y1]`` are fractions of
the oriented photo (x to the right, y down). ``straighten`` (−45…45°) turns the photo
clockwise about the crop's centre for positive values, as Lightroom's angle does (it levels
a horizon that rises to the right). With ``crop_constrain`` (default) the crop keeps its
aspect ratio and shrinks about its centre until its corners lie inside the turned photo, so
no empty corners show; off, the corners outside are filled with the nearest edge pixels.

The output is the crop: ``round((x1−x0)·W_o)`` × ``round((y1−y0)·H_o)`` pixels (after the
constraint shrank it), rendered at any scale (a preview at 0.25 is a quarter-size output).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

__all__ = ["Framing", "framing_of", "GEOMETRY_PARAMS", "LensWarp"]

#: the registry parameters that frame a photo (owned by the ``geometry`` operation)
GEOMETRY_PARAMS = ("rotate", "flip", "straighten", "crop", "crop_constrain")


@dataclass(frozen=True, eq=False)
class LensWarp:
    """Lens distortion of a ``W×H`` source: where an *undistorted* source point (pixel
    centres at integers) lies in the photo as the lens drew it.

    Two parts, applied in this order: the manual radial term ``k``, ``p_d = c + (p − c)(1 +
    k r²)`` with r the distance to the centre over half the diagonal, then ``grid`` (a lens
    profile's map, e.g. lensfun's, sampled at nodes ``(i + 0.5)·step − 0.5``, ``step`` = the
    (x, y) source pixels between nodes, interpolated bilinearly: (gh, gw, 3, 2) distorted
    (x, y) per colour channel, so transverse chromatic aberration is corrected too). k < 0 undoes barrel distortion (the lens drew the edges
    too close to the centre, straight lines bow outwards), k > 0 pincushion. ``key`` names
    the warp (equality and caching)."""

    key: str
    W: int
    H: int
    k: float = 0.0
    grid: np.ndarray | None = None
    step: tuple[float, float] = (1.0, 1.0)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LensWarp) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    @property
    def has_tca(self) -> bool:
        """True when the channels are displaced differently (a profile with TCA data)."""
        g = self.grid
        return g is not None and not (np.allclose(g[:, :, 0], g[:, :, 1], atol=1e-3)
                                      and np.allclose(g[:, :, 2], g[:, :, 1], atol=1e-3))

    def apply(self, x: np.ndarray, y: np.ndarray, channel: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Distorted source coordinates of undistorted ones (float64 arrays)."""
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        if self.k:
            cx, cy = 0.5 * (self.W - 1), 0.5 * (self.H - 1)
            d2 = 0.25 * (self.W ** 2 + self.H ** 2)
            f = 1.0 + self.k * ((x - cx) ** 2 + (y - cy) ** 2) / d2
            x, y = cx + (x - cx) * f, cy + (y - cy) * f
        if self.grid is not None:
            g = self.grid[:, :, channel]
            gh, gw = g.shape[:2]
            tx = (x + 0.5) / self.step[0] - 0.5
            ty = (y + 0.5) / self.step[1] - 0.5
            i = np.clip(np.floor(tx), 0, gw - 2).astype(np.intp)
            j = np.clip(np.floor(ty), 0, gh - 2).astype(np.intp)
            fx, fy = (tx - i)[..., None], (ty - j)[..., None]     # outside the grid: linear extrapolation
            v = (g[j, i] * (1 - fx) * (1 - fy) + g[j, i + 1] * fx * (1 - fy)
                 + g[j + 1, i] * (1 - fx) * fy + g[j + 1, i + 1] * fx * fy)
            x, y = v[..., 0], v[..., 1]
        return x, y


@dataclass(frozen=True)
class Framing:
    """The framing of a ``W×H`` source (see the module docstring)."""

    W: int
    H: int
    rotate: int = 0
    flip: str = "none"
    straighten: float = 0.0
    crop: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    constrain: bool = True
    #: lens distortion corrected before the framing (None: none)
    lens: LensWarp | None = None

    # ------------------------------------------------------------------ sizes
    @property
    def oriented_size(self) -> tuple[int, int]:
        """(width, height) of the turned and flipped photo."""
        return (self.H, self.W) if self.rotate in (90, 270) else (self.W, self.H)

    def crop_box(self) -> tuple[float, float, float, float]:
        """(cx, cy, half width, half height) of the crop in oriented pixel units (edges at
        0 and W_o), shrunk by the constraint."""
        Wo, Ho = self.oriented_size
        x0, y0, x1, y1 = self.crop
        cx, cy = 0.5 * (x0 + x1) * Wo, 0.5 * (y0 + y1) * Ho
        a, b = 0.5 * (x1 - x0) * Wo, 0.5 * (y1 - y0) * Ho
        if self.straighten and self.constrain:
            t = math.radians(self.straighten)
            c, s = abs(math.cos(t)), abs(math.sin(t))
            dx, dy = min(cx, Wo - cx), min(cy, Ho - cy)
            k = min(1.0, dx / max(a * c + b * s, 1e-12), dy / max(a * s + b * c, 1e-12))
            a, b = a * k, b * k
        return cx, cy, a, b

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the output at full resolution (at least 1×1)."""
        _, _, a, b = self.crop_box()
        return max(1, int(round(2 * a))), max(1, int(round(2 * b)))

    @property
    def is_identity(self) -> bool:
        return (self.rotate == 0 and self.flip == "none" and self.straighten == 0.0
                and tuple(self.crop) == (0.0, 0.0, 1.0, 1.0) and self.lens is None)

    @property
    def is_axis_aligned(self) -> bool:
        """No straightening and no lens warp: every output pixel is one source pixel (a
        crop and index transpositions at full resolution, no interpolation)."""
        return self.straighten == 0.0 and self.lens is None

    # ------------------------------------------------------------------ mapping
    def map_points(self, u: np.ndarray, v: np.ndarray, scale: float = 1.0, channel: int = 1,
                   lens: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Source pixel coordinates (x, y) of output pixels (u, v) of a render at ``scale``
        (pixel centres at integers in both grids); ``channel``: which colour's lens
        displacement (TCA); ``lens=False``: the undistorted source coordinates."""
        cx, cy, a, b = self.crop_box()
        ow, oh = self.size
        # output pixel centre → oriented coordinates (edges at 0 and W_o)
        qx = (np.asarray(u, np.float64) + 0.5) / scale * (2 * a / ow) - a
        qy = (np.asarray(v, np.float64) + 0.5) / scale * (2 * b / oh) - b
        if self.straighten:
            # the photo turns clockwise on screen (y down: R = [[c, −s], [s, c]]); an output
            # point samples the photo at Rᵀ·q
            t = math.radians(self.straighten)
            c, s = math.cos(t), math.sin(t)
            qx, qy = c * qx + s * qy, -s * qx + c * qy
        ox, oy = cx + qx, cy + qy
        # oriented → source (undo the flip, then the clockwise quarter turns)
        Wo, Ho = self.oriented_size
        if self.flip == "horizontal":
            ox = Wo - ox
        elif self.flip == "vertical":
            oy = Ho - oy
        if self.rotate == 90:          # source (x, y) → oriented (H − y, x)
            sx, sy = oy, self.H - ox
        elif self.rotate == 180:
            sx, sy = self.W - ox, self.H - oy
        elif self.rotate == 270:       # source (x, y) → oriented (y, W − x)
            sx, sy = self.W - oy, ox
        else:
            sx, sy = ox, oy
        sx, sy = sx - 0.5, sy - 0.5    # edges → pixel centres
        if lens and self.lens is not None:
            sx, sy = self.lens.apply(sx, sy, channel)
        return sx, sy

    def source_rect(self, x: int, y: int, w: int, h: int, scale: float = 1.0, margin: int = 2
                    ) -> tuple[int, int, int, int]:
        """The source pixels (x0, y0, x1, y1), clipped to the photo, that output rectangle
        (x, y, w, h) of a render at ``scale`` reads, with ``margin`` pixels for the
        interpolation kernel."""
        # the border of the rectangle (a lens warp bends its edges), every channel
        t = np.linspace(0.0, 1.0, 17)
        us = np.concatenate([x + t * (w - 1), x + t * (w - 1), np.full(17, x), np.full(17, x + w - 1.0)])
        vs = np.concatenate([np.full(17, y), np.full(17, y + h - 1.0), y + t * (h - 1), y + t * (h - 1)])
        pts = [self.map_points(us, vs, scale, c) for c in ((0, 1, 2) if self.lens is not None else (1,))]
        sx = np.concatenate([p[0] for p in pts])
        sy = np.concatenate([p[1] for p in pts])
        x0 = max(0, int(math.floor(sx.min())) - margin)
        y0 = max(0, int(math.floor(sy.min())) - margin)
        x1 = min(self.W, int(math.ceil(sx.max())) + margin + 1)
        y1 = min(self.H, int(math.ceil(sy.max())) + margin + 1)
        return x0, y0, max(x0 + 1, x1), max(y0 + 1, y1)


def framing_of(settings: Mapping[str, Any], width: int, height: int, lens: LensWarp | None = None) -> Framing | None:
    """The framing ``settings`` ask of a ``width×height`` source (with ``lens``: its lens
    distortion corrected first), or None when they leave the photo as it is."""
    f = Framing(int(width), int(height), int(settings.get("rotate", "0")), str(settings.get("flip", "none")),
                float(settings.get("straighten", 0.0)),
                tuple(float(c) for c in settings.get("crop", (0.0, 0.0, 1.0, 1.0))),
                bool(settings.get("crop_constrain", True)), lens)
    return None if f.is_identity else f
