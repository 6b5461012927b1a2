"""Camera RAW through rawpy (LibRaw): every format LibRaw reads (NEF, CR2, CR3, CRW, ARW,
RAF, ORF, RW2, PEF, DNG and CinemaDNG, KDC, ...), as linear float in the working space.

:func:`read_raw` returns a :class:`RawPhoto` whose ``data`` is ``H×W×3`` float32, **linear**
RGB with sRGB/Rec.709 primaries and a D65 white (what :meth:`Enhancer.render(...,
linear=True) <kolors.engine.enhancer.Enhancer.render>` takes), upright, cropped to the
camera's default crop where LibRaw reports one, with the camera's white (the raw
saturation level after white balance) at 1.0. Values above 1 are kept where the
highlight mode leaves headroom: with ``'blend'`` (the default) and ``'reconstruct'`` the
channels are scaled so that none clips before the largest white-balance multiplier, so
``data`` reaches up to ``RawPhoto.headroom`` (the ratio of the largest to the smallest
multiplier, typically 1.5–2.5); ``'clip'`` clips every channel at the camera white (1.0).
Values are ≥ 0 (LibRaw clips negatives of out-of-gamut colours).

Decoding: ``rawpy.postprocess`` with ``output_color=sRGB``, ``gamma=(1, 1)``,
``no_auto_bright=True``, ``output_bps=16``, ``adjust_maximum_thr=0`` (the file's white
level, not a guess from the image content, so the exposure does not depend on the
picture), the white balance, highlight mode and demosaic of :class:`RawOptions`, and the
orientation applied here (LibRaw's ``flip`` as an EXIF orientation, see
``RawPhoto.orientation``). Half-size decoding (each 2×2 Bayer block becomes one pixel, no
demosaic) is the interactive preview; the embedded JPEG is the fastest preview. For plain
2×2 Bayer sensors the half-size development after LibRaw's unpack is done here in numpy
(LibRaw's steps and rounding, within a few 16-bit codes of its output, in about a third
of its time), and LibRaw's automatic ("grey world") white balance is computed here too
(the same multipliers, faster); other sensors and ``'reconstruct'`` go through LibRaw.

Decodes are cached (LRU bounded in bytes, keyed by path, mtime, size, options and mode):
re-rendering the same file does not decode it again. ``RawPhoto.data`` of a cached photo
is shared: copy it before modifying it in place.

White balance (:class:`RawOptions.white_balance`): ``'as_shot'`` (the camera's multipliers;
LibRaw falls back to its automatic estimate when the file has none), ``'auto'`` (LibRaw's
grey-world average), ``'daylight'`` (LibRaw's daylight multipliers: D65 through the camera
matrix), ``'custom'`` (``temperature``/``tint`` → multipliers through the camera matrix).
``RawPhoto.as_shot_white`` is the camera's white as (temperature K, tint) estimated through
the camera matrix (``rawpy.rgb_xyz_matrix``, or for DNGs the embedded ``color_matrix``);
:meth:`RawPhoto.wb_settings` turns it into the white-balance operation's starting values.

Metadata (make, model, ISO, shutter, aperture, focal length, lens, time) comes from
LibRaw (make/model through LibRaw's C API, which rawpy does not wrap; the ISO from the
file's own TIFF tags when LibRaw has none, as for pidng's DNGs) and is turned into
an EXIF block (``RawPhoto.exif``) that :func:`kolors.io.images.write_image` carries into
exports.

Bad input raises :class:`~kolors.errors.InputError` with one line naming the file: missing,
empty, a folder, not a RAW (e.g. a JPEG renamed ``.NEF``: named as such), truncated or
corrupt data, too large. Truncation is caught three ways, because LibRaw fills missing data
with whatever is in memory rather than failing on some files: TIFF-structured RAWs (DNG,
NEF, CR2, ARW, ...) are checked up front for directories or image strips/tiles beyond the
end of the file; LibRaw's I/O and data errors are mapped; and a decode that yields all-zero
data, or empty last rows on a sensor with a black level, is refused. RED ``.r3d`` and
formats LibRaw cannot read raise :class:`~kolors.errors.UnsupportedFormat` (a subclass).
LibRaw's own messages on stderr ("Unexpected end of file") are captured and folded into
the error. :func:`extract_thumb` still returns an intact embedded preview of a file whose
raw data is cut short (the filmstrip shows it; developing it fails).
"""
from __future__ import annotations

import contextlib
import ctypes
import glob
import math
import os
import sys
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np

from ...core.colorimetry import BRADFORD, REFERENCE, XYZ_TO_RGB, cct_tint_to_xy, xy_to_cct_tint, xy_to_xyz
from ...errors import InputError, UnsupportedFormat
from ..images import MAX_PIXELS, RAW_SUFFIXES, _exif_fields, _sniff

__all__ = ["RawOptions", "RawMetadata", "RawPhoto", "read_raw", "raw_info", "extract_thumb", "is_raw",
           "wb_multipliers", "white_of_multipliers", "rebase_wb", "clear_cache", "cache_info",
           "set_cache_limit", "WHITE_BALANCES", "HIGHLIGHTS", "DEMOSAICS", "MODES", "UNSUPPORTED_SUFFIXES"]

WHITE_BALANCES = ("as_shot", "auto", "daylight", "custom")
HIGHLIGHTS = ("clip", "blend", "reconstruct")
MODES = ("full", "half", "embedded")
#: suffixes refused up front with UnsupportedFormat (LibRaw cannot decode them)
UNSUPPORTED_SUFFIXES = {".r3d": "RED R3D (REDCODE) is not supported: LibRaw cannot decode it; "
                                "export DNG or TIFF from REDCINE-X"}
_TEMP_RANGE = (2000.0, 15000.0)  # the white-balance slider's range
_TINT_RANGE = (-100.0, 100.0)


def _rawpy():
    try:
        import rawpy
    except ImportError as e:  # pragma: no cover - a dependency
        raise UnsupportedFormat("camera RAW needs the rawpy package (pip install rawpy)") from e
    return rawpy


def _demosaics() -> tuple[str, ...]:
    """Demosaic algorithms the installed LibRaw supports (AHD first)."""
    try:
        rawpy = _rawpy()
    except UnsupportedFormat:
        return ("ahd",)
    names = [a.name.lower() for a in rawpy.DemosaicAlgorithm if a.isSupported]
    return tuple(["ahd"] + [n for n in names if n != "ahd"])


DEMOSAICS = _demosaics()


def is_raw(path: str | os.PathLike) -> bool:
    """True if ``path`` has a camera RAW suffix (``.nef``, ``.cr2``, ``.dng``, ``.r3d``, ...)."""
    return Path(os.fspath(path)).suffix.lower() in RAW_SUFFIXES


