"""Reading and writing photos: JPEG, PNG (8/16-bit), TIFF (8/16-bit, 32-bit float), WebP.

:func:`read_image` returns a :class:`Photo`: ``data`` is an ``H×W×3`` RGB array in the
file's own precision (uint8, uint16 or float32), **sRGB-encoded**, already turned upright
(EXIF orientation applied, all 8 cases) and converted to sRGB when the file embeds
another ICC profile. Grey images become RGB; an alpha channel is dropped (the colour
channels are kept as stored, not composited). Files without a profile are taken as sRGB.

Decoders: Pillow for JPEG, WebP and PNG up to 8 bits; OpenCV (``cv2.imdecode``,
``IMREAD_UNCHANGED``, BGR→RGB) for 16-bit PNG and for every TIFF (Pillow reduces 16-bit
RGB to 8 bits and cannot open float RGB TIFFs). Metadata is parsed here: PNG chunks,
TIFF tags through Pillow's IFD reader, EXIF in binary.

ICC conversion to sRGB (relative colorimetric):

* 8-bit images — LittleCMS through ``PIL.ImageCms`` (any profile, incl. CMYK JPEGs).
* 16-bit and float images with a matrix/TRC profile (Adobe RGB, Display P3, ProPhoto,
  grey TRC profiles …: the profiles photos carry) — the profile's own curves and
  colorant matrix evaluated in float64 (the same maths LittleCMS does; the sRGB side
  uses LittleCMS's built-in sRGB colorants), so 16-bit precision is kept and float
  data keeps values outside [0, 1] (curves are extended by odd symmetry / their formula).
* 16-bit/float with a LUT-based profile (``A2B0``) — LittleCMS evaluated on an 86³ grid
  of exact 8-bit inputs (8-bit outputs), applied with :func:`kolors.core.lut.apply_lut`
  (tetrahedral): roughly 8-bit precision (up to ~2 levels off in gamut, more at the
  gamut boundary), with a warning. Rare in photos.

Profiles equivalent to sRGB (colorants and curves within 1e-3 of LittleCMS's sRGB) are
not converted, so files Kolors writes read back bit-exactly.

Bad input raises :class:`~kolors.errors.InputError` (or its subclass
:class:`~kolors.errors.UnsupportedFormat`) with one message naming the file: missing,
empty, a directory, not an image, unsupported format, truncated or corrupt (truncated
images are never loaded silently; a PNG must end with its IEND chunk), more than
:data:`MAX_PIXELS` pixels (checked from the header before decoding). Importing this
module raises Pillow's own decompression-bomb limit to ``MAX_PIXELS`` so that the two
limits agree.

:func:`write_image` writes by suffix, atomically, never over ``protect``; it always
embeds LittleCMS's sRGB profile and carries EXIF over (orientation set to 1, embedded
thumbnail dropped, pixel dimensions updated). 16-bit PNG is encoded by OpenCV and the
``iCCP``/``eXIf`` chunks are inserted here; TIFF is written here (Pillow's IFD encoder,
Adobe deflate, horizontal / floating-point predictor, EXIF as a proper Exif sub-IFD).
"""
from __future__ import annotations

import io
import math
import os
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageCms, TiffImagePlugin, TiffTags

from ...errors import InputError, UnsupportedFormat
from ..atomic import atomic_write, check_not_protected

__all__ = ["Photo", "read_image", "write_image", "image_info", "srgb_icc", "MAX_PIXELS",
           "READ_FORMATS", "WRITE_SUFFIXES", "RAW_SUFFIXES"]

MAX_PIXELS = 500_000_000
"""Largest image (width × height) read_image accepts."""

READ_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP")
WRITE_SUFFIXES = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF",
                  ".tiff": "TIFF", ".webp": "WEBP"}
RAW_SUFFIXES = frozenset(
    ".3fr .ari .arw .bay .cap .cr2 .cr3 .crw .dcr .dcs .dng .drf .eip .erf .fff .gpr .iiq "
    ".k25 .kdc .mdc .mef .mos .mrw .nef .nrw .orf .pef .ptx .r3d .raf .raw .rw2 .rwl .rwz "
    ".sr2 .srf .srw .x3f".split())

if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow warns above this and refuses above 2×

_MAXV = {8: 255, 16: 65535}
_RELATIVE = getattr(getattr(ImageCms, "Intent", None), "RELATIVE_COLORIMETRIC", 1)
_EXIF_PREFIX = b"Exif\x00\x00"
_TAG_ORIENTATION = 0x0112
_TAG_EXIF_IFD = 0x8769
_TAG_GPS_IFD = 0x8825
_TAG_ICC = 34675


@dataclass
class Photo:
    """A decoded photo.

    ``data``: ``H×W×3`` RGB, sRGB-encoded, upright; uint8 (``bits`` 8), uint16 (16) or
    float32 (32, values may lie outside [0, 1]). ``icc``: the profile the file embedded
    (before conversion) or None. ``exif``: the EXIF block as JPEG stores it (``Exif\\0\\0``
    + TIFF structure) with the orientation tag reset to 1, or None. ``format``: 'JPEG',
    'PNG', 'TIFF' or 'WEBP'. ``size``: (width, height) of ``data``. ``orientation``: the
    EXIF orientation that was applied (1 = none). ``converted_from``: description of the
    ICC profile the pixels were converted from, '' when none was needed."""

    data: np.ndarray
    bits: int
    icc: bytes | None
    exif: bytes | None
    path: Path
    format: str
    size: tuple[int, int]
    orientation: int = 1
    converted_from: str = ""

    @property
    def height(self) -> int:
        return int(self.data.shape[0])

    @property
    def width(self) -> int:
        return int(self.data.shape[1])


