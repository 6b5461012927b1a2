"""Reading and writing photos: JPEG, PNG (8/16-bit), TIFF (8/16-bit, 32-bit float), WebP.

:func:`read_image` returns a :class:`Photo`: ``data`` is an ``H×W×3`` RGB array in the
file's own precision (uint8, uint16 or float32), **sRGB-encoded**, already turned upright
(EXIF orientation applied, all 8 cases) and converted to sRGB when the file embeds
another ICC profile. Grey images become RGB. An alpha channel is kept apart in
``Photo.alpha`` (``H×W``, the dtype of ``data``, straight: not premultiplied, never
colour-converted); the colour channels are kept as stored, not composited. Files without
a profile are taken as sRGB. NaN/Inf samples of float images are replaced (NaN and −Inf
by 0, +Inf by the largest finite value, at least 1) with one warning naming the file and
how many pixels held them. A camera RAW — by its suffix or by its content, whatever the
name says (:func:`kolors.io.raw.is_raw`) — is developed (:func:`kolors.io.raw.read_raw`,
default options) into 16-bit sRGB, clipped at the camera white: the picture a neutral
``kolors enhance`` of it writes.

Bad input raises :class:`~kolors.errors.InputError` (or its subclass
:class:`~kolors.errors.UnsupportedFormat`) with one message naming the file: missing,
empty, a directory, not an image, unsupported format, truncated or corrupt (truncated
images are never loaded silently; a PNG must end with its IEND chunk), more than
:data:`MAX_PIXELS` pixels (checked from the header before decoding).

:func:`write_image` writes by suffix, atomically, never over ``protect``; it always
embeds LittleCMS's sRGB profile and carries EXIF over (orientation set to 1, embedded
thumbnail dropped, pixel dimensions updated), and an ``alpha`` plane to PNG, TIFF and
WebP at the output's bit depth (JPEG has none: dropped with a warning naming the file).

The parts, one job each:

* :mod:`kolors.io.formats` — suffix tables, the pixel limit, magic-byte sniffing.
* :mod:`.probe` — read the file, name its format from the content, parse its header.
* :mod:`.decode` — pixels and alpha of a probed file, upright, sRGB, finite.
* :mod:`.icc` — LittleCMS's sRGB profile, ICC parsing, conversion to sRGB.
* :mod:`.exif` — EXIF blocks in binary and the camera fields as text.
* :mod:`.encode` — bit depths and the PNG/TIFF/Pillow encoders.
"""
from __future__ import annotations

import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import InputError
from ..atomic import atomic_write, check_not_protected
from ..formats import ALPHA_FORMATS, MAX_PIXELS, RAW_SUFFIXES, READ_FORMATS, WRITE_SUFFIXES
from .decode import _decode
from .decode import _orient  # noqa: F401 - the package's helpers its tests use
from .encode import _encode_pil, _encode_png16, _encode_tiff, _to_bits
from .exif import _exif_fields, _exif_normalise
from .icc import _convert_hi, _is_srgb  # noqa: F401 - the package's helpers its tests use
from .icc import _parse_icc, srgb_icc
from .probe import _probe

__all__ = ["Photo", "read_image", "write_image", "image_info", "srgb_icc", "MAX_PIXELS",
           "READ_FORMATS", "WRITE_SUFFIXES", "RAW_SUFFIXES", "ALPHA_FORMATS"]


@dataclass
class Photo:
    """A decoded photo.

    ``data``: ``H×W×3`` RGB, sRGB-encoded, upright; uint8 (``bits`` 8), uint16 (16) or
    float32 (32, values may lie outside [0, 1]). ``icc``: the profile the file embedded
    (before conversion) or None. ``exif``: the EXIF block as JPEG stores it (``Exif\\0\\0``
    + TIFF structure) with the orientation tag reset to 1, or None. ``format``: 'JPEG',
    'PNG', 'TIFF', 'WEBP' or 'RAW' (a camera RAW, developed). ``size``: (width, height) of
    ``data``. ``orientation``: the EXIF orientation that was applied (1 = none).
    ``converted_from``: description of the ICC profile the pixels were converted from, ''
    when none was needed. ``alpha``: ``H×W`` straight (not premultiplied) alpha of the
    dtype of ``data`` (0 = transparent, 255 / 65535 / 1.0 = opaque), upright like ``data``,
    or None when the file has none."""

    data: np.ndarray
    bits: int
    icc: bytes | None
    exif: bytes | None
    path: Path
    format: str
    size: tuple[int, int]
    orientation: int = 1
    converted_from: str = ""
    alpha: np.ndarray | None = None

    @property
    def height(self) -> int:
        return int(self.data.shape[0])

    @property
    def width(self) -> int:
        return int(self.data.shape[1])


