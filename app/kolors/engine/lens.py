"""Lens corrections: which camera and lens took the photo (its EXIF), their lensfun
profile, and what the profile and the manual sliders make of

- the framing step's lens warp (:class:`kolors.core.geometry.LensWarp`: distortion and
  transverse chromatic aberration, corrected in the one resampling with the crop), and
- the vignetting gains of the ``lens_correction`` operation (``lens_vignette_gain``: a
  coarse grid over the *framed* photo, filled in here like a photo-level statistic).

Profiles come from the lensfun database through lensfunpy, looked up by the camera's make
and model and the lens model that the EXIF names (``LensModel``; RAWs: LibRaw's lens name
in the EXIF Kolors writes for them), at the photo's focal length, f-number and (if known)
focus distance. Where there is none, the status says so and only the manual sliders act.
Coordinates are source pixels (centres at integers) of the upright decoded photo.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..core.geometry import Framing, LensWarp, framing_of

__all__ = ["LensInfo", "lens_info", "LensSetup", "lens_setup", "MANUAL_K", "MANUAL_VIGNETTE"]

#: the manual distortion slider at 1 is ``k = −MANUAL_K`` of :class:`LensWarp` (the corners
#: move by about 15 % of their distance to the centre)
MANUAL_K = 0.15
#: the manual vignetting slider at 1 brightens the corners by this factor minus one
#: (gain ``1 + v·r²``, r = distance to the centre over half the diagonal)
MANUAL_VIGNETTE = 1.0
#: source pixels between the nodes of the profile's distortion map
MAP_STEP = 8
#: nodes of the vignetting gain grid along the framed photo's long side
VIGNETTE_NODES = 33


@dataclass(frozen=True)
class LensInfo:
    """What the EXIF says of the camera and lens ('' / None when it does not)."""

    camera_make: str = ""
    camera_model: str = ""
    lens_make: str = ""
    lens_model: str = ""
    focal_length: float | None = None    # mm
    aperture: float | None = None        # f-number
    distance: float | None = None        # m

    def describe(self) -> str:
        cam = " ".join(x for x in (self.camera_make, self.camera_model) if x) or "unknown camera"
        return f"{cam} / {self.lens_model or 'unknown lens'}"


def lens_info(exif: bytes | None) -> LensInfo:
    """The camera and lens of an EXIF block (``Exif\\0\\0`` + TIFF, as :class:`Photo.exif`
    and :class:`RawPhoto.exif` hold it)."""
    if not exif:
        return LensInfo()
    from PIL import Image
    ex = Image.Exif()
    try:
        ex.load(exif)
        sub = ex.get_ifd(0x8769) if 0x8769 in ex else {}
    except Exception:  # noqa: BLE001 - a broken EXIF block: no lens information
        return LensInfo()

    def text(v: Any) -> str:
        if isinstance(v, bytes):
            v = v.decode("latin-1", "replace")
        return str(v).strip("\x00 ").strip() if v is not None else ""

    def num(v: Any) -> float | None:
        try:
            f = float(v[0] if isinstance(v, tuple) else v)
        except (TypeError, ValueError, ZeroDivisionError, IndexError):
            return None
        return f if math.isfinite(f) and f > 0 else None

    return LensInfo(text(ex.get(0x010F)), text(ex.get(0x0110)), text(sub.get(0xA433)), text(sub.get(0xA434)),
                    num(sub.get(0x920A)), num(sub.get(0x829D)), num(sub.get(0x9206)))


@functools.lru_cache(maxsize=1)
def _database():
    import lensfunpy
    return lensfunpy.Database()


@functools.lru_cache(maxsize=64)
def _profile(info: LensInfo):
    """(camera, lens) lensfun objects for ``info``, or None."""
    if not info.camera_model or not info.lens_model:
        return None
    db = _database()
    cams = db.find_cameras(info.camera_make or None, info.camera_model)
    if not cams and info.camera_make and not info.camera_model.lower().startswith(info.camera_make.lower()):
        # LibRaw reports "EOS 5D Mark II" where lensfun says "Canon EOS 5D Mark II"
        cams = db.find_cameras(info.camera_make, f"{info.camera_make} {info.camera_model}")
    if not cams:
        return None
    lenses = db.find_lenses(cams[0], info.lens_make or None, info.lens_model)
    return (cams[0], lenses[0]) if lenses else None


@dataclass(frozen=True)
class LensSetup:
    """What the lens settings of an edit do to one photo: the framing step's ``warp``
    (None: none), a function giving the vignetting gain at source points (None: none) and
    the ``status`` line for the person ('' when lens corrections are off)."""

    warp: LensWarp | None
    vignette: Any
    status: str


def _modifier(cam, lens, w: int, h: int, info: LensInfo, reverse: bool = False):
    import lensfunpy
    m = lensfunpy.Modifier(lens, cam.crop_factor, w, h)
    m.initialize(info.focal_length, info.aperture or lens.min_aperture or 8.0, info.distance or 1000.0,
                 scale=1.0, pixel_format=np.float32, flags=lensfunpy.ModifyFlags.ALL, reverse=reverse)
    return m


@functools.lru_cache(maxsize=16)
def _profile_maps(info: LensInfo, W: int, H: int):
    """(distortion/TCA grid (gh, gw, 3, 2) in source px, step (sx, sy), vignetting gains
    (gh, gw)) of the profile at a coarse size, or None."""
    prof = _profile(info)
    if prof is None or not info.focal_length:
        return None
    cam, lens = prof
    gw, gh = max(2, round(W / MAP_STEP)), max(2, round(H / MAP_STEP))
    m = _modifier(cam, lens, gw, gh, info)
    geo = m.apply_subpixel_geometry_distortion()
    sx, sy = W / gw, H / gh
    grid = None
    if geo is not None:
        grid = geo.astype(np.float64)
        grid[..., 0] = (grid[..., 0] + 0.5) * sx - 0.5
        grid[..., 1] = (grid[..., 1] + 0.5) * sy - 0.5
    gain = None
    if info.aperture:                # vignetting depends on the f-number: without it, none
        ones = np.ones((gh, gw, 3), np.float32)
        if m.apply_color_modification(ones):
            gain = ones[..., 1].astype(np.float64)
    return grid, (sx, sy), gain


def lens_setup(settings: Mapping[str, Any], info: LensInfo, W: int, H: int) -> LensSetup:
    """The lens corrections ``settings`` ask of a ``W×H`` photo described by ``info``."""
    on = bool(settings.get("lens_correction", False))
    kd = float(settings.get("lens_distortion", 0.0))
    kv = float(settings.get("lens_vignetting", 0.0))
    if not (on or kd or kv):
        return LensSetup(None, None, "")
    maps = _profile_maps(info, int(W), int(H)) if on else None
    status = ""
    if on:
        prof = _profile(info)
        if prof is None:
            status = f"no lens profile for {info.describe()}: manual lens corrections only"
        elif maps is None:
            status = f"lens profile {prof[1].model}: the focal length is unknown, manual corrections only"
        else:
            f = f"{info.focal_length:g} mm" + (f" f/{info.aperture:g}" if info.aperture else " (f-number unknown: no vignetting)")
            status = f"lens profile: {prof[1].model} on {prof[0].model} at {f}"
    grid, step, gain = maps if maps is not None else (None, None, None)
    warp = None
    if grid is not None or kd:
        key = f"{info}|{W}x{H}|{on and grid is not None}|{kd:.6f}"
        # the profile's map is made at a coarse size: its nodes sit at (i + 0.5)·step − 0.5
        warp = LensWarp(key, int(W), int(H), k=-MANUAL_K * kd, grid=grid, step=step or (1.0, 1.0))
    vig = None
    if (gain is not None and not np.allclose(gain, 1.0)) or kv:
        vig = functools.partial(_vignette_gain, gain=gain, step=step, W=W, H=H, kv=kv)
    return LensSetup(warp, vig, status)


def _vignette_gain(x: np.ndarray, y: np.ndarray, *, gain, step, W: int, H: int, kv: float) -> np.ndarray:
    """Vignetting correction gain at source points (x, y): the profile's times the manual."""
    out = np.ones(np.shape(x), np.float64)
    if gain is not None:
        gh, gw = gain.shape
        tx = np.clip((np.asarray(x) + 0.5) / step[0] - 0.5, 0, gw - 1)
        ty = np.clip((np.asarray(y) + 0.5) / step[1] - 0.5, 0, gh - 1)
        i = np.clip(np.floor(tx).astype(int), 0, gw - 2)
        j = np.clip(np.floor(ty).astype(int), 0, gh - 2)
        fx, fy = tx - i, ty - j
        out = out * (gain[j, i] * (1 - fx) * (1 - fy) + gain[j, i + 1] * fx * (1 - fy)
                     + gain[j + 1, i] * (1 - fx) * fy + gain[j + 1, i + 1] * fx * fy)
    if kv:
        cx, cy = 0.5 * (W - 1), 0.5 * (H - 1)
        r2 = ((np.asarray(x) - cx) ** 2 + (np.asarray(y) - cy) ** 2) / (0.25 * (W ** 2 + H ** 2))
        out = out * (1.0 + MANUAL_VIGNETTE * kv * r2)
    return np.clip(out, 0.05, 20.0)


