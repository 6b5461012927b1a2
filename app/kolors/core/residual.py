"""The learned residual (colour maths of the learned model): what its heads produce and how it is applied.

The residual works on *encoded* values ``e = cbrt(x)`` of linear sRGB ``x`` (white = 1;
sign-preserving, so values above white and tiny negatives pass), where equal steps are
roughly equal perceived steps:

1. a global 3D LUT of deltas, ``e += Δ(clamp(e, 0, 1))``: ``lut`` (B, S, S, S, 3) indexed
   [r, g, b] on an even grid over [0, 1], interpolated tetrahedrally with gathers (no
   5-D ``grid_sample``, so it exports to ONNX);
2. a coarse grid of affine colour matrices, ``e ← (I + A(p)) e + b(p)``: ``grid``
   (B, GH, GW, 12) (row-major 3×4 of deltas ``[A | b]``), cell centres at ((i+0.5)/GH,
   (j+0.5)/GW) of the *full* photo and bilinearly interpolated between them (clamped at the
   borders), so every tile of a full-resolution render computes the same value for the
   same pixel;

then ``x = e³``. ``strength`` scales both deltas: 0 is exactly the identity. One pass per
pixel, at any resolution.
"""
from __future__ import annotations

import torch

__all__ = ["encode", "decode", "apply_lut_delta", "grid_coords", "slice_affine", "apply_affine", "apply_residual",
           "STRENGTH_NOT_BLENDED"]

#: settings a blend toward the defaults (a task's intensity, the need gate) keeps as they
#: are: the residual's fitted strength — its LUT and grid already scale with the blend, so
#: blending the strength too would count it twice (and a strength below 1 would grow as
#: the blend falls)
STRENGTH_NOT_BLENDED = frozenset({"learned_strength"})


def encode(x: torch.Tensor) -> torch.Tensor:
    """Linear → perceptual encoding: signed cube root."""
    return torch.sign(x) * x.abs().clamp_min(1e-12) ** (1.0 / 3.0)


