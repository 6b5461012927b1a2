"""Scope data (histogram, waveform, vectorscope) of a displayed image, in numpy.

Input: ``H×W×3`` uint8 RGB, sRGB-encoded (what the viewer shows). Luma and chroma are
Rec.709 Y'CbCr of the encoded values (what video scopes show). Everything here is plain
counting (``np.bincount``), so a 2 MP preview takes a few milliseconds; the GUI only
draws the arrays.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Scopes", "compute_scopes", "luma", "clipping_overlay", "CLIP_HIGH", "CLIP_LOW"]

_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB


def luma(rgb: np.ndarray) -> np.ndarray:
    """Rec.709 Y' of ``H×W×3`` encoded values (float32, same scale as the input)."""
    x = rgb.astype(np.float32, copy=False)
    return _KR * x[..., 0] + _KG * x[..., 1] + _KB * x[..., 2]


@dataclass
class Scopes:
    """``histogram``: (4, 256) counts for R, G, B and luma. ``waveform``: (levels, columns)
    counts of luma per image column band (row 0 = black). ``vectorscope``: (size, size)
    counts over Cb (x) and Cr (y), centre = neutral, edges = ±0.5."""

    histogram: np.ndarray
    waveform: np.ndarray
    vectorscope: np.ndarray


def compute_scopes(rgb: np.ndarray, columns: int = 256, levels: int = 128, vsize: int = 128,
                   max_pixels: int = 500_000) -> Scopes:
    """Scopes of ``rgb`` (``H×W×3`` uint8). Images above ``max_pixels`` are decimated
    evenly first (the shapes of the distributions are kept)."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"scopes need an H×W×3 uint8 image, got {rgb.dtype} {rgb.shape}")
    h, w = rgb.shape[:2]
    step = max(1, int(np.ceil(np.sqrt(h * w / max_pixels))))
    img = rgb[::step, ::step]
    h, w = img.shape[:2]
    hist = np.empty((4, 256), np.int64)
    for c in range(3):
        hist[c] = np.bincount(img[..., c].ravel(), minlength=256)
    y = luma(img)                                   # 0..255
    hist[3] = np.bincount(np.clip(y + 0.5, 0, 255).astype(np.int64).ravel(), minlength=256)
    # waveform: luma level per column band
    col = (np.arange(w) * columns // max(1, w)).astype(np.int64)
    lev = np.clip((y * (levels / 256.0)).astype(np.int64), 0, levels - 1)
    wf = np.bincount((lev * columns + col[None, :]).ravel(), minlength=levels * columns).reshape(levels, columns)
    # vectorscope: Cb/Cr of the encoded values, scaled to [-0.5, 0.5]
    f = img.astype(np.float32) / 255.0
    yy = y / 255.0
    cb = (f[..., 2] - yy) / (2 * (1 - _KB))
    cr = (f[..., 0] - yy) / (2 * (1 - _KR))
    ix = np.clip(((cb + 0.5) * vsize).astype(np.int64), 0, vsize - 1)
    iy = np.clip(((cr + 0.5) * vsize).astype(np.int64), 0, vsize - 1)
    vs = np.bincount((iy * vsize + ix).ravel(), minlength=vsize * vsize).reshape(vsize, vsize)
    return Scopes(hist, wf, vs)


#: clipping warning colours (RGB): highlights as Lightroom shows them (red), shadows (blue)
CLIP_HIGH, CLIP_LOW = (255, 40, 40), (40, 90, 255)


def clipping_overlay(rgb: np.ndarray, high: int = 254, low: int = 1) -> tuple[np.ndarray, dict[str, float]]:
    """The clipping warning of a displayed ``H×W×3`` uint8 image: a copy where every pixel
    with a channel at or above ``high`` is painted :data:`CLIP_HIGH` and every pixel with a
    channel at or below ``low`` (and none clipped high) :data:`CLIP_LOW`, and the shares of
    pixels clipped ``{'highlights': f, 'shadows': f}`` (0–1)."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an H×W×3 uint8 image, got {rgb.dtype} {rgb.shape}")
    hi = (rgb >= high).any(2)
    lo = (rgb <= low).any(2) & ~hi
    out = rgb.copy()
    out[hi] = CLIP_HIGH
    out[lo] = CLIP_LOW
    n = max(1, hi.size)
    return out, {"highlights": float(hi.sum()) / n, "shadows": float(lo.sum()) / n}
