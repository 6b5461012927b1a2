"""An open photo and its edit: what the desktop app (and any interactive front end) drives.

:class:`~kolors.engine.edit.Edit` (the non-destructive edit of one photo, re-exported
here) lives in :mod:`kolors.engine.edit` with the rule for loading it from a sidecar.

:class:`PhotoSession` holds a decoded photo and renders it for the screen:

- a *proxy*: one cached, screen-sized copy of the photo (long side ``max_side``); previews
  at "fit" are renders of the proxy at its scale (spatial operations scale their radii);
- :meth:`PhotoSession.render_preview`: coarse (a 17³ table at half the proxy's size: a
  few tens of milliseconds) or fine (the same 65³ plan as the export, in bands so the
  viewer can paint them as they come);
- :meth:`PhotoSession.render_region`: a rectangle of the full-resolution photo (the 100 %
  view renders only the visible tiles), with the halo spatial operations need;
- :meth:`PhotoSession.original`: the *unedited render* of the same proxy (identity
  settings through the same path), so an unedited photo shows no difference;
- :meth:`PhotoSession.export`: the full-resolution file, through the same
  :meth:`Enhancer.export_graded` as ``kolors enhance``.

Arrays are ``H×W×3``; previews are uint8 RGB, sRGB-encoded. Nothing here knows Qt.
"""
from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch

from ..core import registry
from ..core.lru import LRU
from ..core.params import RenderContext
from ..core.pipeline import Plan
from . import tasks as T
from .edit import Edit, photo_defaults
from ..core.geometry import Framing
from .framing import frame_array
from .render import RenderOptions, render_array, thumb_linear, to_linear

__all__ = ["Edit", "PhotoSession", "COARSE_LUT", "region_for_tiles"]

#: table size of the coarse preview (4,913 points: a few times cheaper to bake than 33³; the fine
#: preview and exports use the plan's 65³)
COARSE_LUT = 17