# ============================================================================ sRGB curves
def _srgb_decode(v: np.ndarray) -> np.ndarray:
    a = np.abs(v)
    out = np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)
    return np.copysign(out, v)


def _srgb_encode(v: np.ndarray) -> np.ndarray:
    a = np.abs(v)
    out = np.where(a <= 0.0031308, a * 12.92, 1.055 * np.power(a, 1 / 2.4) - 0.055)
    return np.copysign(out, v)


# ============================================================================ ICC profiles
@lru_cache(maxsize=1)
def srgb_icc() -> bytes:
    """LittleCMS's built-in sRGB profile (v4, 588 bytes); embedded in every written
    image. Its creation date is fixed (2024-01-01) and its profile ID left uncomputed
    (zero, which ICC allows), so every file written by any process carries the same bytes:
    the same grade gives byte-identical files from the app, the CLI and the bundle."""
    import struct
    b = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    b[24:36] = struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
    b[84:100] = bytes(16)
    return bytes(b)


class _Curve:
    """An ICC tone curve (``curv`` or ``para``) evaluated in float64."""

    def __init__(self, kind: str, params: tuple = (), table: np.ndarray | None = None):
        self.kind, self.params, self.table = kind, params, table

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "identity":
            return x
        if self.kind == "table":
            t = self.table
            return np.interp(np.clip(x, 0.0, 1.0), np.linspace(0.0, 1.0, t.size), t)
        # parametric (incl. plain gamma): odd extension below 0, formula above 1
        a_x = np.abs(x)
        g, *p = self.params
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.kind == "gamma" or len(p) == 0:
                y = a_x ** g
            elif len(p) == 2:  # type 1
                a, b = p
                y = np.where(a_x >= -b / a, np.maximum(a * a_x + b, 0) ** g, 0.0)
            elif len(p) == 3:  # type 2
                a, b, c = p
                y = np.where(a_x >= -b / a, np.maximum(a * a_x + b, 0) ** g + c, c)
            elif len(p) == 4:  # type 3
                a, b, c, d = p
                y = np.where(a_x >= d, np.maximum(a * a_x + b, 0) ** g, c * a_x)
            else:  # type 4
                a, b, c, d, e, f = p[:6]
                y = np.where(a_x >= d, np.maximum(a * a_x + b, 0) ** g + e, c * a_x + f)
        return np.copysign(y, x)


@dataclass
class _Icc:
    space: str  # 'RGB', 'GRAY', 'CMYK', ...
    description: str
    matrix: np.ndarray | None = None  # 3×3, columns = r, g, b colorants (PCS XYZ, D50)
    curves: list[_Curve] = field(default_factory=list)  # 3 (RGB) or 1 (GRAY)
    lut_based: bool = False  # has A2B0: LittleCMS uses the LUT, not the matrix

    @property
    def matrix_trc(self) -> bool:
        if self.lut_based:
            return False
        return (self.space == "RGB" and self.matrix is not None and len(self.curves) == 3) or (
            self.space == "GRAY" and len(self.curves) == 1)


def _s15(b: bytes) -> float:
    return struct.unpack(">i", b)[0] / 65536.0


def _parse_curve(data: bytes) -> _Curve:
    sig = data[:4]
    if sig == b"curv":
        n = struct.unpack(">I", data[8:12])[0]
        if n == 0:
            return _Curve("identity")
        if n == 1:
            return _Curve("gamma", (struct.unpack(">H", data[12:14])[0] / 256.0,))
        tab = np.frombuffer(data[12:12 + 2 * n], ">u2").astype(np.float64) / 65535.0
        if tab.size != n:
            raise ValueError("short curv")
        return _Curve("table", table=tab)
    if sig == b"para":
        ftype = struct.unpack(">H", data[8:10])[0]
        npar = {0: 1, 1: 3, 2: 4, 3: 5, 4: 7}[ftype]
        pars = tuple(_s15(data[12 + 4 * i:16 + 4 * i]) for i in range(npar))
        if len(pars) != npar:
            raise ValueError("short para")
        return _Curve("para", pars)
    raise ValueError(f"unknown curve type {sig!r}")


