"""Shared helpers of the spatial (neighbourhood) operations: box filters, a self-guided
filter, a tile-aligned "fast" guided filter and radius/halo rules. All of them are plain
torch (any device) and deterministic: the same pixels are summed in the same order in
a tile as in the whole image, so tiled renders match untiled ones to float rounding.

Not an operation (the leading underscore keeps the registry from loading it).

Tiling rule the helpers keep: an output pixel depends only on input pixels within the
operation's halo, and the only special treatment of borders is replicate padding at the
tensor's edge; since a tile is clipped at the photo border, the tile that
touches the photo border sees exactly what the whole image sees there, and whatever a
tile's inner edges do is cropped away with the halo. Anything sampled on a coarser grid
is aligned to the *global* render grid (``ctx.offset``), never to the tile.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..color import LUMA
from ..params import RenderContext

__all__ = ["box_mean", "blur_frac", "gauss_blur", "gauss_reach", "min_filter", "cell_mean", "guided_filter", "guided_filter_frac",
           "fast_guided_filter", "fast_gf_params", "pad_to_cells", "upsample_cells", "cell_min", "fast_gf_halo", "long_side", "luma", "log2_luma",
           "apply_log_gain"]


def long_side(ctx: RenderContext, img: torch.Tensor) -> float:
    """Long side of the full-resolution photo in pixels (falls back to the tensor's size
    when the context carries no full size)."""
    fh, fw = ctx.full_size
    if fh <= 0 or fw <= 0:
        return float(max(img.shape[-2], img.shape[-1])) / max(ctx.scale, 1e-6)
    return float(max(fh, fw))


def luma(img: torch.Tensor) -> torch.Tensor:
    """Rec.709 luminance, (B,1,H,W), same dtype."""
    w = torch.as_tensor(LUMA, dtype=img.dtype, device=img.device).view(1, 3, 1, 1)
    return (img * w).sum(1, keepdim=True)


def log2_luma(img: torch.Tensor, floor: float = 1e-4) -> torch.Tensor:
    """log2 of (max(Y, 0) + floor), (B,1,H,W). The floor keeps deep-shadow noise from
    dominating log-domain detail and keeps everything finite."""
    y = luma(img).clamp(0.0, 1e30)
    return torch.log2(y + floor)


def apply_log_gain(img: torch.Tensor, dv: torch.Tensor, limit: float = 4.0) -> torch.Tensor:
    """Multiply RGB by 2^dv (dv: (B,1,H,W) in stops, clamped to ±limit): a luminance
    ratio, so the chromaticity (hue and saturation) of each pixel is kept."""
    return img * torch.exp2(dv.clamp(-limit, limit))


# -- box filters -------------------------------------------------------------------

def _shift_sum(x: torch.Tensor, weights, dim: int) -> torch.Tensor:
    """Weighted sum of shifted copies along ``dim`` (2 or 3) with replicate padding:
    out[i] = sum_t weights[t] · x[clamp(i + t - p)], p = (len - 1) / 2. A handful of
    fused multiply-adds per pixel, much faster on the CPU than conv2d/avg_pool2d for
    one-channel images and deterministic (the same sum in the same order in any tile)."""
    n = len(weights)
    p = (n - 1) // 2
    if p == 0:
        return x * float(weights[0])
    size = x.shape[dim]
    pad = (0, 0, p, p) if dim == 2 else (p, p, 0, 0)
    y = F.pad(x, pad, mode="replicate")
    acc = y.narrow(dim, 0, size) * float(weights[0])
    for t in range(1, n):
        acc.add_(y.narrow(dim, t, size), alpha=float(weights[t]))
    return acc


def box_mean(x: torch.Tensor, r: int) -> torch.Tensor:
    """Mean over the (2r+1)² window, replicate padding at the tensor's edge. Separable
    shift-and-add, O(r) per pixel: meant for small radii or coarse grids. x: (B,C,H,W)."""
    if r <= 0:
        return x
    w = [1.0 / (2 * r + 1)] * (2 * r + 1)
    return _shift_sum(_shift_sum(x, w, 2), w, 3)


def _frac_kernel(r: float) -> np.ndarray:
    """1-D box kernel of (possibly fractional) radius r: weight 1 out to floor(r), the
    fractional part on the next tap; normalised."""
    n = int(math.floor(r))
    f = r - n
    taps = np.ones(2 * n + 3)
    taps[0] = taps[-1] = f
    if f <= 1e-6:
        taps = taps[1:-1]
    return taps / taps.sum()


def blur_frac(x: torch.Tensor, r: float) -> torch.Tensor:
    """Separable box blur with a fractional radius (so radii can scale smoothly with the
    render scale); replicate padding. Reach: ceil(r). x: (B,C,H,W)."""
    if r <= 1e-6:
        return x
    k = _frac_kernel(r).tolist()
    return _shift_sum(_shift_sum(x, k, 2), k, 3)


def gauss_reach(sigma: float) -> int:
    """Pixels on each side a :func:`gauss_blur` of ``sigma`` reads (3 σ, at least 1)."""
    return max(1, int(math.ceil(3.0 * sigma))) if sigma > 1e-6 else 0


def gauss_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur (σ in pixels, kernel cut at :func:`gauss_reach` and
    normalised), replicate padding; deterministic shift-and-add. x: (B,C,H,W)."""
    r = gauss_reach(sigma)
    if r == 0:
        return x
    t = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    k = (k / k.sum()).tolist()
    return _shift_sum(_shift_sum(x, k, 2), k, 3)