def region_for_tiles(x0: int, y0: int, x1: int, y1: int, w: int, h: int, tile: int) -> list[tuple[int, int, int, int]]:
    """Tiles (x, y, w, h) of a ``tile``-aligned grid over ``[0,w)×[0,h)`` that meet the
    rectangle ``[x0,x1)×[y0,y1)``, the ones nearest its centre first."""
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(w, x1), min(h, y1)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    out = []
    for ty in range(y0 // tile * tile, y1, tile):
        for tx in range(x0 // tile * tile, x1, tile):
            out.append((tx, ty, min(tile, w - tx), min(tile, h - ty)))
    out.sort(key=lambda r: (r[0] + r[2] / 2 - cx) ** 2 + (r[1] + r[3] / 2 - cy) ** 2)
    return out


class PhotoSession:
    """A decoded photo ready for interactive rendering (see the module docstring).

    ``enhancer``: the :class:`~kolors.engine.enhancer.Enhancer` whose device, model and
    plan cache are used. Camera RAW files are developed at half size for the preview and
    at full size on the first 100 % view or export. Raises
    :class:`~kolors.errors.InputError` naming the file when it cannot be read."""

    def __init__(self, enhancer: Any, path: str | Path, array: np.ndarray | None = None):
        from ..io.raw import is_raw
        self.enhancer = enhancer
        self.path = Path(path)
        self.is_raw = is_raw(self.path) and array is None
        self._lock = threading.RLock()
        self._proxies: LRU[int, tuple[np.ndarray, float]] = LRU(4)
        self._full_raw: Any = None
        self._ref_thumbs: LRU[str, Any] = LRU(4)
        self.exif: bytes | None = None
        if array is not None:                                  # e.g. a video frame
            self.source = np.ascontiguousarray(array)
            self.linear = False
            self.full_size = (array.shape[0], array.shape[1])
            self.bits = 8 * array.dtype.itemsize if array.dtype != np.float32 else 32
            self.format = "frame"
        elif self.is_raw:
            from ..io.raw import read_raw
            self._raw = read_raw(self.path, mode="half")
            self.source = self._raw.data                     # linear float32
            self.linear = True
            self.full_size = (self._raw.full_size[1], self._raw.full_size[0])   # (H, W)
            self.exif = self._raw.exif                       # camera, lens, ISO: lens profiles
            self.bits = 16
            self.format = "RAW"
        else:
            from ..io.images import read_image
            photo = read_image(self.path)
            self.source = photo.data
            self.linear = False
            self.full_size = (photo.height, photo.width)
            self.bits = photo.bits
            self.format = photo.format
            self.exif = photo.exif
        self._thumb = None
        self._lens: Any = None
        self._thumbs: LRU[Framing, Any] = LRU(4)

    # ------------------------------------------------------------------ geometry
    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the full-resolution photo as decoded (before framing)."""
        return self.full_size[1], self.full_size[0]

    def prepare(self, settings: Mapping[str, Any] | None) -> tuple[dict[str, Any], Framing | None, str]:
        """(``settings`` with the lens vignetting gains filled in, how they frame this photo
        — lens distortion, crop, straighten, turns, flip — or None, the lens status line)."""
        if not settings:
            return {}, None, ""
        if self._lens is None:
            from .lens import lens_info
            self._lens = lens_info(self.exif)
        from .lens import prepare
        return prepare(settings, self._lens, self.full_size[1], self.full_size[0])

    def framing(self, settings: Mapping[str, Any] | None) -> Framing | None:
        """How ``settings`` frame this photo (lens distortion, crop, straighten, turns,
        flip), or None."""
        return self.prepare(settings)[1]

    def lens_status(self, settings: Mapping[str, Any] | None) -> str:
        """What the lens corrections of ``settings`` found ('' when they are off): the
        profile used, or that there is none and only the manual sliders act."""
        return self.prepare(settings)[2]

    def photo_defaults(self) -> dict[str, Any]:
        """Starting values this photo suggests for an edit (the desktop app puts them in a
        new :class:`Edit`'s ``defaults``): a RAW's luminance noise reduction from its ISO
        (:func:`kolors.core.ops.luma_denoise.default_for_iso`); {} when there are none."""
        return photo_defaults(self._raw.metadata if self.is_raw else None)

    def framed_size(self, settings: Mapping[str, Any] | None) -> tuple[int, int]:
        """(width, height) of the framed full-resolution photo: what the viewer shows and an
        export writes."""
        f = self.framing(settings)
        return self.size if f is None else f.size

    def proxy(self, max_side: int, framing: Framing | None = None) -> tuple[np.ndarray, float]:
        """The screen-sized copy of the (framed) photo (long side ``max_side``, never larger
        than the full-resolution framed photo) and its scale relative to it. Cached per size
        and framing."""
        import cv2
        H, W = self.full_size
        max_side = int(max_side)
        if framing is not None:
            def framed() -> tuple[np.ndarray, float]:
                fw, fh = framing.size
                s = min(1.0, max_side / max(fw, fh))
                # resample from an unframed proxy at least as fine as the output
                src, ss = self.proxy(min(max(W, H), int(math.ceil(s * max(W, H))) + 2))
                return frame_array(src, framing, scale=s, src_scale=ss), s
            return self._proxies.get_or_create((max_side, framing), framed)

        def make() -> tuple[np.ndarray, float]:
            s = min(1.0, max_side / max(H, W))
            h, w = max(1, round(H * s)), max(1, round(W * s))
            src = self.source
            arr = src if (h, w) == src.shape[:2] else cv2.resize(src, (w, h), interpolation=cv2.INTER_AREA)
            return np.ascontiguousarray(arr), (w / W if W >= H else h / H)

        return self._proxies.get_or_create(max_side, make)

    # ------------------------------------------------------------------ rendering
    def _source_max(self, arr: np.ndarray) -> float:
        return max(1.0, float(arr.max())) if arr.dtype == np.float32 and arr.size else 1.0

    def original(self, max_side: int, settings: Mapping[str, Any] | None = None) -> np.ndarray:
        """The unedited render (identity settings, the same path as every preview) of the
        proxy, framed as ``settings`` frame it (before and after show the same framing):
        uint8 ``h×w×3`` sRGB."""
        _, f, _ = self.prepare(settings)
        return self._render_preview({}, f, max_side)

    def render_preview(self, settings: Mapping[str, Any], max_side: int, *, coarse: bool = False,
                       lut_size: int | None = None, on_band: Callable[[int, np.ndarray], None] | None = None, band: int = 256,
                       should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """Render the proxy (long side ``max_side``) with ``settings`` into uint8.

        ``coarse``: a 17³ table on a half-size copy (upscaled by the viewer); ``lut_size``:
        another table size at full proxy size (thumbnails: 17). Otherwise the
        enhancer's cached 65³ plan — the export's — in horizontal bands of ``band`` rows;
        ``on_band(y, rows)`` receives each as it is done. ``should_cancel`` is polled
        between bands (and tiles) and raises :class:`~kolors.engine.render.Cancelled`."""
        settings, f, _ = self.prepare(settings)
        return self._render_preview(settings, f, max_side, coarse=coarse, lut_size=lut_size, on_band=on_band,
                                    band=band, should_cancel=should_cancel)

    def _render_preview(self, settings: Mapping[str, Any], f: Framing | None, max_side: int, *, coarse=False,
                        lut_size=None, on_band=None, band=256, should_cancel=None) -> np.ndarray:
        """:meth:`render_preview` of prepared settings with framing ``f``."""
        arr, s = self.proxy(max(64, max_side // 2) if coarse else max_side, f)
        full = self._framed_hw(f)
        if coarse:
            lut_size = COARSE_LUT
        if lut_size is not None:     # a small table of its own, not the export's cached plan
            if registry.needs_photo_stats(settings):
                settings = registry.fill_photo_stats(settings, self._thumb_framed(f))
            plan = Plan(dict(settings), source_max=self._source_max(arr), lut_size=int(lut_size))
        else:
            plan = self.enhancer.plan(settings, self._source_max(arr), lambda: self._thumb_framed(f))
        if lut_size is not None or on_band is None:
            return render_array(arr, plan, np.uint8, self._opts(s, should_cancel, full_size=full))
        h = arr.shape[0]
        out = np.empty(arr.shape[:2] + (3,), np.uint8)
        for y0 in range(0, h, band):
            y1 = min(h, y0 + band)
            out[y0:y1] = self._render_crop(arr, plan, s, 0, y0, arr.shape[1], y1, should_cancel, full)
            on_band(y0, out[y0:y1])
        return out

    def mask_overlay(self, settings: Mapping[str, Any], index: int, max_side: int) -> np.ndarray:
        """The weight of mask ``index`` of ``settings['masks']`` on the preview (long side
        ``max_side``, the proxy's grid): ``h×w`` float32 in [0, 1], its shape alone (opacity
        and visibility left out, as the overlay shows where the mask is). Pixel-value masks
        (luminance, colour) see the photo as the global grade leaves it."""
        from ..core.masks import mask_weight, normalised
        from ..core.ops.masks import before_masks
        settings, f, _ = self.prepare(settings)
        masks = normalised(settings.get("masks"))
        if not 0 <= index < len(masks):
            raise ValueError(f"no mask {index}: the edit has {len(masks)}")
        m = {**masks[index], "opacity": 1.0, "visible": True}
        arr, s = self.proxy(max_side, f)
        ctx = RenderContext(full_size=self._framed_hw(f), scale=s)
        x = to_linear(arr, self.linear)
        pix = [m] + list(m.get("combine", ()))
        if any(c["kind"] in ("luminance", "color") for c in pix):
            x = to_linear(self._render_preview(before_masks(settings), f, max_side))
        with torch.inference_mode():
            return mask_weight(m, x, ctx)[0, 0].numpy().astype(np.float32)

    def _framed_hw(self, f: Framing | None) -> tuple[int, int]:
        """(H, W) of the framed full-resolution photo."""
        return self.full_size if f is None else (f.size[1], f.size[0])

    def _opts(self, scale: float, should_cancel=None, offset=(0, 0), full_size=None) -> RenderOptions:
        e = self.enhancer
        return RenderOptions(device=e.device, tile_size=e.mem_optim["tile_size"], half_precision=e.half_precision,
                             scale=scale, full_size=full_size or self.full_size, offset=offset, linear=self.linear,
                             should_cancel=should_cancel)

    def _render_crop(self, arr: np.ndarray, plan: Plan, scale: float, x0: int, y0: int, x1: int, y1: int,
                     should_cancel=None, full_size=None) -> np.ndarray:
        """Rows/columns [y0,y1)×[x0,x1) of ``arr`` (a render grid at ``scale`` of a photo
        whose full-resolution (H, W) is ``full_size``) rendered with the context they need
        around them."""
        from ..core.params import RenderContext
        full_size = full_size or self.full_size
        h, w = arr.shape[:2]
        halo = plan.halo(RenderContext(full_size=full_size, scale=scale)) if not plan.pointwise_only else 0
        X0, Y0 = max(0, x0 - halo), max(0, y0 - halo)
        X1, Y1 = min(w, x1 + halo), min(h, y1 + halo)
        piece = np.ascontiguousarray(arr[Y0:Y1, X0:X1])
        out = render_array(piece, plan, np.uint8, self._opts(scale, should_cancel, offset=(Y0, X0), full_size=full_size))
        return out[y0 - Y0:y1 - Y0, x0 - X0:x1 - X0]

    def full_source(self) -> np.ndarray:
        """The full-resolution pixels (a RAW is developed at full size on first use)."""
        if not self.is_raw:
            return self.source
        with self._lock:
            if self._full_raw is None:
                from ..io.raw import read_raw
                self._full_raw = read_raw(self.path, mode="full")
            return self._full_raw.data

    def render_region(self, settings: Mapping[str, Any], rect: tuple[int, int, int, int],
                      should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """Render ``rect`` = (x, y, w, h) of the full-resolution (framed) photo (uint8),
        exactly as that part of a full-resolution export (spatial operations see their halo)."""
        settings, f, _ = self.prepare(settings)
        return self._render_region(settings, f, rect, should_cancel)

    def render_region_original(self, settings: Mapping[str, Any] | None, rect: tuple[int, int, int, int],
                               should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """The unedited ``rect`` = (x, y, w, h) (uint8 sRGB) of the photo framed as
        ``settings`` frame it, lens distortion included (the "before" of
        :meth:`render_region`: the same pixels under the same framing, as :meth:`original`
        is for the previews)."""
        _, f, _ = self.prepare(settings)
        return self._render_region({}, f, rect, should_cancel)

    def _render_region(self, settings: Mapping[str, Any], f: Framing | None, rect: tuple[int, int, int, int],
                       should_cancel: Callable[[], bool] | None) -> np.ndarray:
        """:meth:`render_region` of prepared settings with framing ``f``."""
        src = self.full_source()
        plan = self.enhancer.plan(settings, self._source_max(self.source), lambda: self._thumb_framed(f))
        x, y, w, h = rect
        if f is None:
            return self._render_crop(src, plan, 1.0, x, y, x + w, y + h, should_cancel)
        # frame only the rectangle and the halo around it (clipped to the framed photo)
        from ..core.params import RenderContext
        FH, FW = self._framed_hw(f)
        halo = plan.halo(RenderContext(full_size=(FH, FW), scale=1.0)) if not plan.pointwise_only else 0
        X0, Y0 = max(0, x - halo), max(0, y - halo)
        X1, Y1 = min(FW, x + w + halo), min(FH, y + h + halo)
        piece = frame_array(src, f, rect=(X0, Y0, X1 - X0, Y1 - Y0))
        out = render_array(piece, plan, np.uint8, self._opts(1.0, should_cancel, offset=(Y0, X0), full_size=(FH, FW)))
        return out[y - Y0:y - Y0 + h, x - X0:x - X0 + w]

    # ------------------------------------------------------------------ analysis
    def thumb(self, settings: Mapping[str, Any] | None = None):
        """(1,3,h,w) linear thumbnail the tasks look at (as ``kolors enhance`` takes it), of
        the photo as ``settings`` frame it."""
        return self._thumb_framed(self.framing(settings))

    def _thumb_framed(self, f: Framing | None):
        with self._lock:
            if f is None:
                if self._thumb is None:
                    self._thumb = thumb_linear(self.source, linear=self.linear)
                return self._thumb
            return self._thumbs.get_or_create(f, lambda: thumb_linear(self.proxy(1024, f)[0], linear=self.linear))

    def _reference_thumb(self, reference: str):
        from .enhancer import _reference_thumb
        return self._ref_thumbs.get_or_create(reference, lambda: _reference_thumb(reference))

    def analyse(self, task: str, reference: str | None = None,
                settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The task's settings for this photo at intensity 1 (hidden parameters included):
        what "Auto" puts on the sliders; :class:`Edit` blends them by its intensity. With
        ``settings``, the task looks at the photo as they frame it (the crop)."""
        T.check_task(task)
        ref = self._reference_thumb(reference) if reference else None
        if task == "style_transfer" and ref is None:
            raise ValueError("style transfer needs a reference photo")
        return self.enhancer.analyse(self.thumb(settings), task, 1.0, ref)

    def pick_white(self, rect: tuple[int, int, int, int], settings: Mapping[str, Any]) -> dict[str, float]:
        """White-balance slider values that make the *average* of ``rect`` (x, y, w, h in
        full-resolution pixels of the photo as ``settings`` frame it) neutral. The area is averaged in linear light after the
        operations that come before white balance (e.g. exposure, a task's gains), and
        the result is expressed against the photo's reference white (a RAW's camera white)."""
        import torch

        from ..core.colorimetry import RGB_TO_XYZ, xy_to_cct_tint
        from ..io.raw import rebase_wb
        x, y, w, h = (int(v) for v in rect)
        f = self.framing(settings)
        H, W = self._framed_hw(f)
        x, y = max(0, min(W - 1, x)), max(0, min(H - 1, y))
        w, h = max(1, min(W - x, w)), max(1, min(H - y, h))
        # average the area of the decoded source (a RAW's half-size development), at most
        # ~256×256 samples of it, evenly spaced
        src = self.source
        s = src.shape[1] / self.full_size[1]
        ax0, ay0 = int(x * s), int(y * s)
        ax1, ay1 = max(ax0 + 1, int(math.ceil((x + w) * s))), max(ay0 + 1, int(math.ceil((y + h) * s)))
        step = max(1, max(ax1 - ax0, ay1 - ay0) // 256)
        if f is not None:      # the framed area, resampled at the source array's scale
            ax1, ay1 = min(ax1, max(1, round(W * s))), min(ay1, max(1, round(H * s)))
            src = frame_array(src, f, scale=s, src_scale=s, rect=(ax0, ay0, ax1 - ax0, ay1 - ay0))
            patch = np.ascontiguousarray(src[::step, ::step])
        else:
            patch = np.ascontiguousarray(src[ay0:ay1:step, ax0:ax1:step])
        wb_order = registry.get_op("white_balance").order
        before = {k: v for k, v in settings.items()
                  if registry.get_op(_op_of(k)).order < wb_order}
        from .render import to_linear
        lin = to_linear(patch, self.linear)
        if before:
            plan = Plan(before, source_max=max(1.0, float(lin.max())), bake=False)
            from ..core.params import RenderContext
            with torch.inference_mode():
                lin = plan.run(lin, RenderContext(full_size=(H, W), offset=(ay0 // step, ax0 // step), scale=s / step))
        rgb = lin.reshape(3, -1).mean(1).double().numpy()
        if not np.all(np.isfinite(rgb)) or rgb.min() <= 0:
            raise ValueError("the picked area has no usable colour (black or clipped): pick a grey area")
        xyz = RGB_TO_XYZ @ rgb
        t, n = xy_to_cct_tint(xyz[0] / xyz.sum(), xyz[1] / xyz.sum())
        ref = (float(settings.get("reference_temperature", 6504.0)), float(settings.get("reference_tint", 0.0)))
        t, n = rebase_wb(float(t), float(n), ref)
        return {"temperature": round(t, 1), "tint": round(n, 2)}

    # ------------------------------------------------------------------ export
    def export(self, dst: str | Path, settings: Mapping[str, Any], *, quality: int = 95, bits: int | None = None,
               long_side: int | None = None, on_progress: Callable[[float], None] | None = None,
               should_cancel: Callable[[], bool] | None = None, output_sharpening: float = 0.0,
               profile: str = "srgb") -> Path:
        """Write the full-resolution (or ``long_side``) render to ``dst`` atomically; the
        same code as ``kolors enhance`` (:meth:`Enhancer.export_graded`), with the
        thumbnail of the framed photo the previews use (photo-level statistics) and
        ``output_sharpening`` (0–2) for the size written, in colour space ``profile``."""
        return self.enhancer.export_graded(self.path, dst, settings, quality=quality, bits=bits,
                                           long_side=long_side, on_progress=on_progress,
                                           should_cancel=should_cancel, thumb=self.thumb(settings),
                                           output_sharpening=output_sharpening, profile=profile)


def _op_of(param: str) -> str:
    for op in registry.ops():
        if param in op.params:
            return op.name
    raise ValueError(f"unknown parameter {param!r}")
