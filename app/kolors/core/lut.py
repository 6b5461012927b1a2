"""3D LUTs: baking a colour function into a table and applying it fast.

A :class:`Lut3D` maps RGB to RGB. Its ``table`` has shape ``(N, N, N, 3)`` float32 and is
indexed ``table[r, g, b]`` (the .cube files list red fastest; :mod:`kolors.io.luts`
converts). Before the 3D lookup every input channel goes through a :class:`Shaper` that
maps the input domain to the table's [0, 1] index range:

* ``linear``  — ``(x - lo) / (hi - lo)`` (the .cube ``DOMAIN_MIN/MAX``),
* ``table``   — a 1D table per channel over ``[lo, hi]`` (the .cube 1D shaper Resolve writes),
* ``cbrt``    — the cube root of ``x / hi`` (with a linear toe below 2^-12): steps even in
  perceived lightness, as Lab's and Oklab's L, and finer than sRGB's near black, where
  gains and saturation pushes magnify a cell (what the render plan bakes with),
* ``cbrt_hdr``— ``split`` · that cube root on [0, 1], then log2 up to ``hi`` (values above
  white); ``split`` (default 0.75) is the share of the grid below white,
* ``srgb``, ``srgb_hdr`` — the same with the sRGB encoding.

Every shaper first multiplies the input by its per-channel ``gain`` (default 1): a plan
pulls leading exposure/gain operations out of the table into it, so a +4 EV push keeps
most of the grid for [0, 1] (``cbrt_hdr``) instead of spreading it evenly over [0, 16].

Interpolation is tetrahedral (as in ffmpeg's ``lut3d`` and Resolve). On the CPU the
lookup runs in numba kernels (parallel over rows); on other devices, in torch.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Callable

import numba
import numpy as np
import torch

from .color import linear_to_srgb, rgb_to_lab, srgb_to_linear
from .lru import LRU
from .residual import apply_lut_delta as tetra_lookup

__all__ = ["Shaper", "Lut3D", "bake", "apply_lut", "cell_points", "suspect_cells", "apply_lut_u8", "direct_table_u8", "identity_table"]

_SHAPER_TAB = 4096
#: below this the cube-root curve is a line (its slope is infinite at 0)
_CBRT_TOE = 2.0 ** -12
_CBRT_TOE_Y = _CBRT_TOE ** (1.0 / 3.0)


def _cbrt_encode(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] → [0, 1]: cube root with a linear toe below :data:`_CBRT_TOE` (torch)."""
    return torch.where(x < _CBRT_TOE, x * (_CBRT_TOE_Y / _CBRT_TOE), x.clamp_min(_CBRT_TOE) ** (1.0 / 3.0))


