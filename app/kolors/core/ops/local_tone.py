"""Local tone: a bilateral grid of log2 luminance gains, sliced at full resolution.

The grid is computed once per photo from a thumbnail — by the classical HDR / low-light
tasks through :func:`fit_tone_grid`, later by the learned model — and applied here to
every pixel at any resolution, so a preview and a tiled export agree.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..color import LUMA
from ..params import Grid
from ..registry import Op, register_op

__all__ = ["LocalTone", "fit_tone_grid", "slice_grid", "LOG2_MIN", "LOG2_MAX", "GAIN_LIMIT"]

#: log2 luminance range spanned by the grid's bins (bin 0 at LOG2_MIN, the last at
#: LOG2_MAX; luminance outside is clamped to the end bins)
LOG2_MIN, LOG2_MAX = -12.0, 2.0
#: gains are limited to ±GAIN_LIMIT stops when applied
GAIN_LIMIT = 6.0


def _bin_coord(logy: torch.Tensor, nb: int) -> torch.Tensor:
    return ((logy - LOG2_MIN) / (LOG2_MAX - LOG2_MIN)).clamp(0.0, 1.0) * (nb - 1)


def _log2y(rgb: torch.Tensor) -> torch.Tensor:
    w = torch.as_tensor(LUMA, dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    y = (rgb * w).sum(1, keepdim=True)
    return torch.log2(y.clamp(2.0 ** (LOG2_MIN - 1), 1e30))


def _grid_coord(n: int, offset: int, scale: float, full: int, cells: int) -> np.ndarray:
    """grid_sample coordinate (align_corners=True) along one axis of rendered pixels
    offset .. offset+n-1: their full-resolution position (i + 0.5) / scale, normalised by
    the photo size, mapped to cell index space (cell centres at (c + 0.5) / cells) and
    clamped. Computed in float64 from the global index, so identical in every tile."""
    idx = np.arange(offset, offset + n, dtype=np.float64)
    u = (idx + 0.5) / scale / max(full, 1)
    c = np.clip(u * cells - 0.5, 0.0, cells - 1)
    return (c / max(cells - 1, 1) * 2.0 - 1.0).astype(np.float32)


def slice_grid(grid: torch.Tensor, img: torch.Tensor, ctx) -> torch.Tensor:
    """Trilinear lookup of ``grid`` (GH, GW, GB) at every pixel of ``img`` (B,3,H,W,
    float32): cell centres at ((i+0.5)/GH, (j+0.5)/GW) of the full photo, bins evenly over
    [LOG2_MIN, LOG2_MAX] of log2 luminance; clamped at the ends. Returns (B,1,H,W)."""
    B, _, H, W = img.shape
    GH, GW, GB = grid.shape
    full_h, full_w = ctx.full_size
    if full_h <= 0 or full_w <= 0:
        full_h, full_w = round(H / ctx.scale), round(W / ctx.scale)
    dev = img.device
    gy = torch.from_numpy(_grid_coord(H, int(ctx.offset[0]), ctx.scale, full_h, GH)).to(dev)
    gx = torch.from_numpy(_grid_coord(W, int(ctx.offset[1]), ctx.scale, full_w, GW)).to(dev)
    gz = _bin_coord(_log2y(img), GB) / max(GB - 1, 1) * 2 - 1                       # (B,1,H,W)
    coords = torch.stack([gx.view(1, 1, W).expand(B, H, W),
                          gy.view(1, H, 1).expand(B, H, W),
                          gz[:, 0]], dim=-1).unsqueeze(1)                           # (B,1,H,W,3)
    vol = grid.permute(2, 0, 1).reshape(1, 1, GB, GH, GW).expand(B, 1, GB, GH, GW)
    out = F.grid_sample(vol, coords, mode="bilinear", padding_mode="border", align_corners=True)
    return out[:, :, 0]


@register_op(group="task")
class LocalTone(Op):
    """Spatially varying tone mapping from a bilateral grid of gains.

    img: (B,3,H,W) linear sRGB (D65, white = 1, any range); output same shape, dtype and
    space, unclipped. ``tone_grid`` is a (GH, GW, GB) array of log2 luminance gains: GH×GW
    cells over the whole photo and GB bins of log2 luminance spread over [−12, 2]. Each
    pixel looks its gain up by trilinear interpolation at its position in the full photo
    and its own log2 luminance (a bilateral grid, so a bright object in a dark region
    keeps its own gain and edges get no halos), and RGB is multiplied by 2^gain: a
    luminance ratio, hue kept. Position-dependent but no neighbourhood: halo 0.

    Params: ``tone_grid`` (hidden, set by tasks/the model; None = off, zeros = identity)."""

    version = 1
    pointwise = False
    label = "Local tone"
    tone_grid = Grid(ndim=3, lo=-16.0, hi=16.0, label="Local tone grid")

    def halo(self, p, ctx) -> int:
        return 0

    def process(self, img: torch.Tensor, p, ctx) -> torch.Tensor:
        g = p["tone_grid"]
        if g is None:
            return img
        x = img.float()
        grid = torch.as_tensor(np.asarray(g, dtype=np.float32), device=x.device)
        gain = slice_grid(grid, x, ctx).clamp(-GAIN_LIMIT, GAIN_LIMIT)
        return (x * torch.exp2(gain)).to(img.dtype)


# -- fitting (used by tasks) ---------------------------------------------------------

def _blur_np(a: np.ndarray, sigmas: tuple[float, ...]) -> np.ndarray:
    """Separable Gaussian blur of an n-d array with edge replication (sigma 0 = skip)."""
    out = a.astype(np.float64)
    for ax, s in enumerate(sigmas):
        if s <= 0 or out.shape[ax] == 1:
            continue
        r = max(1, int(np.ceil(3 * s)))
        t = np.arange(-r, r + 1)
        k = np.exp(-0.5 * (t / s) ** 2)
        k /= k.sum()
        pad = [(0, 0)] * out.ndim
        pad[ax] = (r, r)
        p = np.pad(out, pad, mode="edge")
        acc = np.zeros_like(out)
        for i, w in enumerate(k):
            sl = [slice(None)] * out.ndim
            sl[ax] = slice(i, i + out.shape[ax])
            acc += w * p[tuple(sl)]
        out = acc
    return out


def fit_tone_grid(thumb, strength: float | Callable = 1.0, grid: tuple[int, int, int] = (16, 16, 8),
                  key: float = 0.18, range_sigma: float = 1.0, max_lift: float = 3.0,
                  max_cut: float = 2.0, white: float = 0.95) -> np.ndarray:
    """Fit a (GH, GW, GB) grid of log2 gains for :class:`LocalTone` from a thumbnail.

    ``thumb``: (1,3,h,w) or (3,h,w) linear sRGB, torch tensor or numpy array (a few
    hundred pixels on a side is plenty). Local tone mapping in the spirit of Durand &
    Dorsey / Reinhard's local key: the log2 luminance is splatted into a bilateral grid
    (cells × bins) and blurred in space and (with ``range_sigma`` stops) in luminance, which
    gives for every cell and bin an edge-aware local mean μ (the "local key"). The gain moves
    that local key toward ``key`` (0.18):  g = strength · (log2 key − μ), so dark regions
    are lifted and bright ones lowered while the detail inside a region (within about
    ``range_sigma`` stops) keeps its contrast. Lifts are limited to ``max_lift`` stops and
    so that no bin is pushed above ``white``; cuts to ``max_cut`` stops. Finally the grid is
    smoothed across cells so the result has no blocks.

    ``strength`` is a number (0 = zeros = identity, 1 = full) or a function
    ``f(mu, level) -> gain`` of numpy arrays (μ and the bins' log2 luminance, both of
    shape (GH, GW, GB)) returning the log2 gain before limiting and smoothing.

    Returns a float32 array of shape ``grid``."""
    GH, GW, GB = (int(v) for v in grid)
    if min(GH, GW, GB) < 1:
        raise ValueError(f"grid must be three positive sizes, got {grid!r}")
    t = torch.as_tensor(np.asarray(thumb, dtype=np.float32)) if not isinstance(thumb, torch.Tensor) else thumb
    t = t.detach().to("cpu", torch.float32)
    if t.dim() == 3:
        t = t.unsqueeze(0)
    if t.dim() != 4 or t.shape[1] != 3 or t.shape[-1] < 1 or t.shape[-2] < 1:
        raise ValueError(f"thumbnail must be (1,3,h,w) or (3,h,w), got {tuple(t.shape)}")
    t = torch.nan_to_num(t[:1], nan=0.0, posinf=1e4, neginf=0.0)
    ly = _log2y(t)[0, 0].numpy().astype(np.float64)                  # (h, w)
    h, w = ly.shape
    z = _bin_coord(torch.from_numpy(ly), GB).numpy()                  # fractional bin
    # splat (linear in the bin, nearest cell in space) sums of log2 Y and counts
    cy = np.clip(((np.arange(h) + 0.5) / h * GH).astype(np.int64), 0, GH - 1)
    cx = np.clip(((np.arange(w) + 0.5) / w * GW).astype(np.int64), 0, GW - 1)
    cyy = np.broadcast_to(cy[:, None], (h, w)).ravel()
    cxx = np.broadcast_to(cx[None, :], (h, w)).ravel()
    zf = z.ravel()
    z0 = np.floor(zf).astype(np.int64)
    fz = zf - z0
    z1 = np.minimum(z0 + 1, GB - 1)
    val = ly.ravel()
    S = np.zeros((GH, GW, GB))
    N = np.zeros((GH, GW, GB))
    for zi, wz in ((z0, 1.0 - fz), (z1, fz)):
        np.add.at(S, (cyy, cxx, zi), wz * val)
        np.add.at(N, (cyy, cxx, zi), wz)
    bin_stops = (LOG2_MAX - LOG2_MIN) / max(GB - 1, 1)
    sig = (1.0, 1.0, range_sigma / bin_stops)
    Sb = _blur_np(S, sig)
    Nb = _blur_np(N, sig)
    # where a cell has (almost) no pixels near this luminance, fall back to the wider
    # neighbourhood's mean so every bin gets a sensible value
    Sw = _blur_np(S, (2.5, 2.5, 3.0 * sig[2]))
    Nw = _blur_np(N, (2.5, 2.5, 3.0 * sig[2]))
    glob = float(val.mean()) if val.size else np.log2(key)
    prior = 1e-3 * (h * w) / (GH * GW * GB) + 1e-9
    mu_w = (Sw + prior * glob) / (Nw + prior)
    mu = (Sb + prior * mu_w) / (Nb + prior)
    level = LOG2_MIN + np.arange(GB) * bin_stops
    level = np.broadcast_to(level, (GH, GW, GB))
    if callable(strength):
        g = np.asarray(strength(mu, level), dtype=np.float64)
    else:
        s = float(strength)
        if s == 0.0:
            return np.zeros((GH, GW, GB), np.float32)
        g = s * (np.log2(key) - mu)
    # limits: lifts never push a bin above white, and are bounded; cuts are bounded
    room = np.maximum(np.log2(white) - level, 0.0)
    g = np.where(g > 0, np.minimum(g, np.minimum(room, max_lift)), np.maximum(g, -max_cut))
    g = _blur_np(g, (0.7, 0.7, 0.5))
    return np.nan_to_num(g, nan=0.0).astype(np.float32)
