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

The parts, one job each:

* :mod:`.detect` — :func:`is_raw`: a camera RAW by its suffix or its content.
* :mod:`.options` — :class:`RawOptions` and the names each option takes.
* :mod:`.photo` — :class:`RawPhoto`, the developed pixels and what was applied to them.
* :mod:`.metadata` — :class:`RawMetadata` and its EXIF block.
* :mod:`.wb` — white-balance maths (multipliers, lights, LibRaw's grey world in numpy).
* :mod:`.develop` — the half-size development in numpy.
* :mod:`.frame` — LibRaw's orientation and default crop.
* :mod:`.thumbs` — the camera's embedded preview.
* :mod:`.libraw` — opening and calling LibRaw, errors mapped, stderr captured, C API.
* :mod:`.check` — refusing damaged and unsupported files; :mod:`.tiff` — the TIFF
  directories of TIFF-based RAWs (truncation, DNG/CFA detection, ISO).
* :mod:`.cache` — the decode cache (:func:`set_cache_limit`, :func:`clear_cache`,
  :func:`cache_info`).

This module holds the entry points, each a short sequence of those steps:
:func:`read_raw`, :func:`raw_info`, :func:`extract_thumb`, :func:`embedded_thumbnail`.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ...errors import InputError
from ..formats import MAX_PIXELS
from ..images.exif import _exif_fields
from .cache import _key, _keep, _lookup, cache_info, clear_cache, set_cache_limit
from .check import UNSUPPORTED_SUFFIXES, _check_file, _validate_raw_data
from .detect import is_raw
from .develop import _half_develop
from .frame import _FLIP_TO_EXIF, _crop_rect, _orient
from .libraw import _call, _libraw, _rawpy
from .metadata import RawMetadata, _metadata
from .options import DEMOSAICS, HIGHLIGHTS, MODES, WHITE_BALANCES, RawOptions
from .photo import RawPhoto
from .thumbs import _srgb_to_linear16_u8, _thumb_array
from .tiff import is_dng
from .wb import (_camera_wb_keeps_matrix, _grey_world, _mul3, _xyz_to_camera, rebase_wb, wb_multipliers,
                 white_of_multipliers)

__all__ = ["RawOptions", "RawMetadata", "RawPhoto", "read_raw", "raw_info", "extract_thumb", "is_raw",
           "embedded_thumbnail", "wb_multipliers", "white_of_multipliers", "rebase_wb", "clear_cache",
           "cache_info", "set_cache_limit", "WHITE_BALANCES", "HIGHLIGHTS", "DEMOSAICS", "MODES",
           "UNSUPPORTED_SUFFIXES"]


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
    key = _key(p, opts._key(), mode)
    if cache:
        hit = _lookup(key)
        if hit is not None:
            return hit
    photo = _decode(p, opts, mode)
    if cache:
        _keep(key, photo)
    return photo


def _decode(p: Path, opts: RawOptions, mode: str) -> RawPhoto:
    """Develop ``p`` (checked by ``_check_file``): open it with LibRaw, unpack and validate
    the data, read the metadata and camera matrix, choose the white balance, develop
    (embedded preview, half size in numpy where the sensor allows, else LibRaw's
    postprocess), then crop and orient."""
    rawpy = _rawpy()
    dng = is_dng(p)
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
                                     and _camera_wb_keeps_matrix(raw, dng)):
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
        fast = _half_develop(raw, kw, opts.highlights, dng) if mode == "half" else None
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
        from ...core.colorimetry import linear_to_srgb
        arr = (linear_to_srgb(np.clip(ph.data, 0.0, 1.0)) * 255.0 + 0.5).astype(np.uint8)
    if max_size and max(arr.shape[:2]) > max_size:
        s = max_size / max(arr.shape[:2])
        arr = cv2.resize(arr, (max(1, round(arr.shape[1] * s)), max(1, round(arr.shape[0] * s))),
                         interpolation=cv2.INTER_AREA)
    return arr


def _fmt_wb(mul) -> str:
    """Multipliers as 'R G B' with three decimals."""
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