def _parse_icc(data: bytes) -> _Icc:
    """The parts of an ICC profile this module needs (raises ValueError if malformed)."""
    if len(data) < 132 or data[36:40] != b"acsp":
        raise ValueError("not an ICC profile")
    space = data[16:20].decode("latin-1").strip()
    n = struct.unpack(">I", data[128:132])[0]
    tags: dict[bytes, bytes] = {}
    for i in range(min(n, 200)):
        sig, off, size = struct.unpack(">4sII", data[132 + 12 * i:144 + 12 * i])
        tags[sig] = data[off:off + size]
    try:
        desc = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(data))).strip()
    except Exception:  # noqa: BLE001 - description is cosmetic
        desc = ""
    icc = _Icc(space, desc or "(unnamed profile)", lut_based=b"A2B0" in tags)
    if space == "RGB" and all(k in tags for k in (b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC", b"bTRC")):
        cols = []
        for k in (b"rXYZ", b"gXYZ", b"bXYZ"):
            t = tags[k]
            cols.append([_s15(t[8 + 4 * i:12 + 4 * i]) for i in range(3)])
        icc.matrix = np.array(cols, np.float64).T
        icc.curves = [_parse_curve(tags[k]) for k in (b"rTRC", b"gTRC", b"bTRC")]
    elif space == "GRAY" and b"kTRC" in tags:
        icc.curves = [_parse_curve(tags[b"kTRC"])]
    return icc


@lru_cache(maxsize=1)
def _srgb_parsed() -> _Icc:
    return _parse_icc(srgb_icc())


def _is_srgb(icc: _Icc) -> bool:
    """True for profiles equivalent to sRGB (RGB: sRGB colorants and curves; grey: the
    sRGB curve), which need no conversion."""
    if not icc.matrix_trc:
        return False
    if icc.space == "RGB" and np.abs(icc.matrix - _srgb_parsed().matrix).max() > 1e-3:
        return False
    x = np.linspace(0.0, 1.0, 1024)
    want = _srgb_decode(x)
    return all(np.abs(c(x) - want).max() < 1e-3 for c in icc.curves)


def _float_to_srgb(icc: _Icc, x: np.ndarray) -> np.ndarray:
    """Matrix/TRC conversion of float64 data ``(…, C)`` (encoded, [0, 1] nominal) to
    sRGB-encoded float64 ``(…, 3)``."""
    if icc.space == "GRAY":
        y = icc.curves[0](x[..., 0])
        lin = np.repeat(y[..., None], 3, -1)  # D50 grey maps to sRGB grey
    else:
        lin = np.stack([icc.curves[c](x[..., c]) for c in range(3)], -1)
        m = np.linalg.solve(_srgb_parsed().matrix, icc.matrix)  # src RGB → sRGB linear
        lin = lin @ m.T
    return _srgb_encode(lin)


def _lcms_grid(icc_bytes: bytes, path: Path):
    """LittleCMS transform sampled on an 86³ grid of exact 8-bit inputs, as a Lut3D."""
    from ...core.lut import Lut3D, Shaper

    n = 86  # 255 = 85 · 3: every node is an exact 8-bit code
    u = (np.arange(n) * 3).astype(np.uint8)
    r, g, b = np.meshgrid(u, u, u, indexing="ij")
    grid = np.stack([r, g, b], -1).reshape(n * n, n, 3)
    src = ImageCms.ImageCmsProfile(io.BytesIO(icc_bytes))
    dst = ImageCms.ImageCmsProfile(io.BytesIO(srgb_icc()))
    out = ImageCms.profileToProfile(Image.fromarray(grid, "RGB"), src, dst,
                                    renderingIntent=_RELATIVE,
                                    outputMode="RGB")
    table = (np.asarray(out, np.float32) / 255.0).reshape(n, n, n, 3)
    return Lut3D(table, Shaper("linear"), f"{Path(path).name} ICC")


def _convert_hi(path: Path, icc_bytes: bytes, icc: _Icc, data: np.ndarray) -> np.ndarray:
    """ICC → sRGB for 16-bit / float ``data`` (H×W×C, C = 1 or 3)."""
    is_float = data.dtype == np.float32
    scale = 1.0 if is_float else 65535.0
    if icc.matrix_trc:
        out = np.empty(data.shape[:2] + (3,), np.float32 if is_float else np.uint16)
        rows = max(1, 2_000_000 // max(1, data.shape[1]))  # bounded float64 temporaries
        for y0 in range(0, data.shape[0], rows):
            x = data[y0:y0 + rows].astype(np.float64) / scale
            v = _float_to_srgb(icc, x)
            if is_float:
                out[y0:y0 + rows] = v
            else:
                out[y0:y0 + rows] = np.rint(np.clip(v, 0.0, 1.0) * 65535.0)
        return out
    if icc.space != "RGB" or data.shape[2] != 3:
        warnings.warn(f"{path}: cannot apply its {icc.space} ICC profile "
                      f"'{icc.description}' to {data.shape[2]}-channel data; taken as sRGB",
                      stacklevel=3)
        return data
    import torch

    from ...core.lut import apply_lut

    warnings.warn(f"{path}: LUT-based ICC profile '{icc.description}' converted through an "
                  "8-bit LittleCMS grid (about 8-bit precision)", stacklevel=3)
    lut = _lcms_grid(icc_bytes, path)
    x = torch.from_numpy(np.ascontiguousarray(data.transpose(2, 0, 1), np.float32) / scale)[None]
    y = apply_lut(x, lut)[0].numpy().transpose(1, 2, 0)
    if is_float:
        return np.ascontiguousarray(y, np.float32)
    return np.rint(np.clip(y, 0, 1) * 65535.0).astype(np.uint16)


# ============================================================================ EXIF (binary)
def _exif_tiff(exif: bytes) -> bytes:
    """The TIFF structure inside an EXIF block (with or without the Exif\\0\\0 prefix)."""
    if exif.startswith(_EXIF_PREFIX):
        exif = exif[6:]
    if exif[:4] not in (b"II*\x00", b"MM\x00*"):
        raise ValueError("not a TIFF-structured EXIF block")
    return exif


def _ifd_entries(buf: bytes, off: int, e: str):
    """Yield (entry_offset, tag, type, count) of the IFD at ``off``; raises ValueError."""
    if off + 2 > len(buf) or off < 8:
        raise ValueError("IFD offset out of range")
    n = struct.unpack(e + "H", buf[off:off + 2])[0]
    if off + 2 + 12 * n + 4 > len(buf):
        raise ValueError("IFD runs past the end")
    for i in range(n):
        p = off + 2 + 12 * i
        tag, typ, count = struct.unpack(e + "HHI", buf[p:p + 8])
        yield p, tag, typ, count


def _exif_orientation(exif: bytes | None) -> int:
    if not exif:
        return 1
    try:
        t = _exif_tiff(exif)
        e = "<" if t[:2] == b"II" else ">"
        for p, tag, typ, _count in _ifd_entries(t, struct.unpack(e + "I", t[4:8])[0], e):
            if tag == _TAG_ORIENTATION:
                v = struct.unpack(e + "H", t[p + 8:p + 10])[0] if typ == 3 else \
                    struct.unpack(e + "I", t[p + 8:p + 12])[0]
                return v if 1 <= v <= 8 else 1
    except (ValueError, struct.error):
        pass
    return 1


def _exif_normalise(exif: bytes, size: tuple[int, int] | None = None,
                    drop_thumbnail: bool = False) -> bytes:
    """EXIF with the orientation tag set to 1 (patched in place, everything else kept);
    optionally the IFD1 thumbnail unlinked and ExifImageWidth/Height set to ``size``
    (w, h). Returns the block with the Exif\\0\\0 prefix; raises ValueError if malformed."""
    t = bytearray(_exif_tiff(exif))
    e = "<" if t[:2] == b"II" else ">"
    ifd0 = struct.unpack(e + "I", t[4:8])[0]
    entries = list(_ifd_entries(bytes(t), ifd0, e))
    for p, tag, typ, _count in entries:
        if tag == _TAG_ORIENTATION:
            if typ == 3:
                t[p + 8:p + 12] = struct.pack(e + "HH", 1, 0)
            else:
                t[p + 8:p + 12] = struct.pack(e + "I", 1)
        elif tag == _TAG_EXIF_IFD and size is not None:
            sub = struct.unpack(e + "I", t[p + 8:p + 12])[0]
            try:
                for q, stag, styp, _c in list(_ifd_entries(bytes(t), sub, e)):
                    if stag in (0xA002, 0xA003):
                        v = size[0] if stag == 0xA002 else size[1]
                        if styp == 3 and v < 65536:
                            t[q + 8:q + 12] = struct.pack(e + "HH", v, 0)
                        elif styp == 4:
                            t[q + 8:q + 12] = struct.pack(e + "I", v)
            except ValueError:
                pass
    if drop_thumbnail:
        nxt = ifd0 + 2 + 12 * len(entries)
        t[nxt:nxt + 4] = b"\x00\x00\x00\x00"
    return _EXIF_PREFIX + bytes(t)


# IFD0 tags of a TIFF file that are EXIF-ish metadata (copied to Photo.exif)
_TIFF_META_TAGS = (270, 271, 272, 274, 305, 306, 315, 33432)


def _exif_from_tiff_ifd(ex: Image.Exif) -> bytes | None:
    out = Image.Exif()
    for tag in _TIFF_META_TAGS:
        if tag in ex:
            out[tag] = ex[tag]
    for sub in (_TAG_EXIF_IFD, _TAG_GPS_IFD):
        if sub in ex:
            try:
                d = ex.get_ifd(sub)
            except Exception:  # noqa: BLE001
                d = {}
            if d:
                out[sub] = dict(d)
    if not len(out):
        return None
    return out.tobytes()


# ============================================================================ probing
@dataclass
class _Probe:
    path: Path
    buf: bytes
    format: str
    width: int
    height: int
    bits: int  # 8, 16, 32 (float)
    channels: int
    icc: bytes | None
    exif: bytes | None  # prefixed, as stored (orientation not yet reset)
    orientation: int
    pil: Any = None  # opened (not loaded) PIL image for Pillow-decoded formats
    mode: str = ""


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:2] == b"BM":
        return "BMP"
    if head[:4] == b"8BPS":
        return "PSD"
    if head[:4] in (b"II+\x00", b"MM\x00+"):
        return "BigTIFF"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return {b"avif": "AVIF", b"avis": "AVIF"}.get(brand, "HEIF" if brand[:3] in (b"hei", b"hev", b"mif")
                                                       else "ISO media")
    if head.startswith(b"\xff\x0a") or head.startswith(b"\x00\x00\x00\x0cJXL "):
        return "JPEG XL"
    if head.startswith(b"\x00\x00\x00\x0cjP  ") or head.startswith(b"\xff\x4f\xff\x51"):
        return "JPEG 2000"
    return None


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not an image file")
    if path.suffix.lower() in RAW_SUFFIXES:
        raise UnsupportedFormat(f"{path}: is a camera RAW file, which read_image does not decode "
                                "(RAW files go through kolors.io.raw)")
    try:
        buf = path.read_bytes()
    except PermissionError as e:
        raise InputError(f"{path}: permission denied") from e
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e})") from e
    if not buf:
        raise InputError(f"{path}: empty file (0 bytes)")
    return buf


