"""The framing step: resample a photo (or a proxy of it) into its framed output
(:class:`kolors.core.geometry.Framing`: quarter turns, flip, straighten, crop) before any
other operation runs. Arrays are ``H×W×3`` (uint8, uint16 or float32, sRGB-encoded or
linear: the step only moves pixels, it does not change their values' meaning); the output
has the source's dtype.

A lens warp (:class:`kolors.core.geometry.LensWarp`: a lens profile's distortion and
chromatic aberration, the manual distortion slider) is part of the same single
resampling; with transverse chromatic aberration each channel is resampled on its own map.
A full-resolution framing without straightening or lens warp is exact: rotations and flips are index
transpositions and the crop a slice (a crop of 0.1–0.9 of a 6000×4000 photo is 4800×3200
pixels, each one a source pixel). Straightening, and any render at another scale,
interpolates (bicubic at full resolution, bilinear for previews) in bands of rows, reading
only the source rectangle each band needs (:meth:`Framing.source_rect`), so memory stays
at the output's size plus one band. Outside the photo (an unconstrained straightened crop)
the nearest edge pixels repeat.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..core.geometry import Framing, framing_of

__all__ = ["frame_array", "framing_of", "Framing", "framed_size"]

#: rows per resampling band
BAND = 256


def framed_size(settings: Mapping[str, Any], width: int, height: int) -> tuple[int, int]:
    """(width, height) of the framed full-resolution photo."""
    f = framing_of(settings, width, height)
    return (int(width), int(height)) if f is None else f.size


def _exact(src: np.ndarray, f: Framing) -> np.ndarray:
    """Quarter turns, flips and an integer crop: the output pixels are source pixels."""
    a = src
    k = {"0": 0, "90": 1, "180": 2, "270": 3}[str(f.rotate)]
    if k:
        a = np.rot90(a, -k)                  # np.rot90 turns counter-clockwise; -k: clockwise
    if f.flip == "horizontal":
        a = a[:, ::-1]
    elif f.flip == "vertical":
        a = a[::-1]
    ow, oh = f.size
    Wo, Ho = f.oriented_size
    cx, cy, ha, hb = f.crop_box()
    ox, oy = int(round(cx - ha)), int(round(cy - hb))
    ox, oy = min(max(0, ox), Wo - ow), min(max(0, oy), Ho - oh)
    return np.ascontiguousarray(a[oy:oy + oh, ox:ox + ow])


def frame_array(src: np.ndarray, f: Framing, scale: float = 1.0, src_scale: float = 1.0,
                rect: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """The framed photo (or the output rectangle ``rect`` = (x, y, w, h) of it) rendered at
    ``scale`` (1 = full resolution), resampled from ``src``: the whole source photo at
    ``src_scale`` (a proxy of a W×H photo is ``src_scale``·W wide)."""
    import cv2

    ow, oh = f.size
    W, H = max(1, round(ow * scale)), max(1, round(oh * scale))
    if rect is None:
        rect = (0, 0, W, H)
    x, y, w, h = rect
    if f.is_axis_aligned and scale == 1.0 and src_scale == 1.0 and src.shape[:2] == (f.H, f.W):
        full = _exact(src, f)
        return np.ascontiguousarray(full[y:y + h, x:x + w])
    interp = cv2.INTER_CUBIC if scale >= 1.0 and src_scale >= 1.0 else cv2.INTER_LINEAR
    out = np.empty((h, w) + src.shape[2:], src.dtype)
    sh, sw = src.shape[:2]
    for by in range(y, y + h, BAND):
        bh = min(BAND, y + h - by)
        x0, y0, x1, y1 = f.source_rect(x, by, w, bh, scale, margin=3)
        # the same rectangle in the source array's pixels
        X0, Y0 = max(0, int(np.floor(x0 * src_scale)) - 2), max(0, int(np.floor(y0 * src_scale)) - 2)
        X1, Y1 = min(sw, int(np.ceil(x1 * src_scale)) + 2), min(sh, int(np.ceil(y1 * src_scale)) + 2)
        u, v = np.meshgrid(np.arange(x, x + w, dtype=np.float64), np.arange(by, by + bh, dtype=np.float64))
        part = np.ascontiguousarray(src[Y0:Y1, X0:X1])

        def remap(img: np.ndarray, channel: int = 1) -> np.ndarray:
            sx, sy = f.map_points(u, v, scale, channel)
            # full-resolution source pixel centres → the source array's pixel centres
            mx = ((sx + 0.5) * src_scale - 0.5 - X0).astype(np.float32)
            my = ((sy + 0.5) * src_scale - 0.5 - Y0).astype(np.float32)
            return cv2.remap(img, mx, my, interp, borderMode=cv2.BORDER_REPLICATE)

        if f.lens is not None and f.lens.has_tca and part.ndim == 3 and part.shape[2] == 3:
            res = np.stack([remap(np.ascontiguousarray(part[..., c]), c) for c in range(3)], -1)
        else:
            res = remap(part)
        if src.dtype == np.float32 and interp == cv2.INTER_CUBIC:
            # bicubic overshoots at edges: keep linear light non-negative
            np.maximum(res, 0.0, out=res)
        out[by - y:by - y + bh] = res.reshape(out[by - y:by - y + bh].shape)
    return out