def prepare(settings: Mapping[str, Any], info: LensInfo, W: int, H: int
            ) -> tuple[dict[str, Any], Framing | None, str]:
    """(settings with ``lens_vignette_gain`` filled in, the framing of the photo with its
    lens warp, the lens status) for a ``W×H`` source."""
    setup = lens_setup(settings, info, W, H)
    out = dict(settings)
    fr = framing_of(settings, W, H, setup.warp)
    out.pop("lens_vignette_gain", None)
    if setup.vignette is not None:
        f = fr if fr is not None else Framing(int(W), int(H))
        ow, oh = f.size
        nx = VIGNETTE_NODES if ow >= oh else max(2, round(VIGNETTE_NODES * ow / oh))
        ny = VIGNETTE_NODES if oh >= ow else max(2, round(VIGNETTE_NODES * oh / ow))
        # nodes on the framed photo's edges and between (the op samples with align_corners)
        u, v = np.meshgrid(np.linspace(0, ow, nx) - 0.5, np.linspace(0, oh, ny) - 0.5)
        # vignetting darkened the photo as the lens drew it: the gain of the (distorted)
        # place each output pixel is taken from
        sx, sy = f.map_points(u, v)
        out["lens_vignette_gain"] = setup.vignette(sx, sy).astype(np.float32)
    return out, fr, setup.status