def _check_pixels(path: Path, w: int, h: int) -> None:
    if w <= 0 or h <= 0:
        raise InputError(f"{path}: corrupt header (image size {w}×{h})")
    if w * h > MAX_PIXELS:
        raise InputError(f"{path}: image is {w}×{h} ({w * h / 1e6:.0f} MP), more than the "
                         f"{MAX_PIXELS / 1e6:.0f} MP limit")


def _truncated(path: Path, detail: str = "") -> InputError:
    return InputError(f"{path}: truncated or corrupt {detail}image data".replace("  ", " "))


def _png_chunks(path: Path, buf: bytes) -> dict[str, Any]:
    """Walk the PNG chunks: IHDR fields, iCCP profile, eXIf; require IEND."""
    pos, info = 8, {"icc": None, "exif": None}
    seen_iend = False
    while pos + 8 <= len(buf):
        n, typ = struct.unpack(">I4s", buf[pos:pos + 8])
        if pos + 12 + n > len(buf):
            break
        data = buf[pos + 8:pos + 8 + n] if typ in (b"IHDR", b"iCCP", b"eXIf") else b""
        if typ == b"IHDR":
            if n != 13:
                raise InputError(f"{path}: corrupt PNG header")
            w, h, depth, ctype = struct.unpack(">IIBB", data[:10])
            info.update(width=w, height=h, depth=depth, ctype=ctype)
        elif typ == b"iCCP":
            try:
                info["icc"] = zlib.decompress(data[data.index(b"\x00") + 2:])
            except (ValueError, zlib.error):
                warnings.warn(f"{path}: unreadable ICC profile ignored", stacklevel=4)
        elif typ == b"eXIf":
            info["exif"] = _EXIF_PREFIX + data
        elif typ == b"IEND":
            seen_iend = True
            break
        pos += 12 + n
    if "width" not in info:
        raise InputError(f"{path}: corrupt PNG (no header chunk)")
    _check_pixels(path, info["width"], info["height"])
    if not seen_iend:
        raise InputError(f"{path}: truncated PNG (the file ends before its IEND chunk)")
    return info