def read_image(path: str | os.PathLike) -> Photo:
    """Read a JPEG, PNG, TIFF or WebP file (or develop a camera RAW) as an upright sRGB
    :class:`Photo` (see the module docstring). Raises :class:`~kolors.errors.InputError`
    naming the file."""
    p = Path(os.fspath(path))
    from ..raw.detect import is_raw
    if is_raw(p):
        return _developed(p)
    pr = _probe(p)
    arr, alpha, bits, described = _decode(pr)
    exif = None
    if pr.exif:
        try:
            exif = _exif_normalise(pr.exif)
        except (ValueError, struct.error):
            warnings.warn(f"{p}: malformed EXIF block ignored", stacklevel=2)
    return Photo(arr, bits, pr.icc, exif, p, pr.format, (arr.shape[1], arr.shape[0]),
                 pr.orientation, described, alpha)


def _developed(p: Path) -> Photo:
    """The camera RAW ``p`` developed with the default options, as a 16-bit sRGB Photo."""
    from ..raw import read_raw
    raw = read_raw(p)
    data = raw.srgb(np.uint16)
    return Photo(data, 16, None, raw.exif, p, "RAW", (data.shape[1], data.shape[0]), raw.orientation)


def image_info(path: str | os.PathLike) -> dict[str, Any]:
    """Header facts about an image, without decoding the pixels (for ``kolors info``).

    Keys: ``path``, ``format``, ``width``, ``height`` (upright, after orientation),
    ``bits`` (8/16/32), ``channels`` (as stored), ``orientation``, ``icc`` (bool),
    ``icc_description`` (when a profile is embedded), and when the EXIF has them:
    ``camera_make``, ``camera_model``, ``lens_make``, ``lens``, ``iso``,
    ``exposure_time`` ('1/125 s'), ``f_number`` ('f/2.8'), ``focal_length`` ('50 mm'),
    ``datetime``. Raises InputError like :func:`read_image`."""
    p = Path(os.fspath(path))
    pr = _probe(p)
    w, h = (pr.height, pr.width) if pr.orientation >= 5 else (pr.width, pr.height)
    info: dict[str, Any] = {"path": str(p), "format": pr.format, "width": w, "height": h,
                            "bits": pr.bits, "channels": pr.channels,
                            "orientation": pr.orientation, "icc": pr.icc is not None}
    if pr.icc:
        try:
            info["icc_description"] = _parse_icc(pr.icc).description
        except (ValueError, struct.error):
            info["icc_description"] = "(malformed profile)"
    info.update(_exif_fields(pr.exif))
    return info


