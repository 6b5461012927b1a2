"""Decoding a probed image file (:mod:`.probe`) into upright sRGB pixels and its alpha.

:func:`_decode` returns ``(rgb, alpha, bits, converted_from)``: ``rgb`` is ``H×W×3`` in
the file's own precision (uint8, uint16 or float32; float values may lie outside [0, 1]),
**sRGB-encoded** (ICC profiles converted, :mod:`.icc`), grey expanded to RGB, upright (EXIF
orientation applied, all 8 cases); ``alpha`` is ``H×W`` of the same dtype, **straight**
(not premultiplied: TIFF associated alpha is divided out), oriented like ``rgb``, or None.
Alpha is never colour-converted. ``bits``: 8, 16 or 32.

Decoders: Pillow for JPEG, WebP, PNG up to 8 bits and 8-bit TIFF with alpha; OpenCV
(``cv2.imdecode``, ``IMREAD_UNCHANGED``, BGR→RGB) for 16-bit PNG and other TIFFs (Pillow
reduces 16-bit RGB to 8 bits and cannot open float RGB TIFFs). Truncated or corrupt data
raises :class:`~kolors.errors.InputError` naming the file, never a partial image.

Non-finite samples of float images (NaN, ±Inf) are replaced before anything else sees
them — NaN → 0, −Inf → 0, +Inf → the largest finite value of the image's colour samples,
at least 1.0 (white); in alpha +Inf → 1.0 — with one warning per file saying how many
pixels held them.
"""
from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from ...errors import InputError, UnsupportedFormat
from .exif import _exif_normalise
from .icc import _convert_hi, _Icc, _is_srgb, _lcms_8bit, _parse_icc
from .probe import _Probe, _truncated


def _decode(pr: _Probe) -> tuple[np.ndarray, np.ndarray | None, int, str]:
    """The pixels of ``pr`` (see the module docstring)."""
    p = pr.path
    icc = _parse_icc_or_warn(pr)
    needs_cms = icc is not None and not _is_srgb(icc)
    described = ""
    if pr.pil is not None:  # 8-bit through Pillow
        arr, im, alpha = _pil_decode(pr)
        if im.mode == "CMYK" or needs_cms:
            arr, described = _lcms_8bit(p, pr.icc, im, icc)
        if arr.ndim == 2:
            arr = arr[..., None]
        bits = 8
    else:
        arr, alpha = _cv_decode(pr)
        if arr.dtype not in (np.uint8, np.uint16, np.float32):
            raise UnsupportedFormat(f"{p}: {arr.dtype} samples are not supported")
        bits = 32 if arr.dtype == np.float32 else 16 if arr.dtype == np.uint16 else 8
        if bits == 32:
            _replace_non_finite(p, arr, alpha)
        if alpha is not None and pr.alpha == "associated":
            arr = _unpremultiply(arr, alpha)
        if needs_cms and {"RGB": 3, "GRAY": 1}.get(icc.space) != arr.shape[2]:
            warnings.warn(f"{p}: its {icc.space} ICC profile '{icc.description}' does not fit "
                          f"{arr.shape[2]}-channel data; taken as sRGB", stacklevel=3)
            needs_cms = False
        if needs_cms:
            if bits == 8:
                im = Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr,
                                     "L" if arr.shape[2] == 1 else "RGB")
                arr, described = _lcms_8bit(p, pr.icc, im, icc)
                if arr.ndim == 2:
                    arr = arr[..., None]
            else:
                arr = _convert_hi(p, pr.icc, icc, arr)
                described = icc.description
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, 2)
    arr = _orient(arr, pr.orientation)
    if not arr.flags.writeable:
        arr = arr.copy()
    if alpha is not None:
        alpha = _orient(alpha, pr.orientation)
        if not alpha.flags.writeable:
            alpha = alpha.copy()
    return arr, alpha, bits, described


def _parse_icc_or_warn(pr: _Probe) -> _Icc | None:
    """The file's parsed ICC profile; None without one, or with a warning when malformed."""
    if not pr.icc:
        return None
    try:
        return _parse_icc(pr.icc)
    except (ValueError, struct.error, KeyError):
        warnings.warn(f"{pr.path}: malformed ICC profile ignored (taken as sRGB)", stacklevel=4)
        return None