def _tiff_ifd(path: Path, buf: bytes) -> Image.Exif:
    ex = Image.Exif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Corrupt EXIF data": we raise below instead
            ex.load(buf)
    except Exception as e:  # noqa: BLE001 - Pillow raises many kinds here
        raise InputError(f"{path}: corrupt TIFF header ({e})") from e
    if 256 not in ex or 257 not in ex:
        raise InputError(f"{path}: corrupt TIFF header (no image size)")
    return ex


def _probe(path: Path) -> _Probe:
    buf = _read_bytes(path)
    fmt = _sniff(buf[:32])
    if fmt is None:
        raise InputError(f"{path}: not an image file (expected JPEG, PNG, TIFF or WebP content)")
    if fmt not in READ_FORMATS:
        raise UnsupportedFormat(f"{path}: {fmt} images are not supported "
                                "(Kolors reads JPEG, PNG, TIFF and WebP)")
    if fmt == "PNG":
        info = _png_chunks(path, buf)
        depth = info["depth"]
        ch = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}.get(info["ctype"], 3)
        pr = _Probe(path, buf, fmt, info["width"], info["height"], 16 if depth == 16 else 8, ch,
                    info["icc"], info["exif"], _exif_orientation(info["exif"]))
        if depth != 16:
            pr.pil = _pil_open(path, buf)
            pr.mode = pr.pil.mode
            pr.exif = pr.exif or _pil_exif(pr.pil)
            pr.orientation = _exif_orientation(pr.exif)
        return pr
    if fmt == "TIFF":
        ex = _tiff_ifd(path, buf)
        w, h = int(ex[256]), int(ex[257])
        _check_pixels(path, w, h)
        bps = ex.get(258, 1)
        bps = bps if isinstance(bps, tuple) else (bps,)
        sfmt = ex.get(339, 1)
        sfmt = sfmt[0] if isinstance(sfmt, tuple) else sfmt
        photometric = int(ex.get(262, 1))
        spp = int(ex.get(277, 1))
        bits = int(bps[0])
        if photometric not in (0, 1, 2, 3, 6):
            kind = {5: "CMYK", 8: "CIELab", 9: "ICCLab", 10: "ITULab", 32803: "CFA (raw)",
                    32844: "LogL", 32845: "LogLuv", 34892: "LinearRaw"}.get(photometric, str(photometric))
            raise UnsupportedFormat(f"{path}: {kind} TIFF images are not supported "
                                    "(grey and RGB only)")
        if (bits, sfmt) not in ((8, 1), (16, 1), (32, 3)) or len(set(bps)) != 1:
            kind = {1: "integer", 2: "signed integer", 3: "float"}.get(sfmt, "")
            raise UnsupportedFormat(f"{path}: {bits}-bit {kind} TIFF samples are not supported "
                                    "(8/16-bit integer or 32-bit float only)")
        icc = ex.get(_TAG_ICC)
        icc = bytes(icc) if icc else None
        orient = int(ex.get(_TAG_ORIENTATION, 1))
        return _Probe(path, buf, fmt, w, h, 32 if sfmt == 3 else bits, spp, icc,
                      _exif_from_tiff_ifd(ex), orient if 1 <= orient <= 8 else 1)
    # JPEG, WEBP
    im = _pil_open(path, buf)
    _check_pixels(path, *im.size)
    icc = im.info.get("icc_profile") or None
    exif = _pil_exif(im)
    ch = len(im.getbands())
    return _Probe(path, buf, fmt, im.size[0], im.size[1], 8, ch, icc, exif,
                  _exif_orientation(exif), im, im.mode)