def write_image(path: str | os.PathLike, data: np.ndarray, *, quality: int = 95,
                bits: int | None = None, exif: bytes | None = None, alpha: np.ndarray | None = None,
                protect: str | os.PathLike | None = None, icc: bytes | None = None) -> Path:
    """Write ``data`` (``H×W×3`` RGB, sRGB-encoded, uint8/uint16/float32) to ``path``.

    The format comes from the suffix: .jpg/.jpeg, .png, .tif/.tiff, .webp. ``bits``:
    8 or 16 (PNG, TIFF), 32 (TIFF float); default: the array's precision where the
    format has it (uint8 → 8, uint16 → 16, float32 → 32 for TIFF, 16 for PNG), else 8.
    Float → integer rounds and clips to [0, 1]. ``quality`` (1–100) for JPEG (4:4:4
    chroma at 90 and above, 4:2:0 below) and WebP (100 = lossless). Embeds ``icc`` (the
    profile of the space ``data`` is encoded in, :func:`~kolors.io.images.icc.output_icc`),
    by default the sRGB profile :func:`srgb_icc`; ``exif`` (e.g. ``Photo.exif``) is carried over with
    orientation 1. ``alpha``: ``H×W`` straight alpha (uint8/uint16/float32, its own
    scale: 255, 65535 or 1.0 opaque), written at the output's bit depth to PNG, TIFF and
    WebP; JPEG has no alpha channel, so there it is dropped with one warning naming the
    file. Atomic; refuses to overwrite ``protect``. Returns the path."""
    p = Path(os.fspath(path))
    check_not_protected(p, protect)
    fmt = WRITE_SUFFIXES.get(p.suffix.lower())
    if fmt is None:
        raise InputError(f"cannot write {p}: unknown image format '{p.suffix}' "
                         "(use .jpg, .png, .tif, .webp, .avif or .jxl)")
    if not isinstance(data, np.ndarray) or data.ndim != 3 or data.shape[2] != 3 or \
            data.dtype not in (np.uint8, np.uint16, np.float32) or 0 in data.shape:
        desc = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise InputError(f"cannot write {p}: expected an H×W×3 uint8/uint16/float32 array, got {desc}")
    allowed = {"JPEG": (8,), "WEBP": (8,), "AVIF": (8,), "JXL": (8,), "PNG": (8, 16), "TIFF": (8, 16, 32)}[fmt]
    if bits is None:
        native = {np.dtype(np.uint8): 8, np.dtype(np.uint16): 16, np.dtype(np.float32): 32}[data.dtype]
        bits = native if native in allowed else (16 if fmt == "PNG" else 8)
    if bits not in allowed:
        raise InputError(f"cannot write {p}: {fmt} supports {'/'.join(map(str, allowed))} bits, not {bits}")
    if not 1 <= int(quality) <= 100:
        raise InputError(f"cannot write {p}: quality must be 1–100, got {quality}")
    if alpha is not None:
        if not isinstance(alpha, np.ndarray) or alpha.shape != data.shape[:2] or \
                alpha.dtype not in (np.uint8, np.uint16, np.float32):
            desc = f"{alpha.dtype} {alpha.shape}" if isinstance(alpha, np.ndarray) else type(alpha).__name__
            raise InputError(f"cannot write {p}: expected an H×W uint8/uint16/float32 alpha of the image's "
                             f"size {data.shape[1]}×{data.shape[0]}, got {desc}")
        if fmt not in ALPHA_FORMATS:
            warnings.warn(f"{p}: {fmt} has no alpha channel: the transparency is dropped "
                          "(write PNG, TIFF or WebP to keep it)", stacklevel=2)
            alpha = None
    arr = _to_bits(data, bits)
    if alpha is not None:
        arr = np.concatenate([arr, _to_bits(alpha, bits)[..., None]], axis=2)
    arr = np.ascontiguousarray(arr)
    h, w = arr.shape[:2]
    icc = srgb_icc() if icc is None else icc
    if fmt == "JXL" and icc != srgb_icc():
        raise InputError(f"cannot write {p}: JPEG XL is written in sRGB only (pillow-jxl-plugin embeds no other "
                         "profile); use .avif, .png or .tif for another colour space")
    ex = None
    if exif:
        try:
            ex = _exif_normalise(exif, size=(w, h), drop_thumbnail=True)
        except (ValueError, struct.error):
            warnings.warn(f"{p}: malformed EXIF block not written", stacklevel=2)
        if ex is not None and fmt == "JPEG" and len(ex) > 65533:
            warnings.warn(f"{p}: EXIF block too large for JPEG ({len(ex)} bytes), not written",
                          stacklevel=2)
            ex = None

    def writer(f) -> None:
        if fmt == "TIFF":
            f.write(_encode_tiff(arr, bits, icc, ex))
        elif fmt == "PNG" and bits == 16:
            f.write(_encode_png16(p, arr, icc, ex))
        else:
            f.write(_encode_pil(fmt, arr, icc, ex, quality))

    return atomic_write(p, writer, protect=protect)