def _cbrt_decode(u: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_cbrt_encode` (numpy, float64)."""
    return np.where(u < _CBRT_TOE_Y, u * (_CBRT_TOE / _CBRT_TOE_Y), np.maximum(u, _CBRT_TOE_Y) ** 3)


#: curve name → (encode on torch tensors in [0, 1], decode on numpy arrays)
_CURVES = {"srgb": (linear_to_srgb, srgb_to_linear), "cbrt": (_cbrt_encode, _cbrt_decode)}
SHAPER_KINDS = ("linear", "table", "srgb", "srgb_hdr", "cbrt", "cbrt_hdr")


@dataclass
class Shaper:
    """Input shaping of a :class:`Lut3D` (see the module docstring)."""

    kind: str = "linear"  # one of SHAPER_KINDS
    lo: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    hi: np.ndarray = field(default_factory=lambda: np.ones(3, np.float32))
    table: np.ndarray | None = None  # (K, 3) values in [0, 1] for kind 'table'
    gain: np.ndarray = field(default_factory=lambda: np.ones(3, np.float32))
    split: float = 0.75  # *_hdr kinds: the share of the grid on [0, 1]
    #: :meth:`kernel_table`, made on first use
    _kernel: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in SHAPER_KINDS:
            raise ValueError(f"unknown shaper kind {self.kind!r}; expected one of {', '.join(SHAPER_KINDS)}")
        self.lo = np.broadcast_to(np.asarray(self.lo, np.float32), (3,)).copy()
        self.hi = np.broadcast_to(np.asarray(self.hi, np.float32), (3,)).copy()
        self.gain = np.broadcast_to(np.asarray(self.gain, np.float32), (3,)).copy()
        if self.kind.endswith("_hdr") and not float(self.hi[0]) > 1.0:
            raise ValueError(f"a {self.kind} shaper needs hi > 1, got {float(self.hi[0])}")
        if not 0.0 < self.split < 1.0:
            raise ValueError(f"shaper split must be within (0, 1), got {self.split}")

    @property
    def has_gain(self) -> bool:
        return bool(np.any(self.gain != 1.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map input values (channel axis -3) to table coordinates in [0, 1] (torch)."""
        shp = [1] * x.dim()
        shp[-3] = 3
        if self.has_gain:
            x = x * torch.as_tensor(self.gain, dtype=x.dtype, device=x.device).view(shp)
        lo = torch.as_tensor(self.lo, dtype=x.dtype, device=x.device).view(shp)
        hi = torch.as_tensor(self.hi, dtype=x.dtype, device=x.device).view(shp)
        if self.kind == "linear":
            return ((x - lo) / (hi - lo)).clamp(0, 1)
        if self.kind in _CURVES:
            return _CURVES[self.kind][0]((x / hi).clamp(0, 1))
        if self.kind.endswith("_hdr"):
            sp = self.split
            low = sp * _CURVES[self.kind[:-4]][0](x.clamp(0, 1))
            high = sp + (1.0 - sp) * torch.log2(x.clamp(1, None)) / torch.log2(hi)
            return torch.where(x <= 1, low, high).clamp(0, 1)
        if self.kind == "table":
            t = (x - lo) / (hi - lo)
            k = self.table.shape[0]
            tab = torch.as_tensor(self.table, dtype=x.dtype, device=x.device)  # (K,3)
            pos = t.clamp(0, 1) * (k - 1)
            i0 = pos.floor().clamp(0, k - 2).long()
            f = pos - i0
            chans = []
            for c in range(3):
                tc = tab[:, c]
                a = tc[i0.select(-3, c)]
                b = tc[i0.select(-3, c) + 1]
                chans.append(a + (b - a) * f.select(-3, c))
            return torch.stack(chans, -3).clamp(0, 1)
        raise ValueError(f"unknown shaper kind {self.kind!r}")

    def inverse_grid(self, n: int) -> np.ndarray:
        """Input values (n, 3) float64 whose shaped coordinates are i/(n-1): the
        sample points a baked table is evaluated at (every kind but 'table')."""
        return self.inverse(np.linspace(0.0, 1.0, n)[:, None].repeat(3, 1))

    def inverse(self, u: np.ndarray) -> np.ndarray:
        """Input values (K, 3) float64 whose shaped coordinates are ``u`` (K, 3) in [0, 1]
        (every kind but 'table')."""
        u = np.asarray(u, np.float64)
        lo, hi = self.lo.astype(np.float64), self.hi.astype(np.float64)
        if self.kind == "linear":
            x = lo[None] + u * (hi - lo)[None]
        elif self.kind in _CURVES:
            x = _CURVES[self.kind][1](u) * hi[None]
        elif self.kind.endswith("_hdr"):
            sp = self.split
            low = _CURVES[self.kind[:-4]][1](np.clip(u / sp, 0, 1))
            high = 2.0 ** ((u - sp) / (1.0 - sp) * np.log2(hi[0]))
            x = np.where(u <= sp, low, high)
        else:
            raise ValueError(f"cannot bake through a {self.kind!r} shaper")
        return x / self.gain.astype(np.float64)[None]

    def kernel_table(self) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(mode, tab (K,3), lo, hi, gain) for the numba kernel, which multiplies by
        ``gain`` first: mode 0 = table over [lo, hi], mode 1 = *_hdr (table over [0, 1]
        scaled by ``split``, log2 above 1; ``lo[0]`` carries ``split``)."""
        if self._kernel is not None:
            return self._kernel
        if self.kind == "table":
            res = 0, np.ascontiguousarray(self.table, np.float32), self.lo, self.hi
        elif self.kind == "linear":
            res = 0, np.stack([np.linspace(0, 1, 2)] * 3, 1).astype(np.float32), self.lo, self.hi
        else:
            x = torch.linspace(0, 1, _SHAPER_TAB, dtype=torch.float64)
            hdr = self.kind.endswith("_hdr")
            t = (_CURVES[self.kind[:-4] if hdr else self.kind][0](x) * (self.split if hdr else 1.0)).numpy()
            lo = np.full(3, self.split if hdr else 0.0, np.float32)
            res = int(hdr), np.stack([t.astype(np.float32)] * 3, 1), lo, self.hi
        self._kernel = (*res, self.gain)
        return self._kernel


@dataclass
class Lut3D:
    """A 3D colour lookup table: ``table`` (N, N, N, 3) float32 indexed [r, g, b], values
    unclamped; ``shaper`` maps inputs to table coordinates; ``title`` for .cube files."""

    table: np.ndarray
    shaper: Shaper = field(default_factory=Shaper)
    title: str = ""
    #: the integer kernel's tables by (max code, encoded, linear scale): one per RAW scale
    #: over a batch, so a few (:func:`apply_lut_u8`)
    _int_tables: LRU = field(default_factory=lambda: LRU(4), init=False, repr=False, compare=False)
    #: 8-bit pixels looked up so far, by ``encoded`` (when to expand to :func:`direct_table_u8`)
    _u8_pixels: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def size(self) -> int:
        return int(self.table.shape[0])

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        return apply_lut(img, self)


def identity_table(n: int) -> np.ndarray:
    """The identity (N, N, N, 3) table on [0, 1]."""
    u = np.linspace(0.0, 1.0, n, dtype=np.float32)
    r, g, b = np.meshgrid(u, u, u, indexing="ij")
    return np.stack([r, g, b], -1)


def bake(fn: Callable[[torch.Tensor], torch.Tensor], size: int = 65, shaper: Shaper | None = None,
         out_fn: Callable[[torch.Tensor], torch.Tensor] | None = None, title: str = "") -> Lut3D:
    """Bake ``fn`` — a colour function on ``(1,3,H,W)`` float32 tensors — into a LUT.

    The table is evaluated at the points whose shaped coordinates fall on the grid, so
    the result agrees with ``fn`` exactly at the nodes. ``out_fn`` is applied to the
    result before storing (e.g. an output encoding)."""
    shaper = shaper or Shaper("cbrt")
    grid = shaper.inverse_grid(size)  # (N, 3)
    r, g, b = np.meshgrid(grid[:, 0], grid[:, 1], grid[:, 2], indexing="ij")
    pts = torch.from_numpy(np.stack([r, g, b], 0).reshape(1, 3, size * size, size).astype(np.float32))
    with torch.no_grad():
        out = fn(pts)
        if out_fn is not None:
            out = out_fn(out)
    table = out[0].reshape(3, size, size, size).permute(1, 2, 3, 0).contiguous().numpy().astype(np.float32)
    return Lut3D(table, shaper, title)


# ----------------------------------------------------------------------------- kernels
@numba.njit(inline="always", fastmath=True)
def _tetra(t, i, j, k, fr, fg, fb, c):
    c000 = t[i, j, k, c]
    c111 = t[i + 1, j + 1, k + 1, c]
    if fr > fg:
        if fg > fb:
            return (1 - fr) * c000 + (fr - fg) * t[i + 1, j, k, c] + (fg - fb) * t[i + 1, j + 1, k, c] + fb * c111
        elif fr > fb:
            return (1 - fr) * c000 + (fr - fb) * t[i + 1, j, k, c] + (fb - fg) * t[i + 1, j, k + 1, c] + fg * c111
        else:
            return (1 - fb) * c000 + (fb - fr) * t[i, j, k + 1, c] + (fr - fg) * t[i + 1, j, k + 1, c] + fg * c111
    else:
        if fb > fg:
            return (1 - fb) * c000 + (fb - fg) * t[i, j, k + 1, c] + (fg - fr) * t[i, j + 1, k + 1, c] + fr * c111
        elif fb > fr:
            return (1 - fg) * c000 + (fg - fb) * t[i, j + 1, k, c] + (fb - fr) * t[i, j + 1, k + 1, c] + fr * c111
        else:
            return (1 - fg) * c000 + (fg - fr) * t[i, j + 1, k, c] + (fr - fb) * t[i + 1, j + 1, k, c] + fb * c111


@numba.njit(parallel=True, fastmath=True, cache=True, nogil=True, error_model="numpy", boundscheck=False)
def _apply_int_hwc(img, ir, ig, ib, offr, offg, offb, frr, frg, frb, flat, n, out, vmax):
    """Integer HWC image (uint8/uint16) → ``out`` of the same dtype.

    ``ir, ig, ib``: positions of R, G, B in the last axis (BGR = 2, 1, 0). ``off*`` (V,)
    int32: per code value the flat-table offset of its cell (index × stride), ``fr*``
    (V,) float32 the fraction in the cell. ``flat`` ((N³)·4,) float32: the table with
    strides (N², N, 1), 4 floats per node, already scaled to output codes with +0.5 so
    truncation rounds. ``vmax`` clips the result (max code + 0.49)."""
    h, w = img.shape[0], img.shape[1]
    nn = n * n
    d111 = nn + n + 1
    for y in numba.prange(h):
        for x in range(w):
            vr = img[y, x, ir]
            vg = img[y, x, ig]
            vb = img[y, x, ib]
            base = offr[vr] + offg[vg] + offb[vb]
            fr = frr[vr]
            fg = frg[vg]
            fb = frb[vb]
            if fr > fg:
                if fg > fb:
                    d1 = nn; d2 = nn + n; w0 = 1 - fr; w1 = fr - fg; w2 = fg - fb; w3 = fb  # noqa: E702
                elif fr > fb:
                    d1 = nn; d2 = nn + 1; w0 = 1 - fr; w1 = fr - fb; w2 = fb - fg; w3 = fg  # noqa: E702
                else:
                    d1 = 1; d2 = nn + 1; w0 = 1 - fb; w1 = fb - fr; w2 = fr - fg; w3 = fg  # noqa: E702
            else:
                if fb > fg:
                    d1 = 1; d2 = n + 1; w0 = 1 - fb; w1 = fb - fg; w2 = fg - fr; w3 = fr  # noqa: E702
                elif fb > fr:
                    d1 = n; d2 = n + 1; w0 = 1 - fg; w1 = fg - fb; w2 = fb - fr; w3 = fr  # noqa: E702
                else:
                    d1 = n; d2 = nn + n; w0 = 1 - fg; w1 = fg - fr; w2 = fr - fb; w3 = fb  # noqa: E702
            b0 = base * 4
            b1 = (base + d1) * 4
            b2 = (base + d2) * 4
            b3 = (base + d111) * 4
            r = w0 * flat[b0] + w1 * flat[b1] + w2 * flat[b2] + w3 * flat[b3]
            g = w0 * flat[b0 + 1] + w1 * flat[b1 + 1] + w2 * flat[b2 + 1] + w3 * flat[b3 + 1]
            b = w0 * flat[b0 + 2] + w1 * flat[b1 + 2] + w2 * flat[b2 + 2] + w3 * flat[b3 + 2]
            out[y, x, ir] = min(max(r, 0.0), vmax)
            out[y, x, ig] = min(max(g, 0.0), vmax)
            out[y, x, ib] = min(max(b, 0.0), vmax)


@numba.njit(parallel=True, fastmath=True, cache=True, nogil=True)
def _apply_f32_planar(img, mode, tab, lo, hi, gain, table, out, cells):
    """Float planar (3, H, W) image through gain, shaper and table into ``out`` (3, H, W).
    ``cells`` (H, W) int32, or (0, 0) when not wanted: each pixel's table cell,
    ``(i·(N-1) + j)·(N-1) + k`` (see :func:`cell_points`)."""
    h, w = img.shape[1], img.shape[2]
    n1 = table.shape[0] - 1
    want_cells = cells.shape[0] > 0
    k1 = tab.shape[0] - 1
    loghi = math.log2(hi[0]) if mode == 1 else 1.0
    for y in numba.prange(h):
        co = np.empty(3, np.float32)
        for x in range(w):
            for c in range(3):
                v = img[c, y, x] * gain[c]
                if mode == 1 and v > 1.0:
                    s = lo[0] + (1.0 - lo[0]) * math.log2(v) / loghi
                    if s > 1.0:
                        s = 1.0
                else:
                    # mode 1: the table covers [0, 1]; hi is the log branch's top
                    t = v if mode == 1 else (v - lo[c]) / (hi[c] - lo[c])
                    if not t > 0.0:  # also catches NaN
                        t = 0.0
                    elif t > 1.0:
                        t = 1.0
                    p = t * k1
                    i0 = int(p)
                    if i0 >= k1:
                        i0 = k1 - 1
                    f = p - i0
                    s = tab[i0, c] + (tab[i0 + 1, c] - tab[i0, c]) * f
                if not s > 0.0:
                    s = 0.0
                elif s > 1.0:
                    s = 1.0
                co[c] = s * n1
            i = min(int(co[0]), n1 - 1)
            j = min(int(co[1]), n1 - 1)
            k = min(int(co[2]), n1 - 1)
            fr, fg, fb = co[0] - i, co[1] - j, co[2] - k
            for c in range(3):
                out[c, y, x] = _tetra(table, i, j, k, fr, fg, fb, c)
            if want_cells:
                cells[y, x] = (i * n1 + j) * n1 + k


def apply_lut(img: torch.Tensor, lut: Lut3D, use_kernel: bool = True,
              cells: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Apply ``lut`` to ``img`` (B,3,H,W) float (any device). Returns float of the same
    shape, dtype and device; with ``cells=True`` also each pixel's table cell, (B,H,W)
    int32 on the same device (``(i·(N-1) + j)·(N-1) + k``, see :func:`cell_points`).
    CPU float32 goes through the numba kernel."""
    if use_kernel and img.device.type == "cpu":
        x = img.detach().to(torch.float32).contiguous()
        out = torch.empty_like(x)
        b, _, h, w = x.shape
        cl = torch.empty((b, h, w) if cells else (b, 0, 0), dtype=torch.int32)
        mode, tab, lo, hi, gain = lut.shaper.kernel_table()
        table = np.ascontiguousarray(lut.table, np.float32)
        xn, on, cn = x.numpy(), out.numpy(), cl.numpy()
        for bi in range(b):
            _apply_f32_planar(xn[bi], mode, tab, lo.astype(np.float32), hi.astype(np.float32),
                              gain.astype(np.float32), table, on[bi], cn[bi])
        return (out.to(img.dtype), cl) if cells else out.to(img.dtype)
    table = torch.as_tensor(lut.table, dtype=img.dtype if img.dtype != torch.float16 else torch.float32,
                            device=img.device)
    coords = lut.shaper.forward(img.to(table.dtype))
    out = tetra_lookup(table[None], coords).to(img.dtype)
    if not cells:
        return out
    n1 = lut.size - 1
    i = (coords * n1).floor().clamp(0, n1 - 1).to(torch.int32)
    return out, (i[:, 0] * n1 + i[:, 1]) * n1 + i[:, 2]


#: node steps along which :func:`suspect_cells` takes second differences: the axes, the
#: face diagonals and the space diagonals (one of each ± pair)
_STEPS = [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (1, -1, 0), (1, 0, 1), (1, 0, -1), (0, 1, 1),
          (0, 1, -1), (1, 1, 1), (1, 1, -1), (1, -1, 1), (-1, 1, 1)]


def suspect_cells(lut: Lut3D, tol: float) -> np.ndarray:
    """Cells (N-1)³ bool where the table may interpolate worse than ``tol`` ΔE.

    An a-posteriori estimate from the table alone: linear interpolation between nodes
    ``h`` apart is off by about an eighth of the second difference ``f(x-h) - 2f(x) +
    f(x+h)``; it is taken in CIELab (values above white included) along 13 directions at
    every interior node, and each cell gets the worst estimate of its eight corners. The
    estimate is taken with a safety factor of 2 (a cell is suspect from ``tol/2``): it
    only selects the cells :func:`cell_points` then probes against the function."""
    lab = rgb_to_lab(torch.from_numpy(np.ascontiguousarray(lut.table, np.float32)), dim=-1).numpy()
    n = lab.shape[0]
    worst = np.zeros((n, n, n), np.float32)
    core = (slice(1, n - 1),) * 3
    for d in _STEPS:
        lo = tuple(slice(1 - k, n - 1 - k) for k in d)
        hi = tuple(slice(1 + k, n - 1 + k) for k in d)
        d2 = lab[lo] - 2.0 * lab[core] + lab[hi]
        np.maximum(worst[core], np.sqrt((d2 * d2).sum(-1)) / 8.0, out=worst[core])
    worst = np.nan_to_num(worst, nan=np.inf)
    # edge nodes have no second difference of their own: take their inner neighbour's
    worst[0], worst[-1] = worst[1], worst[-2]
    worst[:, 0], worst[:, -1] = worst[:, 1], worst[:, -2]
    worst[:, :, 0], worst[:, :, -1] = worst[:, :, 1], worst[:, :, -2]
    cell = worst[:-1, :-1, :-1]
    for dr in (0, 1):
        for dg in (0, 1):
            for db in (0, 1):
                if dr or dg or db:
                    cell = np.maximum(cell, worst[dr:n - 1 + dr, dg:n - 1 + dg, db:n - 1 + db])
    return (cell > tol / 2.0).reshape(-1)


#: probe points of a cell, in cell units: the centroids of the six tetrahedra the
#: interpolation splits it into (its centre lies on the diagonal all six share, where a
#: hue-selective function often is smooth while it bends across the cell)
_TETRA_CENTROIDS = np.array([[.75, .5, .25], [.75, .25, .5], [.5, .25, .75],
                             [.25, .5, .75], [.25, .75, .5], [.5, .75, .25]])


def cell_points(lut: Lut3D, cells: np.ndarray) -> np.ndarray:
    """Input values (6·K, 3) float64 at which to check cells ``cells`` (K,) of ``lut``
    (flat indices ``(i·(N-1) + j)·(N-1) + k``): the six tetrahedra's centroids of every
    cell, grouped by centroid (all cells' first centroid, then the second, ...)."""
    n1 = lut.size - 1
    cells = np.asarray(cells, np.int64)
    ijk = np.stack([cells // (n1 * n1), (cells // n1) % n1, cells % n1], 1).astype(np.float64)
    u = np.concatenate([(ijk + c) / n1 for c in _TETRA_CENTROIDS], 0)
    return lut.shaper.inverse(u)


def _int_tables(lut: Lut3D, maxval: int, encoded: bool = False, linear_scale: float | None = None) -> tuple:
    """Kernel tables for integer input: per-channel cell offsets and fractions for every
    code value 0..maxval, and the flat, output-scaled table. ``encoded``: codes are
    sRGB-encoded and the table maps linear light, so codes are decoded before the shaper
    and table values sRGB-encoded after it. ``linear_scale``: codes are linear light
    (``code / maxval * linear_scale``) and the output is sRGB-encoded."""
    v = torch.arange(maxval + 1, dtype=torch.float64) / maxval
    if linear_scale is not None:
        v = v * linear_scale
        encoded = True  # the output side: linear table values → sRGB codes
    elif encoded:
        v = srgb_to_linear(v)
    coords = lut.shaper.forward(v.view(1, maxval + 1, 1).expand(3, maxval + 1, 1).contiguous())
    pos = coords[:, :, 0].T.numpy() * (lut.size - 1)  # (V,3)
    idx = np.clip(np.floor(pos), 0, lut.size - 2).astype(np.int64)
    n = lut.size
    off = (idx * np.array([n * n, n, 1])[None]).astype(np.int32)
    frac = (pos - idx).astype(np.float32)
    flat = np.zeros((n ** 3, 4), np.float32)
    tab = lut.table.reshape(-1, 3)
    if encoded:
        tab = linear_to_srgb(torch.from_numpy(tab.astype(np.float64)).clamp(0, 1)).numpy()
    flat[:, :3] = tab * maxval + 0.5
    return ([np.ascontiguousarray(off[:, c]) for c in range(3)]
            + [np.ascontiguousarray(frac[:, c]) for c in range(3)] + [flat.ravel()])


def apply_lut_u8(img: np.ndarray, lut: Lut3D, out: np.ndarray | None = None, bgr: bool = False,
                 encoded: bool = False, linear_scale: float | None = None) -> np.ndarray:
    """Apply ``lut`` to an integer ``H×W×3`` array (uint8 or uint16; RGB, or BGR with
    ``bgr=True``). Inputs are read as code/max in [0, 1] through the shaper; table values
    are taken as [0, 1] output codes (rounded, clipped). With ``encoded=True`` the codes
    are sRGB-encoded light and the LUT works in linear light (a render plan's stage): the
    codes are decoded first and the output encoded, all folded into the kernel's tables.
    With ``linear_scale`` the codes are linear light, ``code / max * linear_scale`` (a
    camera RAW's 16-bit development), and the output is sRGB-encoded likewise.
    Returns the same dtype. ``out`` may be ``img`` itself (in place). Once a LUT has
    been applied to :data:`DIRECT_AFTER_PIXELS` 8-bit pixels, 8-bit images of at least
    :data:`DIRECT_MIN_PIXELS` go through :func:`direct_table_u8` (the same result, about
    twice as fast)."""
    if img.dtype not in (np.uint8, np.uint16) or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"expected an H×W×3 uint8/uint16 array, got {img.dtype} {img.shape}")
    maxval = 255 if img.dtype == np.uint8 else 65535
    order = (2, 1, 0) if bgr else (0, 1, 2)
    npix = img.shape[0] * img.shape[1]
    if maxval == 255 and npix >= DIRECT_MIN_PIXELS and linear_scale is None:
        used = lut._u8_pixels.get(encoded, 0) + npix
        lut._u8_pixels[encoded] = used
        use = used >= DIRECT_AFTER_PIXELS or _has_direct(lut, encoded)
    else:
        use = False
    if use:
        table = direct_table_u8(lut, encoded)
        if out is None:
            out = np.empty_like(img)
        _lookup_direct(np.ascontiguousarray(img), table, *order, out)
        return out
    if out is None:
        out = np.empty_like(img)
    return _apply_int(np.ascontiguousarray(img), lut, out, order, encoded, linear_scale)


def _apply_int(img: np.ndarray, lut: Lut3D, out: np.ndarray, order: tuple[int, int, int],
               encoded: bool, linear_scale: float | None = None) -> np.ndarray:
    """The tetrahedral integer kernel on a contiguous uint8/uint16 HWC array."""
    maxval = 255 if img.dtype == np.uint8 else 65535
    tables = lut._int_tables.get_or_create((maxval, encoded, linear_scale),
                                           lambda: _int_tables(lut, maxval, encoded, linear_scale))
    _apply_int_hwc(img, *order, *tables, lut.size, out, np.float32(maxval + 0.49))
    return out


@numba.njit(parallel=True, fastmath=True, cache=True, nogil=True, boundscheck=False)
def _lookup_direct(img, table, ir, ig, ib, out):
    """uint8 HWC ``img`` → ``out[y, x] = table[(r << 16) | (g << 8) | b]`` ((2^24, 3) uint8)."""
    for y in numba.prange(img.shape[0]):
        for x in range(img.shape[1]):
            i = (np.int32(img[y, x, ir]) << 16) | (np.int32(img[y, x, ig]) << 8) | np.int32(img[y, x, ib])
            out[y, x, ir] = table[i, 0]
            out[y, x, ig] = table[i, 1]
            out[y, x, ib] = table[i, 2]


#: the last two expanded 8-bit tables: (id of the LUT, encoded flag) → (the LUT, table); the
#: entry holds the LUT, so its id names no other LUT while the entry lives
_DIRECT: LRU = LRU(2)
#: a LUT gets an expanded 256³ table once it has been applied to this many 8-bit pixels
#: (building it costs about what the tetrahedral kernel spends on 2^24 photo pixels, so
#: it pays off for batches, re-exports and video frames, not for one photo) ...
DIRECT_AFTER_PIXELS = 1 << 25
#: ... and images of at least this many pixels then go through it
DIRECT_MIN_PIXELS = 1 << 20


def _has_direct(lut: Lut3D, encoded: bool) -> bool:
    return (id(lut), encoded) in _DIRECT


def direct_table_u8(lut: Lut3D, encoded: bool = False) -> np.ndarray:
    """The LUT expanded to one entry per 8-bit RGB colour: (2^24, 3) uint8 (48 MiB), index
    ``(r << 16) | (g << 8) | b``. Filled by the tetrahedral integer kernel itself, so a
    lookup is bit-identical to :func:`apply_lut_u8`. The last two tables are kept."""
    held = _DIRECT.get((id(lut), encoded))
    if held is not None:
        return held[1]
    c = np.arange(1 << 24, dtype=np.uint32)
    allc = np.empty((4096, 4096, 3), np.uint8)
    flat = allc.reshape(-1, 3)
    flat[:, 0], flat[:, 1], flat[:, 2] = c >> 16, (c >> 8) & 255, c & 255
    del c
    table = _apply_int(allc, lut, allc, (0, 1, 2), encoded).reshape(-1, 3)
    _DIRECT.put((id(lut), encoded), (lut, table))   # built outside the cache's lock: it takes a while
    return table


# ----------------------------------------------------------------------------- 1D LUTs, file loading
@dataclass
class Lut1D:
    """A per-channel 1D lookup table: ``table`` (K, 3) float32, unclamped output values at
    K evenly spaced inputs over ``[lo, hi]`` per channel (the .cube ``DOMAIN_MIN/MAX``).
    :meth:`apply` interpolates linearly; inputs outside the domain are clamped to it."""

    table: np.ndarray
    lo: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    hi: np.ndarray = field(default_factory=lambda: np.ones(3, np.float32))
    title: str = ""

    def __post_init__(self) -> None:
        self.table = np.ascontiguousarray(np.asarray(self.table, np.float32))
        if self.table.ndim != 2 or self.table.shape[1] != 3 or self.table.shape[0] < 2:
            raise ValueError(f"Lut1D table must be (K>=2, 3), got {self.table.shape}")
        self.lo = np.broadcast_to(np.asarray(self.lo, np.float32), (3,)).copy()
        self.hi = np.broadcast_to(np.asarray(self.hi, np.float32), (3,)).copy()
        if not np.all(self.hi > self.lo):
            raise ValueError(f"Lut1D domain must have hi > lo, got {self.lo} .. {self.hi}")

    @property
    def size(self) -> int:
        return int(self.table.shape[0])

    def apply(self, img: torch.Tensor) -> torch.Tensor:
        """``img`` with channel axis -3 (e.g. (B,3,H,W)), any float dtype and device."""
        dt = torch.float32 if img.dtype in (torch.float16, torch.bfloat16) else img.dtype
        x = img.to(dt)
        shp = [1] * x.dim()
        shp[-3] = 3
        lo = torch.as_tensor(self.lo, dtype=dt, device=x.device).view(shp)
        hi = torch.as_tensor(self.hi, dtype=dt, device=x.device).view(shp)
        tab = torch.as_tensor(self.table, dtype=dt, device=x.device)
        k = tab.shape[0]
        pos = ((x - lo) / (hi - lo)).nan_to_num(0.0).clamp(0, 1) * (k - 1)
        i0 = pos.floor().clamp(0, k - 2)
        f = pos - i0
        i0 = i0.long()
        chans = []
        for c in range(3):
            tc = tab[:, c]
            ic = i0.select(-3, c)
            a, b = tc[ic], tc[ic + 1]
            chans.append(a + (b - a) * f.select(-3, c))
        return torch.stack(chans, -3).to(img.dtype)

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        return self.apply(img)


_LUT_LOADER: Callable[[str], "Lut3D | Lut1D"] | None = None
#: loaded LUT files by (absolute path, modification time, size)
_LUT_CACHE: "LRU[tuple[str, int, int], Lut3D | Lut1D]" = LRU(8)


def set_lut_loader(fn: Callable[[str], "Lut3D | Lut1D"] | None) -> None:
    """Register the function that reads a LUT file into a :class:`Lut3D` or :class:`Lut1D`
    (``kolors.io.luts`` registers its .cube reader when imported; core cannot import io).
    Clears the cache."""
    global _LUT_LOADER
    _LUT_LOADER = fn
    _LUT_CACHE.clear()


def get_lut_loader() -> Callable[[str], "Lut3D | Lut1D"] | None:
    """The registered loader (None if none)."""
    return _LUT_LOADER


def load_lut(path: str) -> "Lut3D | Lut1D":
    """Load a LUT file through the registered loader, cached (LRU, a few entries) by
    (absolute path, modification time, size), so an edited file is read again.

    Raises ``ValueError`` naming the file when it cannot be found (core may not import
    ``kolors.errors``; callers may re-raise it as ``InputError``), whatever the loader
    raises for a malformed file, and ``RuntimeError`` when no loader is registered
    (import ``kolors.io.luts``)."""
    p = os.path.abspath(os.fspath(path))
    try:
        st = os.stat(p)
    except OSError as e:
        raise ValueError(f"LUT file {path}: cannot be read ({e.strerror or e})") from None
    key = (p, st.st_mtime_ns, st.st_size)
    hit = _LUT_CACHE.get(key)
    if hit is not None:
        return hit
    if _LUT_LOADER is None:
        raise RuntimeError("no LUT loader registered: import kolors.io.luts (it calls set_lut_loader)")
    lut = _LUT_LOADER(p)
    if not isinstance(lut, (Lut3D, Lut1D)):
        raise TypeError(f"LUT loader returned {type(lut).__name__} for {path}, expected Lut3D or Lut1D")
    for k in _LUT_CACHE.keys():
        if k[0] == p:
            _LUT_CACHE.pop(k)  # older versions of the same file
    return _LUT_CACHE.put(key, lut)


__all__ += ["Lut1D", "set_lut_loader", "get_lut_loader", "load_lut"]