def _pil_open(path: Path, buf: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(buf))
    except Image.DecompressionBombError as e:
        raise InputError(f"{path}: image is too large ({e})") from e
    except Exception as e:  # noqa: BLE001 - UnidentifiedImageError, SyntaxError, OSError …
        raise InputError(f"{path}: truncated or corrupt image file ({e})") from e


def _pil_exif(im: Image.Image) -> bytes | None:
    ex = im.info.get("exif")
    if not ex:
        return None
    if ex.startswith(b"II*\x00") or ex.startswith(b"MM\x00*"):
        ex = _EXIF_PREFIX + ex
    return ex


# ============================================================================ decoding
def _cv_decode(pr: _Probe) -> np.ndarray:
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
        return arr[..., None]  # grey, kept 1-channel until after the ICC step
    if arr.shape[2] == 2:  # grey + alpha
        return arr[..., :1]
    return np.ascontiguousarray(arr[..., 2::-1])  # BGR(A) → RGB, alpha dropped


def _pil_decode(pr: _Probe) -> tuple[np.ndarray, Image.Image]:
    im = pr.pil
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im.load()
    except Image.DecompressionBombError as e:
        raise InputError(f"{pr.path}: image is too large ({e})") from e
    except (OSError, SyntaxError, ValueError, EOFError, zlib.error, struct.error) as e:
        raise _truncated(pr.path, pr.format + " ") from e
    if im.mode in ("RGB", "L", "CMYK"):
        return np.asarray(im), im
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        raise UnsupportedFormat(f"{pr.path}: {im.mode} images are not supported")
    if im.mode in ("LA", "La", "1"):
        im = im.convert("L")
    else:  # P, PA, RGBA, RGBa, RGBX, YCbCr, …
        im = im.convert("RGB")
    return np.asarray(im), im


def _orient(a: np.ndarray, o: int) -> np.ndarray:
    """Turn stored pixels upright for EXIF orientation ``o`` (1–8)."""
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


def _parse_icc_or_warn(pr: _Probe) -> _Icc | None:
    if not pr.icc:
        return None
    try:
        return _parse_icc(pr.icc)
    except (ValueError, struct.error, KeyError):
        warnings.warn(f"{pr.path}: malformed ICC profile ignored (taken as sRGB)", stacklevel=3)
        return None


def read_image(path: str | os.PathLike) -> Photo:
    """Read a JPEG, PNG, TIFF or WebP file as an upright sRGB :class:`Photo` (see the
    module docstring). Raises :class:`~kolors.errors.InputError` naming the file."""
    p = Path(os.fspath(path))
    pr = _probe(p)
    icc = _parse_icc_or_warn(pr)
    needs_cms = icc is not None and not _is_srgb(icc)
    described = ""
    if pr.pil is not None:  # 8-bit through Pillow
        arr, im = _pil_decode(pr)
        if im.mode == "CMYK" or needs_cms:
            arr, described = _lcms_8bit(pr, im, icc)
        if arr.ndim == 2:
            arr = arr[..., None]
        bits = 8
    else:
        arr = _cv_decode(pr)
        if arr.dtype not in (np.uint8, np.uint16, np.float32):
            raise UnsupportedFormat(f"{p}: {arr.dtype} samples are not supported")
        bits = 32 if arr.dtype == np.float32 else 16 if arr.dtype == np.uint16 else 8
        if needs_cms and {"RGB": 3, "GRAY": 1}.get(icc.space) != arr.shape[2]:
            warnings.warn(f"{p}: its {icc.space} ICC profile '{icc.description}' does not fit "
                          f"{arr.shape[2]}-channel data; taken as sRGB", stacklevel=2)
            needs_cms = False
        if needs_cms:
            if bits == 8:
                im = Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr,
                                     "L" if arr.shape[2] == 1 else "RGB")
                arr, described = _lcms_8bit(pr, im, icc)
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
    exif = None
    if pr.exif:
        try:
            exif = _exif_normalise(pr.exif)
        except (ValueError, struct.error):
            warnings.warn(f"{p}: malformed EXIF block ignored", stacklevel=2)
    return Photo(arr, bits, pr.icc, exif, p, pr.format, (arr.shape[1], arr.shape[0]),
                 pr.orientation, described)


def _lcms_8bit(pr: _Probe, im: Image.Image, icc: _Icc | None) -> tuple[np.ndarray, str]:
    """8-bit conversion to sRGB with LittleCMS (also CMYK without a profile: Pillow)."""
    if icc is None:  # CMYK without a profile
        return np.asarray(im.convert("RGB")), ""
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(pr.icc))
        dst = ImageCms.ImageCmsProfile(io.BytesIO(srgb_icc()))
        out = ImageCms.profileToProfile(im, src, dst,
                                        renderingIntent=_RELATIVE,
                                        outputMode="RGB")
        return np.asarray(out), icc.description
    except (ImageCms.PyCMSError, OSError, ValueError) as e:
        warnings.warn(f"{pr.path}: ICC profile '{icc.description}' could not be applied "
                      f"({e}); taken as sRGB", stacklevel=3)
        return np.asarray(im.convert("RGB") if im.mode == "CMYK" else im), ""