# ============================================================================ options
@dataclass(frozen=True)
class RawOptions:
    """How a RAW file is developed (saved with the edit: :meth:`to_dict`/:meth:`from_dict`).

    ``white_balance``: one of :data:`WHITE_BALANCES`. ``temperature`` (K, 2000–15000) and
    ``tint`` (−100–100, + = magenta) are used by ``'custom'`` only. ``highlights``: ``'clip'``
    (every channel clipped at the camera white), ``'blend'`` (default; clipped channels
    blended, headroom above 1 kept) or ``'reconstruct'`` (LibRaw's reconstruction, slower).
    ``demosaic``: one of :data:`DEMOSAICS` (``'ahd'`` default; the rest are what the
    installed LibRaw supports). Invalid values raise ``ValueError`` naming the field."""

    white_balance: str = "as_shot"
    temperature: float = REFERENCE[0]
    tint: float = 0.0
    highlights: str = "blend"
    demosaic: str = "ahd"

    VERSION = 1

    def __post_init__(self) -> None:
        if self.white_balance not in WHITE_BALANCES:
            raise ValueError(f"raw option 'white_balance': {self.white_balance!r} is not one of "
                             f"{', '.join(WHITE_BALANCES)}")
        for name, (lo, hi) in (("temperature", _TEMP_RANGE), ("tint", _TINT_RANGE)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
                raise ValueError(f"raw option '{name}': {v!r} is not a number within [{lo:g}, {hi:g}]")
            object.__setattr__(self, name, float(v))
        if self.highlights not in HIGHLIGHTS:
            raise ValueError(f"raw option 'highlights': {self.highlights!r} is not one of {', '.join(HIGHLIGHTS)}")
        if self.demosaic not in DEMOSAICS:
            raise ValueError(f"raw option 'demosaic': {self.demosaic!r} is not available with this LibRaw; "
                             f"valid: {', '.join(DEMOSAICS)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (with a ``version``) for sidecars and presets."""
        return {"version": self.VERSION, **{f.name: getattr(self, f.name) for f in fields(self)}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "RawOptions":
        """Inverse of :meth:`to_dict` (missing keys take their defaults); ``ValueError`` on
        unknown keys, a newer version or invalid values."""
        if d is None:
            return cls()
        if not isinstance(d, Mapping):
            raise ValueError(f"raw options must be a mapping, got {type(d).__name__}")
        d = dict(d)
        ver = d.pop("version", cls.VERSION)
        if not isinstance(ver, int) or ver > cls.VERSION:
            raise ValueError(f"raw options version {ver!r} is newer than this Kolors reads ({cls.VERSION})")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown raw option {unknown[0]!r}; valid: {', '.join(sorted(names))}")
        return cls(**d)

    def _key(self) -> tuple:
        t = self.temperature if self.white_balance == "custom" else None
        n = self.tint if self.white_balance == "custom" else None
        return (self.white_balance, t, n, self.highlights, self.demosaic)


# ============================================================================ metadata
_SHUTTER_DENOMINATORS = (2, 3, 4, 5, 6, 8, 10, 13, 15, 20, 25, 30, 40, 50, 60, 80, 100, 125, 160, 200, 250,
                         320, 400, 500, 640, 800, 1000, 1250, 1600, 2000, 2500, 3200, 4000, 5000, 6400, 8000,
                         10000, 12800, 16000, 20000, 25000, 32000)


@dataclass(frozen=True)
class RawMetadata:
    """What the camera recorded. ``shutter`` in seconds, ``aperture`` as the f-number,
    ``focal_length`` in mm, ``iso`` as ISO speed; None / '' when the file does not say."""

    make: str = ""
    model: str = ""
    software: str = ""
    iso: float | None = None
    shutter: float | None = None
    aperture: float | None = None
    focal_length: float | None = None
    lens: str = ""
    lens_make: str = ""
    timestamp: datetime | None = None
    artist: str = ""

    def exif(self) -> bytes | None:
        """An EXIF block (``Exif\\0\\0`` + TIFF) with these fields, or None if empty."""
        from PIL import Image, TiffImagePlugin

        def rat(v: float, max_den: int = 10000):
            if v < 1:  # exposure times: 1/n, snapped to the nominal 1/3-stop series within 2 %
                n = round(1 / v)
                near = min(_SHUTTER_DENOMINATORS, key=lambda d: abs(math.log(d * v)))
                if abs(math.log(near * v)) <= 0.02:
                    n = near
                if n > 0 and abs(1 / n - v) <= 0.05 * v:
                    return TiffImagePlugin.IFDRational(1, n)
            f = Fraction(v).limit_denominator(max_den)
            return TiffImagePlugin.IFDRational(f.numerator, f.denominator)

        ex = Image.Exif()
        if self.make:
            ex[271] = self.make
        if self.model:
            ex[272] = self.model
        if self.artist:
            ex[315] = self.artist
        stamp = self.timestamp.strftime("%Y:%m:%d %H:%M:%S") if self.timestamp else None
        if stamp:
            ex[306] = stamp
        sub: dict[int, Any] = {}
        if self.shutter and self.shutter > 0:
            sub[0x829A] = rat(self.shutter)
        if self.aperture and self.aperture > 0:
            sub[0x829D] = rat(self.aperture, 100)
        if self.iso and self.iso > 0:
            sub[0x8827] = int(min(65535, round(self.iso)))
        if stamp:
            sub[0x9003] = stamp
            sub[0x9004] = stamp
        if self.focal_length and self.focal_length > 0:
            sub[0x920A] = rat(self.focal_length, 100)
        if self.lens_make:
            sub[0xA433] = self.lens_make
        if self.lens:
            sub[0xA434] = self.lens
        if sub:
            sub[0x9000] = b"0231"
            ifd = ex.get_ifd(0x8769)
            ifd.update(sub)
        if not len(ex) and not sub:
            return None
        return ex.tobytes()


# ============================================================================ the photo
@dataclass(eq=False)
class RawPhoto:
    """A developed RAW file.

    ``data``: ``H×W×3`` float32, linear RGB (sRGB/Rec.709 primaries, D65 white), upright,
    camera white = 1.0, values in [0, ``headroom``]. It is made on first access from
    ``linear16`` (LibRaw's 16-bit linear output, the same pixels: ``data = linear16 *
    scale``, ``scale = headroom / 65535``), which exports use directly. Both are shared
    with the decode cache: do not modify them in place.
    ``mode``: 'full' (demosaiced), 'half' (2×2 blocks, half the size) or 'embedded' (the
    camera's own JPEG preview, linearised; camera-rendered, not colorimetric).
    ``size``: (width, height) of ``data``; ``full_size``: (width, height) of the full decode.
    ``orientation``: the EXIF orientation that was applied (1 = none).
    ``wb_mode``: the white balance used (``'as_shot'``, ``'auto'`` ...; says so when the
    file had no as-shot values and LibRaw fell back to auto). ``wb_multipliers``: the R, G,
    B multipliers applied (G = 1); ``white``: their white as (temperature K, tint) through
    the camera matrix, None without a matrix. ``as_shot_multipliers`` / ``as_shot_white``:
    the camera's as-shot white balance, None when the file has none.
    ``daylight_multipliers``: LibRaw's daylight (D65) multipliers. ``exif``: EXIF block for
    exports (make, model, ISO, exposure, aperture, lens, time). ``crop``: (x, y, w, h)
    applied to LibRaw's output before orientation, or None. ``xyz_to_camera``: the 3×3
    camera matrix used for white-balance conversions, or None."""

    linear16: np.ndarray
    scale: float
    path: Path
    mode: str
    options: RawOptions
    metadata: RawMetadata
    size: tuple[int, int]
    full_size: tuple[int, int]
    orientation: int
    wb_mode: str
    wb_multipliers: tuple[float, float, float]
    white: tuple[float, float] | None
    as_shot_multipliers: tuple[float, float, float] | None
    as_shot_white: tuple[float, float] | None
    daylight_multipliers: tuple[float, float, float] | None
    headroom: float
    black_level: float
    white_level: float
    exif: bytes | None
    crop: tuple[int, int, int, int] | None = None
    xyz_to_camera: np.ndarray | None = field(default=None, repr=False)
    bits: int = 32
    format: str = "RAW"
    _data: np.ndarray | None = field(default=None, init=False, repr=False)
    _lock: Any = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def data(self) -> np.ndarray:
        with self._lock:
            if self._data is None:
                d = np.empty(self.linear16.shape, np.float32)
                np.multiply(self.linear16, np.float32(self.scale), out=d, casting="unsafe")
                self._data = d
            return self._data

    @property
    def nbytes(self) -> int:
        """Memory held: the 16-bit pixels plus the float copy once made."""
        return int(self.linear16.nbytes + (self._data.nbytes if self._data is not None else 0))

    @property
    def height(self) -> int:
        return int(self.linear16.shape[0])

    @property
    def width(self) -> int:
        return int(self.linear16.shape[1])

    def wb_settings(self) -> dict[str, float]:
        """Starting values of the white-balance operation for this photo: its sliders at
        the white the data was balanced to (the camera's as-shot white for 'as_shot') and
        the hidden reference white at the same value, so the operation starts as the
        identity and moving the temperature slider to T re-balances for a light of T kelvin.
        Empty when the white is unknown (no camera matrix)."""
        if self.white is None:
            return {}
        t = float(np.clip(self.white[0], *_TEMP_RANGE))
        n = float(np.clip(self.white[1], *_TINT_RANGE))
        return {"temperature": t, "tint": n, "reference_temperature": t, "reference_tint": n}


# ============================================================================ white balance maths
def wb_multipliers(xyz_to_camera: np.ndarray, temperature: float, tint: float = 0.0) -> tuple[float, float, float]:
    """R, G, B multipliers (G = 1) that make a light of (``temperature`` K, ``tint``) neutral,
    through ``xyz_to_camera`` (3×3, XYZ → camera RGB). ``ValueError`` if the camera's
    response to that light is not positive."""
    c = np.asarray(xyz_to_camera, np.float64) @ xy_to_xyz(*cct_tint_to_xy(temperature, tint))
    if not np.all(c > 0):
        raise ValueError(f"white balance {temperature:g} K / tint {tint:g} is outside what this camera's matrix maps")
    m = 1.0 / c
    return tuple(float(v) for v in m / m[1])  # type: ignore[return-value]


def white_of_multipliers(xyz_to_camera: np.ndarray | None, mul) -> tuple[float, float] | None:
    """The light (temperature K, tint) that the R, G, B multipliers ``mul`` make neutral,
    through ``xyz_to_camera``; None without a matrix or for invalid multipliers."""
    if xyz_to_camera is None or mul is None:
        return None
    m = np.asarray(mul, np.float64)[:3]
    if not np.all(np.isfinite(m)) or not np.all(m > 0):
        return None
    try:
        xyz = np.linalg.solve(np.asarray(xyz_to_camera, np.float64), 1.0 / m)
    except np.linalg.LinAlgError:
        return None
    s = xyz.sum()
    if not np.isfinite(s) or s <= 0 or xyz[1] <= 0:
        return None
    t, n = xy_to_cct_tint(xyz[0] / s, xyz[1] / s)
    return float(t), float(n)


def rebase_wb(temperature: float, tint: float, reference: tuple[float, float]) -> tuple[float, float]:
    """Express a white-balance setting made against the default reference (6504 K, tint 0,
    e.g. what a task chose) against another ``reference`` white (a RAW photo's camera white,
    see :meth:`RawPhoto.wb_settings`): the returned (temperature, tint) with that reference
    gives the same Bradford adaptation up to a brightness factor (whites are normalised to
    Y = 1; the factor stays within about 1 %). Results are clipped to the slider ranges."""
    def cone(t, n):
        return BRADFORD @ xy_to_xyz(*cct_tint_to_xy(t, n))
    lms = cone(temperature, tint) * cone(*reference) / cone(*REFERENCE)
    xyz = np.linalg.solve(BRADFORD, lms)
    t, n = xy_to_cct_tint(xyz[0] / xyz.sum(), xyz[1] / xyz.sum())
    return float(np.clip(t, *_TEMP_RANGE)), float(np.clip(n, *_TINT_RANGE))


def _xyz_to_camera(raw) -> np.ndarray | None:
    """3×3 XYZ → camera RGB of an RGB camera (scale arbitrary), or None (no colour data)."""
    if raw.num_colors != 3:
        return None
    m = np.asarray(raw.rgb_xyz_matrix, np.float64)[:3, :3]
    if np.abs(m).sum() > 1e-6 and abs(np.linalg.det(m)) > 1e-9:
        return m
    # DNGs: LibRaw keeps the embedded matrix as rgb_cam (camera, balanced to its daylight
    # multipliers → linear sRGB) in color_matrix
    cm = np.asarray(raw.color_matrix, np.float64)[:3, :3]
    pre = np.asarray(raw.daylight_whitebalance, np.float64)[:3]
    if np.abs(cm).sum() > 1e-6 and abs(np.linalg.det(cm)) > 1e-9 and np.all(pre > 0):
        return np.diag(1.0 / pre) @ np.linalg.inv(cm) @ XYZ_TO_RGB
    return None


def _grey_world(raw) -> list[float] | None:
    """LibRaw's automatic white balance, computed in numpy: dcraw's grey world, the mean of
    each CFA colour (black subtracted) over the 8×8 blocks of the visible frame that hold no
    pixel above the white level − 25. The R, G1, B, G2 multipliers it returns, passed as
    ``user_wb``, give LibRaw's output bit for bit (half and full size) in less than half
    the time LibRaw's per-pixel loop takes (≈ 7 ms instead of ≈ 18 ms on a 3 MP frame).
    For 2×2 Bayer sensors with one black level; None otherwise (LibRaw computes it)."""
    try:
        if raw.num_colors != 3 or np.shape(raw.raw_pattern) != (2, 2):
            return None
        img = raw.raw_image_visible
        blacks = [int(b) for b in raw.black_level_per_channel]
        s = raw.sizes
        colors = [[int(raw.raw_color(y + s.top_margin, x + s.left_margin)) for x in (0, 1)] for y in (0, 1)]
    except (AttributeError, NotImplementedError, RuntimeError):
        return None
    if img.ndim != 2 or img.dtype != np.uint16 or min(img.shape) < 2 or min(blacks) != max(blacks) \
            or sorted(colors[0] + colors[1]) != [0, 1, 2, 3]:
        return None
    black, white = blacks[0], int(raw.white_level)
    h, w = img.shape
    hb, wb = -(-h // 8), -(-w // 8)
    if (h, w) == (hb * 8, wb * 8):
        q = np.maximum(img, np.uint16(black)) if black else img  # values below black count as black, as in LibRaw
    else:  # partial blocks at the edges: pad with black, which adds nothing once black is subtracted
        q = np.full((hb * 8, wb * 8), black, np.uint16)
        np.maximum(img, np.uint16(black), out=q[:h, :w])
    rows = q.reshape(hb, 8, wb * 8)
    colmax = rows.max(axis=1)
    bmax = colmax[:, 0::8].copy()
    for k in range(1, 8):
        np.maximum(bmax, colmax[:, k::8], out=bmax)
    ok = (bmax <= white - 25).astype(np.float64)  # the blocks that count
    n_ok = float(ok.sum())
    ys, xs = np.arange(hb * 8), np.arange(wb * 8)
    dsum, cnt = np.zeros(4), np.zeros(4)
    for dy in (0, 1):
        r = rows[:, dy].astype(np.uint32)
        for k in (2, 4, 6):
            r += rows[:, dy + k]
        ny = ((ys < h) & (ys % 2 == dy)).reshape(hb, 8).sum(1).astype(np.float64)  # real rows per block
        for dx in (0, 1):
            block = r[:, dx::8] + r[:, dx + 2::8] + r[:, dx + 4::8] + r[:, dx + 6::8]  # 16 samples per block
            nx = ((xs < w) & (xs % 2 == dx)).reshape(wb, 8).sum(1).astype(np.float64)
            c = colors[dy][dx]
            dsum[c] += float((block * ok).sum()) - black * 16.0 * n_ok
            cnt[c] += float(ny @ ok @ nx)
    if not np.all(dsum > 0):
        return None
    return [float(v) for v in cnt / dsum]


def _camera_wb_keeps_matrix(p: Path, raw) -> bool:
    """Whether dropping ``use_camera_wb`` leaves LibRaw's colour matrix as it is: LibRaw uses
    a non-DNG file's embedded matrix only together with the camera's white balance."""
    try:
        return p.suffix.lower() == ".dng" or float(np.asarray(raw.color_matrix)[0, 0]) <= 0.125
    except (AttributeError, IndexError, TypeError):
        return False


#: LibRaw's XYZ (D65) → linear sRGB inverse, the xyz_rgb it builds camera matrices with
_LIBRAW_XYZ_RGB = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                            [0.0193339, 0.1191920, 0.9503041]])
#: LibRaw's blend_highlights transforms (three colours)
_BLEND = np.array([[1, 1, 1], [1.7320508, -1.7320508, 0], [-1, -1, 2]], np.float32)
_BLEND_INV = np.array([[1, 0.8660254, -0.5], [1, -0.8660254, -0.5], [1, 0, 1]], np.float32)


def _half_develop(p: Path, raw, kw: Mapping[str, Any], highlights: str) -> tuple[np.ndarray, np.ndarray] | None:
    """LibRaw's half-size development (``postprocess(half_size=True, **kw)``: each 2×2
    block one pixel, no demosaic) of a plain 2×2 Bayer sensor, done in numpy: black
    subtraction, LibRaw's white-balance scaling with its rounding, the greens averaged,
    highlight clip/blend, the camera → sRGB matrix LibRaw builds, clipped 16-bit codes —
    within a code or two of LibRaw's output in about a third of its time (its half-size
    path still walks the whole frame through its generic per-pixel steps). Returns the
    image and the four multipliers applied (as LibRaw reports them), or None where LibRaw
    must do it (other sensors, reconstruct, odd frame sizes, no camera matrix...)."""
    try:
        if highlights not in ("clip", "blend") or raw.num_colors != 3 or np.shape(raw.raw_pattern) != (2, 2):
            return None
        img = raw.raw_image_visible
        blacks = [int(b) for b in raw.black_level_per_channel]
        s = raw.sizes
        colors = [[int(raw.raw_color(y + s.top_margin, x + s.left_margin)) for x in (0, 1)] for y in (0, 1)]
        cmatrix = np.asarray(raw.color_matrix, np.float64)
        cam_xyz = np.asarray(raw.rgb_xyz_matrix, np.float64)
        if kw.get("user_wb") is not None:
            pre = np.asarray(kw["user_wb"], np.float64)
        elif kw.get("use_auto_wb"):
            return None
        elif kw.get("use_camera_wb"):
            pre = np.asarray(raw.camera_whitebalance, np.float64)
            if not (pre[0] > 0 and pre[2] > 0):  # LibRaw's auto estimate or its other fallbacks
                return None
        else:
            pre = np.asarray(raw.daylight_whitebalance, np.float64)
    except (AttributeError, NotImplementedError, RuntimeError, IndexError, TypeError):
        return None
    if img.ndim != 2 or img.dtype != np.uint16 or img.shape[0] % 2 or img.shape[1] % 2 or min(img.shape) < 2 \
            or min(blacks) != max(blacks) or sorted(colors[0] + colors[1]) != [0, 1, 2, 3] \
            or pre.size < 4 or not np.all(np.isfinite(pre)) or np.any(pre[:3] <= 0):
        return None
    # the camera → sRGB matrix (LibRaw's rgb_cam): a DNG's embedded one, one embedded in other
    # files when the camera's white balance is used, else from the XYZ → camera matrix
    if cmatrix[0, 0] > 0.125 and (p.suffix.lower() == ".dng" or kw.get("use_camera_wb")):
        rgb_cam = cmatrix[:, :3]
    elif np.abs(cam_xyz[:3]).sum() > 1e-6 and p.suffix.lower() != ".dng":
        cam_rgb = cam_xyz[:3] @ _LIBRAW_XYZ_RGB
        num = cam_rgb.sum(1, keepdims=True)
        if np.any(num <= 0.00001):
            return None
        rgb_cam = np.linalg.pinv(cam_rgb / num)
    else:
        return None
    rgb_cam = rgb_cam.astype(np.float32)
    black, maximum = blacks[0], int(raw.white_level) - blacks[0]
    if maximum <= 0:
        return None
    # scale_colors: multipliers normalised by the largest (blend) or smallest (clip)
    pre = pre[:4].astype(np.float32).astype(np.float64)
    if pre[3] == 0:
        pre[3] = pre[1]
    dmax = pre.max() if highlights == "blend" else pre.min()
    pre = (pre / dmax).astype(np.float32)
    scale = (pre.astype(np.float64) * 65535.0 / maximum).astype(np.float32)
    clip = float(min(int(np.float32(65535.0) * pre[c]) for c in range(3)))  # blend's clip level

    def develop(src: np.ndarray, dst: np.ndarray) -> None:  # rows of the frame → rows of the preview
        planes: list[np.ndarray] = [np.empty(0, np.float32)] * 4
        for dy in (0, 1):
            for dx in (0, 1):
                c = colors[dy][dx]
                v = src[dy::2, dx::2].astype(np.float32)
                v -= black
                v *= scale[c]  # LibRaw: (raw − black, at least 0) × multiplier, truncated, clipped
                np.clip(v, 0.0, 65535.0, out=v)
                np.floor(v, out=v)
                planes[c] = v
        r, g, b = planes[0], planes[1], planes[2]
        g += planes[3]  # the two greens averaged, rounded down
        g *= 0.5
        np.floor(g, out=g)
        hot = ((r > clip) | (g > clip) | (b > clip)) if highlights == "blend" else None
        if hot is not None and hot.any():  # LibRaw's blend_highlights, on the pixels above the clip level
            cam0 = np.stack([r[hot], g[hot], b[hot]])
            cam1 = np.minimum(cam0, np.float32(clip))
            lab0, lab1 = (np.stack([((t[0] * x[0]) + t[1] * x[1]) + t[2] * x[2] for t in _BLEND]) for x in (cam0, cam1))
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.sqrt((lab1[1] * lab1[1] + lab1[2] * lab1[2]) / (lab0[1] * lab0[1] + lab0[2] * lab0[2]))
            lab0[1:] *= ratio
            out = np.stack([((t[0] * lab0[0]) + t[1] * lab0[1]) + t[2] * lab0[2] for t in _BLEND_INV]) / np.float32(3)
            out = np.nan_to_num(out, nan=0.0, posinf=65535.0, neginf=0.0)
            r[hot], g[hot], b[hot] = np.trunc(np.clip(out, 0.0, 65535.0))
        for c in range(3):  # convert_to_rgb: float sums in LibRaw's order, truncated, clipped
            o = rgb_cam[c, 0] * r
            o += rgb_cam[c, 1] * g
            o += rgb_cam[c, 2] * b
            np.clip(o, 0.0, 65535.0, out=o)
            dst[..., c] = o

    h2, w2 = img.shape[0] // 2, img.shape[1] // 2
    rgb16 = np.empty((h2, w2, 3), np.uint16)
    cut = h2 // 2 if h2 * w2 >= 1 << 18 else h2  # two slabs on two threads (numpy releases the GIL)
    parts = [(img[:2 * cut], rgb16[:cut]), (img[2 * cut:], rgb16[cut:])]
    list(_threads().map(lambda part: develop(*part), [pt for pt in parts if len(pt[1])]))
    return rgb16, pre.astype(np.float64)


_POOL: tuple[int, Any] | None = None


def _threads():
    """A small thread pool for numpy work split in slabs (two workers; a new one in a
    forked child, which does not inherit the threads)."""
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid():
        from concurrent.futures import ThreadPoolExecutor
        _POOL = (os.getpid(), ThreadPoolExecutor(max_workers=2, thread_name_prefix="kolors-raw"))
    return _POOL[1]


def _mul3(v) -> tuple[float, float, float] | None:
    if v is None:
        return None
    a = np.asarray(v, np.float64)[:3]
    if a.size < 3 or not np.all(np.isfinite(a)) or not np.all(a > 0):
        return None
    return tuple(float(x) for x in a / a[1])  # type: ignore[return-value]


# ============================================================================ LibRaw plumbing
_STDERR_LOCK = threading.Lock()


@contextlib.contextmanager
def _captured_stderr(sink: list[str]) -> Iterator[None]:
    """Capture what LibRaw prints on file descriptor 2 (e.g. 'file: Unexpected end of file')
    into ``sink``; other text written meanwhile is passed on to stderr afterwards."""
    with _STDERR_LOCK:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, AttributeError, ValueError):
            yield
            return
        tmp = tempfile.TemporaryFile()
        try:
            os.dup2(tmp.fileno(), 2)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    sys.stderr.flush()
                os.dup2(saved, 2)
        finally:
            os.close(saved)
            tmp.seek(0)
            text = tmp.read().decode("utf-8", "replace")
            tmp.close()
            other = []
            for line in text.splitlines():
                if line.strip():
                    (sink if ("Unexpected end of file" in line or "Corrupt data" in line
                              or "libraw" in line.lower()) else other).append(line.strip())
            if other:
                with contextlib.suppress(Exception):
                    sys.stderr.write("\n".join(other) + "\n")


def _libraw_detail(lines: list[str], path: Path) -> str:
    out = []
    for ln in lines:
        ln = ln.replace(str(path), "").lstrip(": ").strip()
        if ln and ln not in out:
            out.append(ln)
    return "; ".join(out)


def _check_file(p: Path) -> int:
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a RAW file")
    why = UNSUPPORTED_SUFFIXES.get(p.suffix.lower())
    if why:
        raise UnsupportedFormat(f"{p}: {why}")
    try:
        size = p.stat().st_size
        with open(p, "rb") as f:
            head = f.read(16)
    except PermissionError as e:
        raise InputError(f"{p}: permission denied") from e
    except OSError as e:
        raise InputError(f"{p}: cannot be read ({e.strerror or e})") from e
    if size == 0:
        raise InputError(f"{p}: empty file (0 bytes)")
    why = _tiff_truncation(p, size)
    if why:
        raise InputError(f"{p}: truncated RAW file ({why})")
    return size


def _head(p: Path) -> bytes:
    try:
        with open(p, "rb") as f:
            return f.read(16)
    except OSError:
        return b""


def _map_error(p: Path, e: BaseException, lines: list[str]) -> InputError:
    rawpy = _rawpy()
    detail = _libraw_detail(lines, p)
    if isinstance(e, rawpy.LibRawFileUnsupportedError):
        kind = _sniff(_head(p))
        if kind and kind != "TIFF":
            return InputError(f"{p}: not a camera RAW file: the data is a {kind} image (wrong file extension?)")
        return UnsupportedFormat(f"{p}: not a camera RAW format LibRaw can read (unsupported, "
                                 "or the file is damaged)")
    if isinstance(e, rawpy.LibRawTooBigError):
        return InputError(f"{p}: RAW image too big to decode")
    if isinstance(e, (rawpy.LibRawIOError, rawpy.LibRawDataError)):
        return InputError(f"{p}: truncated or corrupt RAW data" + (f" ({detail})" if detail else ""))
    if isinstance(e, MemoryError) or (hasattr(rawpy, "LibRawMemoryError") and isinstance(e, rawpy.LibRawMemoryError)):
        return InputError(f"{p}: not enough memory to decode this RAW file")
    text = " ".join(str(e).split()) or type(e).__name__
    return InputError(f"{p}: cannot decode RAW file ({text}{'; ' + detail if detail else ''})")


@contextlib.contextmanager
def _libraw(p: Path) -> Iterator[Any]:
    """Open ``p`` with rawpy (errors mapped to InputError naming the file)."""
    rawpy = _rawpy()
    lines: list[str] = []
    raw = None
    try:
        with _captured_stderr(lines):
            raw = rawpy.imread(str(p))
    except (rawpy.LibRawError, MemoryError, OSError) as e:
        if isinstance(e, OSError) and not isinstance(e, rawpy.LibRawError):
            raise InputError(f"{p}: cannot be read ({e.strerror or e})") from e
        raise _map_error(p, e, lines) from e
    try:
        yield raw
    finally:
        raw.close()


def _call(p: Path, fn, *a, **kw):
    """Run a LibRaw call on ``p`` with errors mapped and LibRaw's messages captured."""
    rawpy = _rawpy()
    lines: list[str] = []
    try:
        with _captured_stderr(lines):
            out = fn(*a, **kw)
    except (rawpy.LibRawError, MemoryError) as e:
        raise _map_error(p, e, lines) from e
    if lines and any("Unexpected end of file" in ln for ln in lines):
        raise InputError(f"{p}: truncated RAW data ({_libraw_detail(lines, p)})")
    return out


# make/model are not wrapped by rawpy: read them through LibRaw's C API (libraw_get_iparams)
_LIB: Any = None


def _libraw_c():
    global _LIB
    if _LIB is None:
        _LIB = False
        rawpy = _rawpy()
        here = Path(rawpy.__file__).parent
        cands = sorted(glob.glob(str(here / "libraw_r.so*"))) + sorted(glob.glob(str(here / "*.dylibs" / "libraw*"))) \
            + sorted(glob.glob(str(here.parent / "rawpy.libs" / "libraw*"))) + sorted(glob.glob(str(here / "libraw*.dll")))
        for c in cands:
            try:
                lib = ctypes.CDLL(c)
                lib.libraw_init.restype = ctypes.c_void_p
                lib.libraw_init.argtypes = [ctypes.c_uint]
                lib.libraw_open_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
                lib.libraw_open_file.restype = ctypes.c_int
                lib.libraw_get_iparams.argtypes = [ctypes.c_void_p]
                lib.libraw_get_iparams.restype = ctypes.c_void_p
                lib.libraw_close.argtypes = [ctypes.c_void_p]
                _LIB = lib
                break
            except (OSError, AttributeError):
                continue
    return _LIB or None


def _make_model(p: Path) -> tuple[str, str, str]:
    """(make, model, software) from LibRaw's ``libraw_iparams_t`` (guard[4], make[64],
    model[64], software[64]); empty strings when unavailable."""
    lib = _libraw_c()
    if lib is None:
        return "", "", ""
    h = lib.libraw_init(0)
    if not h:
        return "", "", ""
    try:
        lines: list[str] = []
        with _captured_stderr(lines):
            rc = lib.libraw_open_file(h, os.fsencode(str(p)))
        if rc != 0:
            return "", "", ""
        ip = lib.libraw_get_iparams(h)
        if not ip:
            return "", "", ""
        b = ctypes.string_at(ip, 4 + 64 * 3)

        def s(i: int) -> str:
            return b[4 + 64 * i:4 + 64 * (i + 1)].split(b"\0")[0].decode("latin-1").strip()
        return s(0), s(1), s(2)
    finally:
        lib.libraw_close(h)


def _metadata(p: Path, raw) -> RawMetadata:
    make, model, software = _make_model(p)
    o, lens = getattr(raw, "other", None), getattr(raw, "lens", None)
    if o is None or lens is None:  # rawpy < 0.27
        return RawMetadata(make=make, model=model, software=software)

    def pos(v) -> float | None:
        v = float(v)
        return v if math.isfinite(v) and v > 0 else None
    ts = o.timestamp
    if ts is not None and (ts.year <= 1970):
        ts = None
    return RawMetadata(make=make, model=model, software=software, iso=pos(o.iso_speed) or _tiff_iso(p),
                       shutter=pos(o.shutter_speed),
                       aperture=pos(o.aperture), focal_length=pos(o.focal_length),
                       lens=(lens.model or "").strip(), lens_make=(lens.make or "").strip(), timestamp=ts,
                       artist=(o.artist or "").strip())


def _tiff_iso(p: Path) -> float | None:
    """ISO of a TIFF-structured RAW (DNG, ...) from its own tags, for when LibRaw reports
    none: ISOSpeedRatings / PhotographicSensitivity (34855) in IFD0, where pidng writes it
    and LibRaw does not pick it up, or in the EXIF IFD."""
    import warnings

    from PIL import TiffImagePlugin
    try:
        with open(p, "rb") as f, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            head = f.read(8)
            if head[:4] not in (b"II*\x00", b"MM\x00*"):
                return None
            ifd0 = TiffImagePlugin.ImageFileDirectory_v2(head)
            f.seek(ifd0.next)
            ifd0.load(f)
            iso = ifd0.get(34855)
            if iso is None and ifd0.get(34665):
                exif = TiffImagePlugin.ImageFileDirectory_v2(head)
                f.seek(int(ifd0[34665]))
                exif.load(f)
                iso = exif.get(34855)
        if isinstance(iso, tuple):
            iso = iso[0] if iso else None
        iso = float(iso) if iso is not None else None
    except Exception:  # noqa: BLE001 - damaged tags: no ISO
        return None
    return iso if iso is not None and math.isfinite(iso) and iso > 0 else None


_FLIP_TO_EXIF = {0: 1, 3: 3, 5: 8, 6: 6}


def _orient(a: np.ndarray, flip: int) -> np.ndarray:
    if flip == 3:
        return a[::-1, ::-1]
    if flip == 5:  # 90° counter-clockwise
        return np.rot90(a, 1)
    if flip == 6:  # 90° clockwise
        return np.rot90(a, -1)
    return a


def _crop_rect(sizes, half: bool) -> tuple[int, int, int, int] | None:
    """The camera's default crop (LibRaw's inset crop, relative to the raw frame) in
    LibRaw's output coordinates before orientation, or None."""
    cw, ch = int(sizes.crop_width or 0), int(sizes.crop_height or 0)
    if cw <= 0 or ch <= 0:
        return None
    x = int(sizes.crop_left_margin) - int(sizes.left_margin)
    y = int(sizes.crop_top_margin) - int(sizes.top_margin)
    if x < 0 or y < 0 or x + cw > sizes.width or y + ch > sizes.height or (cw, ch) == (sizes.width, sizes.height):
        return None
    if half:
        x, y, cw, ch = x // 2, y // 2, cw // 2, ch // 2
    return x, y, cw, ch


def _srgb_to_linear16_u8() -> np.ndarray:
    """8-bit sRGB code → 16-bit linear code (a 256-entry table)."""
    v = np.arange(256, dtype=np.float64) / 255.0
    lin = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    return np.rint(lin * 65535.0).astype(np.uint16)


def _thumb_array(p: Path, raw, max_size: int | None = None) -> np.ndarray | None:
    """The embedded preview as H×W×3 uint8 sRGB (sensor orientation), or None."""
    import io as _io

    from PIL import Image
    rawpy = _rawpy()
    lines: list[str] = []
    try:
        with _captured_stderr(lines):
            th = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    except rawpy.LibRawError as e:
        if isinstance(e, (rawpy.LibRawIOError, rawpy.LibRawDataError)):
            return None
        raise _map_error(p, e, lines) from e
    try:
        if th.format == rawpy.ThumbFormat.JPEG:
            im = Image.open(_io.BytesIO(th.data))
            if max_size:
                im.draft("RGB", (max_size, max_size))
            arr = np.asarray(im.convert("RGB"))
        else:
            arr = np.asarray(th.data)
            if arr.ndim == 2:
                arr = np.repeat(arr[..., None], 3, 2)
            if arr.dtype != np.uint8:
                arr = (arr.astype(np.float32) / max(1.0, float(np.iinfo(arr.dtype).max)) * 255 + 0.5).astype(np.uint8)
            arr = arr[..., :3]
    except Exception:  # noqa: BLE001 - a broken preview is no preview
        return None
    if arr.ndim != 3 or arr.shape[0] < 2 or arr.shape[1] < 2:
        return None
    return arr


# ============================================================================ cache
_CACHE: OrderedDict[tuple, RawPhoto] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_LIMIT = int(float(os.environ.get("KOLORS_RAW_CACHE_MB", "1024")) * 2 ** 20)
_STATS = {"hits": 0, "misses": 0}


def set_cache_limit(nbytes: int) -> None:
    """Bound the decode cache to ``nbytes`` (0 disables it); evicts to fit."""
    global _CACHE_LIMIT
    _CACHE_LIMIT = max(0, int(nbytes))
    with _CACHE_LOCK:
        _evict()


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()
        _STATS.update(hits=0, misses=0)


def cache_info() -> dict[str, int]:
    """{'entries', 'bytes', 'limit', 'hits', 'misses'} of the decode cache."""
    with _CACHE_LOCK:
        return {"entries": len(_CACHE), "bytes": sum(v.nbytes for v in _CACHE.values()),
                "limit": _CACHE_LIMIT, **_STATS}


def _evict() -> None:
    total = sum(v.nbytes for v in _CACHE.values())
    while _CACHE and total > _CACHE_LIMIT:
        _, old = _CACHE.popitem(last=False)
        total -= old.nbytes


# ============================================================================ reading
def read_raw(path: str | os.PathLike, options: RawOptions | Mapping[str, Any] | None = None, *,
             mode: str = "full", cache: bool = True) -> RawPhoto:
    """Develop the RAW file ``path`` into linear float32 (see the module docstring).

    ``options``: :class:`RawOptions` (or its dict). ``mode``: ``'full'`` (demosaiced, for
    export), ``'half'`` (half-size, no demosaic: the interactive preview) or ``'embedded'``
    (the camera's JPEG preview, linearised, for speed; falls back to 'half' when the file
    has none). ``cache``: reuse / keep the result in the decode cache."""
    p = Path(os.fspath(path))
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    opts = options if isinstance(options, RawOptions) else RawOptions.from_dict(options)
    _check_file(p)
    st = p.stat()
    key = (str(p.resolve()), st.st_mtime_ns, st.st_size, opts._key(), mode)
    if cache:
        with _CACHE_LOCK:
            hit = _CACHE.get(key)
            if hit is not None:
                _CACHE.move_to_end(key)
                _STATS["hits"] += 1
                return hit
            _STATS["misses"] += 1
    photo = _decode(p, opts, mode)
    if cache and photo.nbytes <= _CACHE_LIMIT:
        with _CACHE_LOCK:
            _CACHE[key] = photo
            _evict()
    return photo


def _validate_raw_data(p: Path, raw) -> None:
    """LibRaw decodes some damaged files to nothing instead of failing: refuse those."""
    img = raw.raw_image_visible
    if img.size == 0:
        raise InputError(f"{p}: RAW file has no image data")
    if img.ndim == 3:  # already-demosaiced / linear DNG: check the first plane
        img = img[..., 0]
    if not img.any():
        raise InputError(f"{p}: RAW file contains no image data (all zero: header only or truncated?)")
    black = min(raw.black_level_per_channel) if raw.black_level_per_channel else 0
    h = img.shape[0]
    tail = max(4, h // 100)
    if black > 0 and h > 2 * tail and not img[-tail:].any():
        raise InputError(f"{p}: truncated RAW data (the last rows are empty)")


def _decode(p: Path, opts: RawOptions, mode: str) -> RawPhoto:
    rawpy = _rawpy()
    with _libraw(p) as raw:
        sizes = raw.sizes
        if sizes.width * sizes.height > MAX_PIXELS:
            raise InputError(f"{p}: RAW image is {sizes.width}×{sizes.height}, more than the "
                             f"{MAX_PIXELS / 1e6:.0f} MP limit")
        if sizes.width <= 0 or sizes.height <= 0:
            raise InputError(f"{p}: RAW file has no image (size {sizes.width}×{sizes.height})")
        _call(p, raw.unpack)  # first: rawpy's attributes unpack implicitly, outside the error mapping
        _validate_raw_data(p, raw)
        meta = _metadata(p, raw)
        black, white_level = float(min(raw.black_level_per_channel)), float(raw.white_level)  # before postprocess
        m = _xyz_to_camera(raw)
        as_shot = _mul3(raw.camera_whitebalance)
        daylight = _mul3(raw.daylight_whitebalance)
        flip = int(sizes.flip or 0)
        own_flip = flip in _FLIP_TO_EXIF
        full_wh = (sizes.width, sizes.height)
        crop0 = _crop_rect(sizes, False) if own_flip else None
        if crop0:
            full_wh = (crop0[2], crop0[3])
        if own_flip and flip in (5, 6):
            full_wh = (full_wh[1], full_wh[0])

        if mode == "embedded":
            thumb = _thumb_array(p, raw)
            if thumb is not None:
                lin16 = _srgb_to_linear16_u8()[_orient(thumb, flip) if own_flip else thumb]
                asw = white_of_multipliers(m, as_shot)
                return RawPhoto(lin16, 1.0 / 65535.0, p, "embedded", opts, meta, (lin16.shape[1], lin16.shape[0]),
                                full_wh, _FLIP_TO_EXIF.get(flip, 1) if own_flip else 1, "camera preview",
                                as_shot or daylight or (1.0, 1.0, 1.0), asw, as_shot, asw, daylight, 1.0,
                                black, white_level, meta.exif(), None, m)
            mode = "half"

        kw: dict[str, Any] = dict(output_color=rawpy.ColorSpace.sRGB, gamma=(1.0, 1.0), no_auto_bright=True,
                                  output_bps=16, adjust_maximum_thr=0.0, half_size=(mode == "half"),
                                  user_flip=0 if own_flip else None,
                                  highlight_mode={"clip": rawpy.HighlightMode.Clip,
                                                  "blend": rawpy.HighlightMode.Blend,
                                                  "reconstruct": rawpy.HighlightMode.ReconstructDefault}[opts.highlights],
                                  demosaic_algorithm=getattr(rawpy.DemosaicAlgorithm, opts.demosaic.upper()))
        wb_mode = opts.white_balance
        if wb_mode == "as_shot":
            kw["use_camera_wb"] = True
            if as_shot is None:
                wb_mode = "auto (the file has no as-shot white balance)"
        elif wb_mode == "auto":
            kw["use_auto_wb"] = True
        if kw.get("use_auto_wb") or (kw.get("use_camera_wb") and raw.camera_whitebalance[0] == -1
                                     and _camera_wb_keeps_matrix(p, raw)):
            grey = _grey_world(raw)  # LibRaw's own estimate, computed faster (same output)
            if grey is not None:
                kw.pop("use_auto_wb", None)
                kw.pop("use_camera_wb", None)
                kw["user_wb"] = grey
        elif wb_mode == "custom":
            if m is None:
                raise InputError(f"{p}: custom white balance needs the camera's colour matrix, which LibRaw "
                                 "does not have for this camera; use as_shot, auto or daylight")
            try:
                mr, mg, mb = wb_multipliers(m, opts.temperature, opts.tint)
            except ValueError as e:
                raise InputError(f"{p}: {e}") from None
            kw["user_wb"] = [mr, mg, mb, mg]
        fast = _half_develop(p, raw, kw, opts.highlights) if mode == "half" else None
        if fast is not None:
            rgb16, applied = fast
        else:
            rgb16 = _call(p, raw.postprocess, **kw)
            applied = np.asarray(raw.auto_whitebalance if raw.auto_whitebalance is not None else [1, 1, 1, 1],
                                 np.float64)
        pos = applied[applied > 0]
        headroom = float(pos.max() / pos.min()) if opts.highlights != "clip" and pos.size else 1.0
        mul = _mul3(applied) or (1.0, 1.0, 1.0)

    crop = _crop_rect(sizes, mode == "half") if own_flip else None
    if crop:
        x, y, w, h = crop
        rgb16 = rgb16[y:y + h, x:x + w]
    if own_flip:
        rgb16 = _orient(rgb16, flip)
    white = white_of_multipliers(m, mul)
    as_shot_white = white if as_shot == mul else white_of_multipliers(m, as_shot)
    return RawPhoto(rgb16, headroom / 65535.0, p, mode, opts, meta, (rgb16.shape[1], rgb16.shape[0]), full_wh,
                    _FLIP_TO_EXIF.get(flip, 1), wb_mode, mul, white, as_shot, as_shot_white,
                    daylight, headroom, black, white_level, meta.exif(), crop, m)


def extract_thumb(path: str | os.PathLike, max_size: int | None = None) -> np.ndarray:
    """A filmstrip thumbnail of the RAW file ``path``: ``H×W×3`` uint8, sRGB-encoded,
    upright. The embedded JPEG/bitmap preview when there is one (JPEG decoded at a reduced
    scale when ``max_size`` allows), otherwise a half-size decode (as-shot white balance,
    clipped, sRGB-encoded). With ``max_size`` the long side is at most that many pixels."""
    import cv2
    p = Path(os.fspath(path))
    _check_file(p)
    arr = None
    with _libraw(p) as raw:
        flip = int(raw.sizes.flip or 0)
        t = _thumb_array(p, raw, max_size)
        if t is not None:
            arr = np.ascontiguousarray(_orient(t, flip))
    if arr is None:
        ph = read_raw(p, RawOptions(highlights="clip"), mode="half", cache=False)
        v = np.clip(ph.data, 0.0, 1.0)
        enc = np.where(v <= 0.0031308, v * 12.92, 1.055 * np.power(v, 1 / 2.4) - 0.055)
        arr = (enc * 255.0 + 0.5).astype(np.uint8)
    if max_size and max(arr.shape[:2]) > max_size:
        s = max_size / max(arr.shape[:2])
        arr = cv2.resize(arr, (max(1, round(arr.shape[1] * s)), max(1, round(arr.shape[0] * s))),
                         interpolation=cv2.INTER_AREA)
    return arr


def _fmt_wb(mul) -> str:
    return " ".join(f"{v:.3f}" for v in mul)


def raw_info(path: str | os.PathLike) -> dict[str, Any]:
    """Header facts about a RAW file without developing it (for ``kolors info``): the keys
    of :func:`kolors.io.images.image_info` (``path``, ``format`` 'RAW', ``width``/``height``
    of the developed image, upright; ``bits`` of the sensor data; ``orientation``;
    ``camera_make``, ``camera_model``, ``lens``, ``iso``, ``exposure_time`` ('1/200 s'),
    ``f_number`` ('f/11'), ``focal_length`` ('100 mm'), ``datetime`` when known), plus
    ``cfa`` (the colour filter pattern), ``black_level``, ``white_level``,
    ``as_shot_wb`` (R G B multipliers) and ``as_shot_white`` ('5200 K, tint +3')."""
    p = Path(os.fspath(path))
    _check_file(p)
    with _libraw(p) as raw:
        _call(p, raw.unpack)  # rawpy's attributes unpack anyway; this way damage is reported
        _validate_raw_data(p, raw)
        s = raw.sizes
        flip = int(s.flip or 0)
        crop = _crop_rect(s, False) if flip in _FLIP_TO_EXIF else None
        w, h = (crop[2], crop[3]) if crop else (s.width, s.height)
        if flip in (5, 6):
            w, h = h, w
        meta = _metadata(p, raw)
        m = _xyz_to_camera(raw)
        as_shot = _mul3(raw.camera_whitebalance)
        desc = raw.color_desc.decode("latin-1", "replace") if isinstance(raw.color_desc, bytes) else str(raw.color_desc)
        try:
            pat = "".join(desc[i] for i in np.asarray(raw.raw_pattern).ravel()) if raw.raw_pattern is not None else ""
        except (IndexError, TypeError):
            pat = ""
        info: dict[str, Any] = {"path": str(p), "format": "RAW", "width": int(w), "height": int(h),
                                "bits": max(8, int(math.ceil(math.log2(max(2, raw.white_level + 1))))),
                                "orientation": _FLIP_TO_EXIF.get(flip, 1)}
        info.update(_exif_fields(meta.exif()))
        if meta.lens_make and "lens_make" not in info:
            info["lens_make"] = meta.lens_make
        info["cfa"] = pat or desc
        info["black_level"] = int(min(raw.black_level_per_channel))
        info["white_level"] = int(raw.white_level)
        if as_shot:
            info["as_shot_wb"] = _fmt_wb(as_shot)
            wt = white_of_multipliers(m, as_shot)
            if wt:
                info["as_shot_white"] = f"{wt[0]:.0f} K, tint {wt[1]:+.0f}"
    return info


# ============================================================================ TIFF-structure check
_TIFF_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}


def _tiff_truncation(p: Path, size: int) -> str | None:
    """For TIFF-structured RAWs (DNG, NEF, CR2, ARW, PEF, ...): a reason why the file is cut
    short (an IFD, or the image strips/tiles it points to, beyond the end of the file), or
    None. LibRaw reads missing data as whatever is in memory instead of failing."""
    import struct
    try:
        with open(p, "rb") as f:
            head = f.read(8)
            if head[:4] not in (b"II*\x00", b"MM\x00*"):
                return None
            e = "<" if head[:2] == b"II" else ">"

            def read(off: int, n: int) -> bytes:
                f.seek(off)
                return f.read(n)

            def values(off_or_inline: bytes, typ: int, count: int) -> list[int] | None:
                n = _TIFF_TYPE_SIZE.get(typ, 1) * count
                if n <= 4:
                    raw = off_or_inline[:n]
                else:
                    off = struct.unpack(e + "I", off_or_inline)[0]
                    if off + n > size:
                        return None
                    raw = read(off, n)
                fmt = {3: "H", 4: "I", 13: "I", 16: "Q"}.get(typ)
                if fmt is None:
                    return []
                return list(struct.unpack(e + fmt * count, raw))

            todo, seen, n_ifd = [struct.unpack(e + "I", head[4:8])[0]], set(), 0
            while todo and n_ifd < 64:
                off = todo.pop()
                if off == 0 or off in seen:
                    continue
                seen.add(off)
                n_ifd += 1
                if off + 2 > size:
                    return "an image directory lies beyond the end of the file"
                n = struct.unpack(e + "H", read(off, 2))[0]
                if off + 2 + 12 * n + 4 > size:
                    return "an image directory runs past the end of the file"
                table = read(off + 2, 12 * n + 4)
                tags: dict[int, list[int] | None] = {}
                for i in range(n):
                    tag, typ, count = struct.unpack(e + "HHI", table[12 * i:12 * i + 8])
                    if tag in (273, 279, 324, 325, 330):
                        tags[tag] = values(table[12 * i + 8:12 * i + 12], typ, count)
                for a, b in ((273, 279), (324, 325)):
                    if a in tags or b in tags:
                        offs, cnts = tags.get(a), tags.get(b)
                        if offs is None or cnts is None:
                            return "the image data table lies beyond the end of the file"
                        if any(o + c > size for o, c in zip(offs, cnts)):
                            return "the image data lies beyond the end of the file"
                todo.extend(tags.get(330) or [])
                nxt = struct.unpack(e + "I", table[12 * n:12 * n + 4])[0]
                todo.append(nxt)
    except (OSError, struct.error):
        return None
    return None


def embedded_thumbnail(path: str | os.PathLike, max_size: int | None = None) -> np.ndarray | None:
    """The camera's embedded JPEG/bitmap preview of ``path`` as ``H×W×3`` uint8 sRGB,
    upright (the camera's rendering, for file browsers), or None when it has none.
    Raises :class:`InputError` naming the file when LibRaw cannot open it."""
    p = Path(os.fspath(path))
    _check_file(p)
    with _libraw(p) as raw:
        arr = _thumb_array(p, raw, max_size)
        flip = int(raw.sizes.flip or 0)
    if arr is None:
        return None
    return np.ascontiguousarray(_orient(arr, flip))