def min_filter(x: torch.Tensor, r: int) -> torch.Tensor:
    """Minimum over the (2r+1)² window clipped to the tensor (replicate padding gives the
    same). x: (B,C,H,W)."""
    if r <= 0:
        return x
    for dim in (2, 3):
        size = x.shape[dim]
        pad = (0, 0, r, r) if dim == 2 else (r, r, 0, 0)
        y = F.pad(x, pad, mode="replicate")
        acc = y.narrow(dim, 0, size).clone()
        for t in range(1, 2 * r + 1):
            torch.minimum(acc, y.narrow(dim, t, size), out=acc)
        x = acc
    return x


def cell_min(x: torch.Tensor, s: int) -> torch.Tensor:
    """Minimum over non-overlapping s×s cells; H and W must be multiples of s."""
    if s == 1:
        return x
    B, C, H, W = x.shape
    return x.reshape(B, C, H // s, s, W // s, s).amin(dim=(3, 5))


def cell_mean(x: torch.Tensor, s: int) -> torch.Tensor:
    """Mean over non-overlapping s×s cells; H and W must be multiples of s."""
    if s == 1:
        return x
    B, C, H, W = x.shape
    return x.reshape(B, C, H // s, s, W // s, s).mean(dim=(3, 5))


# -- guided filter -----------------------------------------------------------------

def guided_filter(v: torch.Tensor, r: int, eps: float, src: torch.Tensor | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Guided filter (He, Sun & Tang 2013) of ``src`` (default: ``v`` itself, the
    self-guided filter) with guide v, both (B,1,H,W): returns the averaged linear
    coefficients (A, B) so that the edge-preserving result is A·v + B. Reach 2r."""
    mean = box_mean(v, r)
    var = (box_mean(v * v, r) - mean * mean).clamp_min(0.0)
    if src is None:
        a = var / (var + eps)
        b = mean - a * mean
    else:
        mean_p = box_mean(src, r)
        a = (box_mean(v * src, r) - mean * mean_p) / (var + eps)
        b = mean_p - a * mean
    return box_mean(a, r), box_mean(b, r)


def _phase_up(lo: torch.Tensor, s: int, dim: int) -> torch.Tensor:
    """Bilinear upsampling by an integer factor s along ``dim`` (2 or 3 of a 4-d tensor):
    the centre of coarse cell c sits at fine (c+0.5)·s - 0.5 (align_corners=False), values
    are clamped at the ends. The weights depend only on the phase i mod s, so they are
    bit-identical in any tile aligned to the global cell grid."""
    m = lo.shape[dim]
    pad = (0, 0, 1, 1) if dim == 2 else (1, 1, 0, 0)
    lp = F.pad(lo, pad, mode="replicate")
    parts = []
    for k in range(s):
        u = (k + 0.5) / s - 0.5          # position of phase k relative to its cell, in (-0.5, 0.5)
        o = int(math.floor(u))           # -1 or 0
        f = u - o
        a = lp.narrow(dim, o + 1, m)
        b = lp.narrow(dim, o + 2, m)
        parts.append(torch.lerp(a, b, f) if f > 0 else a)
    out = torch.stack(parts, dim + 1)    # (..., m, s, ...) interleaves the phases
    shape = list(lo.shape)
    shape[dim] = m * s
    return out.reshape(shape)


def fast_gf_params(r: float) -> tuple[int, int]:
    """(s, rc): sub-sampling factor and box radius in coarse cells for a guided filter of
    radius r render pixels (about 8 cells per radius)."""
    s = max(1, int(round(r / 8.0)))
    rc = max(1, int(round(r / s)))
    return s, rc


def fast_gf_halo(r: float) -> int:
    """Pixels of context :func:`fast_guided_filter` needs on each side."""
    s, rc = fast_gf_params(r)
    return s * (2 * rc + 3)


def pad_to_cells(x: torch.Tensor, s: int, offset: tuple[int, int]) -> tuple[torch.Tensor, int, int]:
    """``x`` (B,C,H,W) replicate-padded so that it covers whole s×s cells of the *global*
    render grid (``offset``: x's top-left in that grid); returns (padded, py, px), the
    padding above and left, so that ``padded[..., py:py+H, px:px+W]`` is x again."""
    H, W = x.shape[-2:]
    py, px = int(offset[0]) % s, int(offset[1]) % s
    qy = (-(py + H)) % s
    qx = (-(px + W)) % s
    return (F.pad(x, (px, qx, py, qy), mode="replicate") if (py or px or qy or qx) else x), py, px


def upsample_cells(lo: torch.Tensor, s: int, py: int, px: int, H: int, W: int) -> torch.Tensor:
    """Bilinear upsampling of a cell grid made by :func:`pad_to_cells` + :func:`cell_mean`
    back to the H×W tensor (phase-exact, so identical in every aligned tile)."""
    return _phase_up(_phase_up(lo, s, 3), s, 2)[..., py:py + H, px:px + W]


def fast_guided_filter(v: torch.Tensor, r: float, eps: float, offset: tuple[int, int] = (0, 0),
                       src: torch.Tensor | None = None) -> torch.Tensor:
    """Edge-preserving base of v (B,1,H,W) by a self-guided filter of radius ≈ r pixels
    (with ``src``: ``src`` filtered with the guide v).

    For large radii the coefficients are computed on a grid of s×s cells (He & Sun's fast
    guided filter) and upsampled bilinearly; the cells are aligned to the global render
    grid using ``offset`` (the tensor's top-left in that grid) so tiles agree with the
    whole image. Reach: :func:`fast_gf_halo`."""
    s, rc = fast_gf_params(r)
    if s == 1:
        A, B = guided_filter(v, rc, eps, src)
        return A * v + B
    H, W = v.shape[-2:]
    vp, py, px = pad_to_cells(v, s, offset)
    lo = cell_mean(vp, s)
    src_lo = None if src is None else cell_mean(pad_to_cells(src, s, offset)[0], s)
    A, B = guided_filter(lo, rc, eps, src_lo)
    AB = upsample_cells(torch.cat([A, B], 1), s, py, px, H, W)
    return AB[:, :1] * v + AB[:, 1:]


def guided_filter_frac(v: torch.Tensor, r: float, eps: float) -> torch.Tensor:
    """Edge-preserving base of v (B,1,H,W) by a self-guided filter whose box has a
    fractional radius r (see :func:`blur_frac`); for small radii. Reach 2·ceil(r)."""
    mean = blur_frac(v, r)
    var = (blur_frac(v * v, r) - mean * mean).clamp_min(0.0)
    a = var / (var + eps)
    b = mean - a * mean
    ab = blur_frac(torch.cat([a, b], 1), r)
    return ab[:, :1] * v + ab[:, 1:]