# ============================================================================ info
_EXIF_FIELDS = {  # name: (ifd, tag)
    "camera_make": (0, 271), "camera_model": (0, 272), "datetime": (_TAG_EXIF_IFD, 0x9003),
    "iso": (_TAG_EXIF_IFD, 0x8827), "exposure_time": (_TAG_EXIF_IFD, 0x829A),
    "f_number": (_TAG_EXIF_IFD, 0x829D), "focal_length": (_TAG_EXIF_IFD, 0x920A),
    "lens_make": (_TAG_EXIF_IFD, 0xA433), "lens": (_TAG_EXIF_IFD, 0xA434),
}


def _fmt_exposure(v: float) -> str:
    if v <= 0:
        return f"{v:g} s"
    if v < 0.5:
        return f"1/{round(1 / v)} s"
    return f"{v:g} s"


def _exif_fields(exif: bytes | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not exif:
        return out
    ex = Image.Exif()
    try:
        ex.load(exif)
        sub = ex.get_ifd(_TAG_EXIF_IFD) if _TAG_EXIF_IFD in ex else {}
    except Exception:  # noqa: BLE001
        return out
    for name, (ifd, tag) in _EXIF_FIELDS.items():
        v = (ex if ifd == 0 else sub).get(tag)
        if v is None or v == "" or v == b"":
            continue
        if isinstance(v, tuple):
            v = v[0] if v else None
            if v is None:
                continue
        if isinstance(v, bytes):
            v = v.decode("latin-1", "replace")
        if isinstance(v, str):
            v = v.strip("\x00 ").strip()
            if not v:
                continue
        try:
            if name == "iso":
                v = int(v)
            elif name == "exposure_time":
                v = _fmt_exposure(float(v))
            elif name == "f_number":
                f = float(v)
                if not math.isfinite(f):
                    continue
                v = f"f/{f:.1f}".replace(".0", "") if f else None
            elif name == "focal_length":
                f = float(v)
                if not math.isfinite(f):
                    continue
                v = f"{f:g} mm"
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if v is not None:
            out[name] = v
    return out


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


# ============================================================================ writing
def _to_bits(data: np.ndarray, bits: int) -> np.ndarray:
    """Convert H×W×3 uint8/uint16/float32 to ``bits`` (8/16 → uint, 32 → float32);
    float → int rounds and clips, NaN → 0."""
    src = data.dtype
    if bits == 32:
        if src == np.float32:
            return data
        return (data.astype(np.float32) / np.float32(_MAXV[8 if src == np.uint8 else 16]))
    dst_max = _MAXV[bits]
    dst = np.uint8 if bits == 8 else np.uint16
    if src == dst:
        return data
    if src == np.uint8:  # → 16
        return data.astype(np.uint16) * np.uint16(257)
    if src == np.uint16:  # → 8, exact rounding of v / 257
        return ((data.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    x = np.nan_to_num(data.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    return np.clip(np.rint(x * np.float32(dst_max)), 0, dst_max).astype(dst)


def _png_chunk(typ: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + typ + data + struct.pack(">I", zlib.crc32(typ + data) & 0xFFFFFFFF)


def _encode_png16(path: Path, arr: np.ndarray, icc: bytes, exif: bytes | None) -> bytes:
    import cv2
    ok, enc = cv2.imencode(".png", np.ascontiguousarray(arr[..., ::-1]),
                           [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise OSError(f"cannot encode {path} as PNG")
    png = enc.tobytes()
    # insert iCCP and eXIf right after IHDR (before any IDAT), dropping colour chunks
    # OpenCV may have written that would contradict the profile
    ihdr_end = 8 + 12 + 13
    extra = _png_chunk(b"iCCP", b"sRGB\x00\x00" + zlib.compress(icc, 9))
    if exif:
        extra += _png_chunk(b"eXIf", _exif_tiff(exif))
    rest, pos = [], ihdr_end
    while pos < len(png):
        n, typ = struct.unpack(">I4s", png[pos:pos + 8])
        if typ not in (b"iCCP", b"sRGB", b"gAMA", b"cHRM", b"eXIf"):
            rest.append(png[pos:pos + 12 + n])
        pos += 12 + n
    return png[:ihdr_end] + extra + b"".join(rest)


def _tiff_predict(strip: np.ndarray, bits: int) -> bytes:
    """Apply the TIFF predictor to a strip (rows, W, 3) and return its bytes
    (little-endian): horizontal differencing for integers (predictor 2), the
    floating-point predictor (3) for float32."""
    rows, w, spp = strip.shape
    if bits != 32:
        a = strip.reshape(rows, w * spp)
        d = a.copy()
        d[:, spp:] = a[:, spp:] - a[:, :-spp]  # wraps modulo 2^bits like libtiff
        return d.astype("<u2" if bits == 16 else np.uint8).tobytes()
    # floating point predictor: bytes of each row split into planes, most significant
    # byte first, then byte-wise horizontal differencing with stride spp
    b = np.ascontiguousarray(strip.reshape(rows, w * spp)).astype(">f4").view(np.uint8)
    planes = b.reshape(rows, w * spp, 4).transpose(0, 2, 1).reshape(rows, 4 * w * spp)
    d = planes.copy()
    d[:, spp:] = planes[:, spp:] - planes[:, :-spp]
    return d.tobytes()


def _encode_tiff(arr: np.ndarray, bits: int, icc: bytes, exif: bytes | None) -> bytes:
    h, w, spp = arr.shape
    bps = bits // 8
    rows_per_strip = max(1, min(h, (256 * 1024) // max(1, w * spp * bps)))
    strips, counts, offsets, off = [], [], [], 0
    for y0 in range(0, h, rows_per_strip):
        raw = _tiff_predict(arr[y0:y0 + rows_per_strip], bits)
        c = zlib.compress(raw, 6)
        strips.append(c)
        offsets.append(off)
        counts.append(len(c))
        off += len(c) + (len(c) & 1)
        if len(c) & 1:
            strips.append(b"\x00")
    ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
    ifd[256] = w
    ifd[257] = h
    ifd[258] = (bits,) * spp
    ifd[259] = 8  # Adobe deflate
    ifd[262] = 2  # RGB
    ifd.tagtype[273] = TiffTags.LONG
    ifd[273] = tuple(offsets) if len(offsets) > 1 else offsets[0]
    ifd[277] = spp
    ifd.tagtype[278] = TiffTags.LONG
    ifd[278] = rows_per_strip
    ifd.tagtype[279] = TiffTags.LONG
    ifd[279] = tuple(counts) if len(counts) > 1 else counts[0]
    ifd[282] = 72.0
    ifd[283] = 72.0
    ifd[284] = 1  # chunky
    ifd[296] = 2  # inch
    ifd[305] = "Kolors"
    ifd[317] = 3 if bits == 32 else 2
    ifd[339] = (3 if bits == 32 else 1,) * spp
    ifd.tagtype[_TAG_ICC] = TiffTags.UNDEFINED
    ifd[_TAG_ICC] = icc
    if exif:
        ex = Image.Exif()
        ex.load(exif)
        for tag in _TIFF_META_TAGS:
            if tag in ex and tag not in (305,):
                ifd[tag] = ex[tag]
        for sub in (_TAG_EXIF_IFD, _TAG_GPS_IFD):
            if sub in ex:
                d = {k: v for k, v in ex.get_ifd(sub).items() if k != 0xA005}  # no Interop ptr
                if d:
                    ifd.tagtype[sub] = TiffTags.LONG
                    ifd[sub] = d
    header = b"II*\x00" + struct.pack("<I", 8)
    return header + ifd.tobytes(8) + b"".join(strips)


def write_image(path: str | os.PathLike, data: np.ndarray, *, quality: int = 95,
                bits: int | None = None, exif: bytes | None = None,
                protect: str | os.PathLike | None = None) -> Path:
    """Write ``data`` (``H×W×3`` RGB, sRGB-encoded, uint8/uint16/float32) to ``path``.

    The format comes from the suffix: .jpg/.jpeg, .png, .tif/.tiff, .webp. ``bits``:
    8 or 16 (PNG, TIFF), 32 (TIFF float); default: the array's precision where the
    format has it (uint8 → 8, uint16 → 16, float32 → 32 for TIFF, 16 for PNG), else 8.
    Float → integer rounds and clips to [0, 1]. ``quality`` (1–100) for JPEG (4:4:4
    chroma at 90 and above, 4:2:0 below) and WebP (100 = lossless). Always embeds the
    sRGB profile :func:`srgb_icc`; ``exif`` (e.g. ``Photo.exif``) is carried over with
    orientation 1. Atomic; refuses to overwrite ``protect``. Returns the path."""
    p = Path(os.fspath(path))
    check_not_protected(p, protect)
    fmt = WRITE_SUFFIXES.get(p.suffix.lower())
    if fmt is None:
        raise InputError(f"cannot write {p}: unknown image format '{p.suffix}' "
                         "(use .jpg, .png, .tif or .webp)")
    if not isinstance(data, np.ndarray) or data.ndim != 3 or data.shape[2] != 3 or \
            data.dtype not in (np.uint8, np.uint16, np.float32) or 0 in data.shape:
        desc = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise InputError(f"cannot write {p}: expected an H×W×3 uint8/uint16/float32 array, got {desc}")
    allowed = {"JPEG": (8,), "WEBP": (8,), "PNG": (8, 16), "TIFF": (8, 16, 32)}[fmt]
    if bits is None:
        native = {np.dtype(np.uint8): 8, np.dtype(np.uint16): 16, np.dtype(np.float32): 32}[data.dtype]
        bits = native if native in allowed else (16 if fmt == "PNG" else 8)
    if bits not in allowed:
        raise InputError(f"cannot write {p}: {fmt} supports {'/'.join(map(str, allowed))} bits, not {bits}")
    if not 1 <= int(quality) <= 100:
        raise InputError(f"cannot write {p}: quality must be 1–100, got {quality}")
    arr = np.ascontiguousarray(_to_bits(data, bits))
    h, w = arr.shape[:2]
    icc = srgb_icc()
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
            im = Image.fromarray(arr, "RGB")
            kw: dict[str, Any] = {"icc_profile": icc}
            if ex:
                kw["exif"] = ex if fmt != "WEBP" else _exif_tiff(ex)
            if fmt == "JPEG":
                kw.update(quality=int(quality), subsampling=0 if quality >= 90 else 2, optimize=True)
            elif fmt == "WEBP":
                kw.update(quality=int(quality), lossless=int(quality) >= 100, method=4)
            elif fmt == "PNG":
                kw.update(compress_level=6)
            im.save(f, format=fmt, **kw)

    return atomic_write(p, writer, protect=protect)