def decode(e: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`encode`."""
    return e * e * e


def apply_lut_delta(lut: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
    """Tetrahedral lookup of per-sample tables ``lut`` (B, S, S, S, 3) at coordinates
    ``e`` (B, 3, H, W), clamped to [0, 1]. Returns (B, 3, H, W). A single table (1, S, S,
    S, 3) serves every sample (the torch path of :func:`kolors.core.lut.apply_lut`)."""
    b, s = lut.shape[0], lut.shape[1]
    n1 = s - 1
    p = e.clamp(0.0, 1.0) * n1
    i0 = p.floor().clamp(0, n1 - 1)
    f = p - i0
    i0 = i0.to(torch.int64)
    r, g, bl = i0[:, 0], i0[:, 1], i0[:, 2]  # (B,H,W)
    fr, fg, fb = f[:, 0:1], f[:, 1:2], f[:, 2:3]  # (B,1,H,W)
    flat = lut.reshape(b * s * s * s, 3)
    base = (torch.arange(b, device=e.device, dtype=torch.int64) * (s * s * s)).view(b, 1, 1)

    def at(dr: int, dg: int, db: int) -> torch.Tensor:
        idx = base + ((r + dr) * s + (g + dg)) * s + (bl + db)  # (B,H,W)
        return flat[idx].permute(0, 3, 1, 2)  # (B,3,H,W)

    c000, c111 = at(0, 0, 0), at(1, 1, 1)
    c100, c010, c001 = at(1, 0, 0), at(0, 1, 0), at(0, 0, 1)
    c110, c101, c011 = at(1, 1, 0), at(1, 0, 1), at(0, 1, 1)
    t1 = (1 - fr) * c000 + (fr - fg) * c100 + (fg - fb) * c110 + fb * c111
    t2 = (1 - fr) * c000 + (fr - fb) * c100 + (fb - fg) * c101 + fg * c111
    t3 = (1 - fb) * c000 + (fb - fr) * c001 + (fr - fg) * c101 + fg * c111
    t4 = (1 - fb) * c000 + (fb - fg) * c001 + (fg - fr) * c011 + fr * c111
    t5 = (1 - fg) * c000 + (fg - fb) * c010 + (fb - fr) * c011 + fr * c111
    t6 = (1 - fg) * c000 + (fg - fr) * c010 + (fr - fb) * c110 + fb * c111
    return torch.where(fr > fg,
                       torch.where(fg > fb, t1, torch.where(fr > fb, t2, t3)),
                       torch.where(fb > fg, t4, torch.where(fb > fr, t5, t6)))


def grid_coords(n: int, offset: int, full: int, cells: int, scale: float = 1.0,
                device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Along one axis of rendered pixels ``offset .. offset+n-1`` of a photo ``full``
    pixels long (at render ``scale``): the lower cell index i0 (n,) int64, its neighbour
    i1 and the weight of i1 (n,) float32. Cell centres sit at (c + 0.5) / cells of the
    photo; computed in float64 from the global index, so identical in every tile."""
    idx = torch.arange(offset, offset + n, dtype=torch.float64, device=device)
    u = (idx + 0.5) / scale / max(full, 1)
    c = (u * cells - 0.5).clamp(0.0, cells - 1)
    i0 = c.floor().clamp(0, max(cells - 2, 0))
    w = (c - i0).to(torch.float32)
    i0 = i0.to(torch.int64)
    return i0, (i0 + 1).clamp_max(cells - 1), w


def slice_affine(grid: torch.Tensor, ys: tuple, xs: tuple) -> torch.Tensor:
    """Bilinear slice of ``grid`` (B, GH, GW, 12) at rows ``ys`` and columns ``xs`` (each
    the (i0, i1, w) of :func:`grid_coords`). Returns (B, 12, H, W)."""
    y0, y1, wy = ys
    x0, x1, wx = xs
    g = grid.permute(0, 3, 1, 2)  # (B,12,GH,GW)
    top = g.index_select(2, y0)  # (B,12,H,GW)
    bot = g.index_select(2, y1)
    rows = top + (bot - top) * wy.view(1, 1, -1, 1)
    left = rows.index_select(3, x0)
    right = rows.index_select(3, x1)
    return left + (right - left) * wx.view(1, 1, 1, -1)


def apply_affine(e: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """``(I + A) e + b`` per pixel: ``e`` (B,3,H,W), ``a`` (B,12,H,W) the row-major 3×4
    deltas ``[A | b]``."""
    er, eg, eb = e[:, 0:1], e[:, 1:2], e[:, 2:3]
    return torch.cat([
        er + a[:, 0:1] * er + a[:, 1:2] * eg + a[:, 2:3] * eb + a[:, 3:4],
        eg + a[:, 4:5] * er + a[:, 5:6] * eg + a[:, 6:7] * eb + a[:, 7:8],
        eb + a[:, 8:9] * er + a[:, 9:10] * eg + a[:, 10:11] * eb + a[:, 11:12],
    ], 1)


def apply_residual(x: torch.Tensor, lut: torch.Tensor, grid: torch.Tensor, strength: float | torch.Tensor = 1.0,
                   ys: tuple | None = None, xs: tuple | None = None) -> torch.Tensor:
    """Apply the learned residual to linear ``x`` (B, 3, H, W). ``ys``/``xs``: the grid
    coordinates of the rows/columns (default: ``x`` is the whole photo)."""
    h, w = x.shape[-2:]
    if ys is None:
        ys = grid_coords(h, 0, h, grid.shape[1], device=x.device)
    if xs is None:
        xs = grid_coords(w, 0, w, grid.shape[2], device=x.device)
    e = encode(x)
    e = e + strength * apply_lut_delta(lut, e)
    a = slice_affine(grid, ys, xs) * strength  # (B,12,H,W)
    return decode(apply_affine(e, a))