def _cv_decode(pr: _Probe) -> tuple[np.ndarray, np.ndarray | None]:
    """OpenCV's decode of ``pr``: the colour samples ``H×W×C`` (C = 1 grey, kept 1-channel
    until after the ICC step, or 3 RGB) as stored, and the alpha samples ``H×W`` as stored
    (associated alpha still premultiplied) or None."""
    import cv2  # here, not at the top: OpenCV takes a quarter of a second to import
    buf = pr.buf
    if pr.format == "TIFF" and pr.orientation != 1:
        # OpenCV's TIFF decoder applies the Orientation tag itself (whatever the flags);
        # reset it in a copy so that orientation is applied in one place, here
        try:
            buf = _exif_normalise(buf)[6:]
        except (ValueError, struct.error):
            pass
    log = getattr(getattr(cv2, "utils", None), "logging", None)
    level = log.getLogLevel() if log else None
    if log:
        log.setLogLevel(log.LOG_LEVEL_SILENT)  # libtiff/libpng chatter: our error says it once
    try:
        arr = cv2.imdecode(np.frombuffer(buf, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error as e:
        raise _truncated(pr.path, pr.format + " ") from e
    finally:
        if log:
            log.setLogLevel(level)
    if arr is None:
        raise _truncated(pr.path, pr.format + " ")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.shape[:2] != (pr.height, pr.width):
        raise _truncated(pr.path, pr.format + " ")
    if arr.ndim == 2:
        return arr[..., None], None
    alpha = None
    if arr.shape[2] in (2, 4):
        alpha = np.ascontiguousarray(arr[..., -1])
        if pr.alpha == "unspecified":
            warnings.warn(f"{pr.path}: its extra channel is not marked as transparency (TIFF ExtraSamples "
                          "'unspecified') and is ignored", stacklevel=4)
            alpha = None
    if arr.shape[2] == 2 or pr.channels == 2:  # grey + alpha (16-bit PNG decodes as BGRA)
        return np.ascontiguousarray(arr[..., :1]), alpha
    return np.ascontiguousarray(arr[..., 2::-1]), alpha  # BGR(A) → RGB


def _pil_decode(pr: _Probe) -> tuple[np.ndarray, Image.Image, np.ndarray | None]:
    """Pillow's decode of ``pr``: the colour samples (``H×W`` grey, ``H×W×3`` RGB or
    ``H×W×4`` CMYK, uint8), the Pillow image of them (for LittleCMS) and the straight alpha
    ``H×W`` uint8 or None (palette and single-colour ``tRNS`` transparency included)."""
    im = pr.pil
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im.load()
    except Image.DecompressionBombError as e:
        raise InputError(f"{pr.path}: image is too large ({e})") from e
    except (OSError, SyntaxError, ValueError, EOFError, zlib.error, struct.error) as e:
        raise _truncated(pr.path, pr.format + " ") from e
    alpha = None
    if pr.alpha or im.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in im.info:
        # straight alpha: Pillow divides premultiplied modes (RGBa, La) out when converting
        im = im.convert("LA" if im.mode in ("LA", "La") else "RGBA")
        bands = im.split()
        alpha = np.asarray(bands[-1])
        im = bands[0] if len(bands) == 2 else Image.merge("RGB", bands[:3])
    if im.mode in ("RGB", "L", "CMYK"):
        return np.asarray(im), im, alpha
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        raise UnsupportedFormat(f"{pr.path}: {im.mode} images are not supported")
    if im.mode == "1":
        im = im.convert("L")
    else:  # P, RGBX, YCbCr, …
        im = im.convert("RGB")
    return np.asarray(im), im, alpha


def _unpremultiply(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Straight colour from associated (premultiplied) ``rgb`` ``H×W×C`` and its alpha
    ``H×W`` of the same dtype (uint16 codes or float32): colour / alpha where alpha > 0
    (integer codes rounded and clipped), 0 where alpha is 0."""
    a = alpha[..., None].astype(np.float32)
    if rgb.dtype == np.float32:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a > 0, rgb / np.where(a > 0, a, 1), 0).astype(np.float32)
    m = np.float32(np.iinfo(rgb.dtype).max)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(a > 0, rgb.astype(np.float32) * m / np.where(a > 0, a, 1), 0)
    return np.clip(np.rint(v), 0, m).astype(rgb.dtype)


def _replace_non_finite(path: Path, rgb: np.ndarray, alpha: np.ndarray | None) -> int:
    """Replace NaN/±Inf samples of float32 ``rgb`` (``H×W×C``) and ``alpha`` (``H×W``) in
    place (the rule of the module docstring) and warn once naming ``path`` and how many
    pixels held them. Returns that number of pixels."""
    ok = np.isfinite(rgb)
    bad = ~ok.all(-1)
    if alpha is not None:
        bad |= ~np.isfinite(alpha)
    n = int(np.count_nonzero(bad))
    if not n:
        return 0
    nan = int(np.count_nonzero(np.isnan(rgb)))
    pos = int(np.count_nonzero(np.isposinf(rgb)))
    neg = int(np.count_nonzero(np.isneginf(rgb)))
    hi = max(1.0, float(np.max(rgb, where=ok, initial=-np.inf)))
    np.nan_to_num(rgb, copy=False, nan=0.0, posinf=hi, neginf=0.0)
    if alpha is not None:
        np.nan_to_num(alpha, copy=False, nan=0.0, posinf=1.0, neginf=0.0)
    kinds = ", ".join(f"{c} {k}" for c, k in ((nan, "NaN"), (pos, "+Inf"), (neg, "-Inf")) if c)
    total = bad.size
    warnings.warn(f"{path}: {n} of {total} pixels hold non-finite values ({kinds or 'in alpha'} samples): "
                  f"NaN and -Inf read as 0, +Inf as {hi:g}", stacklevel=4)
    return n


def _orient(a: np.ndarray, o: int) -> np.ndarray:
    """Turn stored pixels (``H×W`` or ``H×W×C``) upright for EXIF orientation ``o`` (1–8)."""
    if o == 2:
        a = a[:, ::-1]
    elif o == 3:
        a = a[::-1, ::-1]
    elif o == 4:
        a = a[::-1]
    elif o == 5:
        a = a.swapaxes(0, 1)
    elif o == 6:
        a = a.swapaxes(0, 1)[:, ::-1]  # 90° clockwise
    elif o == 7:
        a = a.swapaxes(0, 1)[::-1, ::-1]
    elif o == 8:
        a = a.swapaxes(0, 1)[::-1]  # 90° counter-clockwise
    return np.ascontiguousarray(a)
