"""Rendering numpy images through a :class:`~kolors.core.pipeline.Plan`.

Sources and results are ``H×W×3`` arrays, RGB, sRGB-encoded, dtype uint8, uint16 or
float32 (float32 = sRGB-encoded values, 1.0 = white, may exceed 1), or linear float32
when ``linear=True`` (camera RAW). Whole pointwise plans on integer images go through
one integer LUT kernel; everything else goes tile by tile with the plan's halo, so
memory stays bounded by the tile size, on the device of choice. A CUDA out-of-memory
error halves the tile size and retries; below ``MIN_TILE`` it falls back to the CPU and
reports that through ``on_message``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from ..core import color
from ..core.lut import apply_lut_u8
from ..core.params import RenderContext
from ..core.pipeline import Plan
from ..core.tiling import tiles
# Cancelled: raised when a render's ``should_cancel`` says so; the one of kolors.errors, also
# importable from here for API users
from ..errors import Cancelled
from .device import is_oom

log = logging.getLogger("kolors.render")

MIN_TILE = 64

__all__ = ["RenderOptions", "render_array", "to_linear", "from_linear", "thumb_linear", "Cancelled"]


@dataclass
class RenderOptions:
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    tile_size: int = 512
    half_precision: bool = False
    scale: float = 1.0
    full_size: tuple[int, int] | None = None   # of the full-resolution photo (default: this array)
    offset: tuple[int, int] = (0, 0)
    linear: bool = False                       # the source holds linear light (RAW)
    on_message: Callable[[str], None] | None = None
    on_progress: Callable[[float], None] | None = None
    should_cancel: Callable[[], bool] | None = None
    fast_path: bool = True                     # integer LUT kernel for pointwise plans


_DECODE_TABLES: dict[int, torch.Tensor] = {}


def _decode_table(maxval: int) -> torch.Tensor:
    if maxval not in _DECODE_TABLES:
        v = torch.arange(maxval + 1, dtype=torch.float64) / maxval
        _DECODE_TABLES[maxval] = color.srgb_to_linear(v).to(torch.float32)
    return _DECODE_TABLES[maxval]


def to_linear(arr: np.ndarray, linear: bool = False) -> torch.Tensor:
    """``H×W×3`` array (uint8/uint16 codes or float32 sRGB-encoded, or linear float when
    ``linear``) → ``(1,3,H,W)`` float32 linear tensor on the CPU."""
    if arr.dtype == np.uint8 or arr.dtype == np.uint16:
        tab = _decode_table(255 if arr.dtype == np.uint8 else 65535)
        idx = torch.from_numpy(np.ascontiguousarray(arr).astype(np.int64, copy=False))
        out = tab[idx]
    else:
        t = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))
        out = t if linear else color.srgb_to_linear(t)
    return out.permute(2, 0, 1).unsqueeze(0).contiguous()


def thumb_linear(arr: np.ndarray, size: int = 384, linear: bool = False) -> torch.Tensor:
    """A small (1,3,h,w) linear thumbnail (long side ≤ ``size``) of an ``H×W×3`` array,
    averaged in linear light, without a full-size float copy of the photo."""
    import cv2

    h, w = arr.shape[:2]
    s = size / max(h, w)
    if s < 1:
        step = max(1, int(1 / s) // 2)  # decimate first, then area-average in linear light
        small = to_linear(arr[::step, ::step], linear)
        hh, ww = max(1, round(h * s)), max(1, round(w * s))
        res = cv2.resize(small[0].permute(1, 2, 0).numpy(), (ww, hh), interpolation=cv2.INTER_AREA)
        return torch.from_numpy(res).permute(2, 0, 1).unsqueeze(0).contiguous()
    return to_linear(arr, linear)


def from_linear(t: torch.Tensor, dtype: np.dtype) -> np.ndarray:
    """``(1,3,H,W)`` linear tensor → ``H×W×3`` array of ``dtype``, sRGB-encoded (integer
    codes rounded and clipped; float32 unclipped)."""
    t = color.linear_to_srgb(t[0].detach().to("cpu", torch.float32)).permute(1, 2, 0)
    if dtype == np.uint8 or dtype == np.uint16:
        m = 255.0 if dtype == np.uint8 else 65535.0
        return (t * m + 0.5).clamp_(0, m).to(torch.int32).numpy().astype(dtype)
    return t.contiguous().numpy().astype(np.float32, copy=False)


def render_array(src: np.ndarray, plan: Plan, out_dtype: np.dtype | None = None,
                 opts: RenderOptions | None = None) -> np.ndarray:
    """Render ``src`` (H×W×3, see module docstring) through ``plan`` into a new array of
    ``out_dtype`` (default: the source dtype)."""
    opts = opts or RenderOptions()
    out_dtype = np.dtype(out_dtype or src.dtype)
    if src.ndim != 3 or src.shape[2] != 3:
        raise ValueError(f"expected an H×W×3 image, got shape {src.shape}")
    h, w = src.shape[:2]
    if plan.is_identity and out_dtype == src.dtype and not opts.linear:
        return src.copy()
    if (opts.fast_path and plan.bake and plan.pointwise_only and src.dtype == out_dtype
            and src.dtype in (np.uint8, np.uint16) and not opts.linear):
        # the plan's own linear-light stage table, with the sRGB decode and encode folded
        # into the integer kernel's per-code tables: as accurate as the float path (a
        # table from codes to codes is coarser where it matters: ΔE up to 8 at 33³, 3.3
        # at 65³ on strong random settings, against 2.4 here; bench/lut_accuracy.py)
        out = apply_lut_u8(src, plan.stages[0].lut, encoded=True)
        if opts.on_progress:
            opts.on_progress(1.0)
        return out
    out = np.empty((h, w, 3), out_dtype)
    device, tile = opts.device, opts.tile_size
    while True:
        try:
            _render_tiles(src, plan, out, opts, device, tile)
            return out
        except Cancelled:
            raise
        except Exception as e:  # noqa: BLE001 - only OOM is handled, the rest re-raised
            if device.type != "cuda" or not is_oom(e):
                raise
            if device.type == "cuda":
                torch.cuda.empty_cache()
            if tile // 2 >= MIN_TILE:
                tile //= 2
                _say(opts, f"CUDA out of memory: retrying with tile size {tile}")
            else:
                _say(opts, "CUDA out of memory at the smallest tile size: falling back to the CPU")
                device = torch.device("cpu")


def _say(opts: RenderOptions, msg: str) -> None:
    log.warning(msg)
    if opts.on_message:
        opts.on_message(msg)


def _to_device(t: torch.Tensor, device: torch.device, half: bool) -> torch.Tensor:
    t = t.to(device, non_blocking=True)
    if half and device.type == "cuda":
        t = t.half()
    return t


def _render_tiles(src: np.ndarray, plan: Plan, out: np.ndarray, opts: RenderOptions,
                  device: torch.device, tile_size: int) -> None:
    h, w = src.shape[:2]
    full = opts.full_size or (h, w)
    ctx0 = RenderContext(full_size=full, offset=opts.offset, scale=opts.scale)
    halo = plan.halo(ctx0)
    all_tiles = list(tiles(h, w, tile_size, halo))
    with torch.inference_mode():
        for n, t in enumerate(all_tiles):
            if opts.should_cancel and opts.should_cancel():
                raise Cancelled("render cancelled")
            y0, y1, x0, x1 = t.outer
            x = _to_device(to_linear(src[y0:y1, x0:x1], opts.linear), device, opts.half_precision)
            ctx = RenderContext(full_size=full, offset=(opts.offset[0] + y0, opts.offset[1] + x0),
                                scale=opts.scale, cache=ctx0.cache)
            y = plan.run(x, ctx)
            cy0, cy1, cx0, cx1 = t.crop
            cy = y[..., cy0:cy1, cx0:cx1]
            Y0, Y1, X0, X1 = t.core
            out[Y0:Y1, X0:X1] = from_linear(cy.float(), out.dtype)
            if opts.on_progress:
                opts.on_progress((n + 1) / len(all_tiles))
