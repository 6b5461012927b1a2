"""Probing a file before decoding it: read its bytes, name its format from the content
(:func:`kolors.io.formats.sniff_image`, never the suffix), and parse its header — size,
bit depth, channels, alpha, ICC profile, EXIF, orientation — so that bad input is refused
with one :class:`~kolors.errors.InputError` naming the file before any pixel is decoded:
missing, empty, a directory, not an image, unsupported format or sample type, a PNG
without its IEND chunk (truncated), more than :data:`~kolors.io.formats.MAX_PIXELS`
pixels (from the header). Importing this module raises Pillow's own decompression-bomb
limit to ``MAX_PIXELS`` so that the two limits agree.

Metadata is parsed here: PNG chunks, TIFF tags through Pillow's IFD reader, EXIF as
stored. Which decoder runs is decided here too (``_Probe.pil``): Pillow for JPEG, WebP,
PNG up to 8 bits and 8-bit TIFF with an alpha channel (OpenCV's TIFF reader premultiplies
8-bit alpha and drops a grey image's); OpenCV for 16-bit PNG and every other TIFF.

Alpha (``_Probe.alpha``): '' (none), 'straight' (PNG, WebP, TIFF ExtraSamples = 2, or a
4th/2nd TIFF sample not described), 'associated' (TIFF ExtraSamples = 1: colour
premultiplied, which the decoder undoes) or 'unspecified' (TIFF ExtraSamples = 0: an extra
channel that is not transparency; ignored with a warning).
"""
from __future__ import annotations

import io
import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from ...errors import InputError, UnsupportedFormat
from ..formats import MAX_PIXELS, READ_FORMATS, RAW_SUFFIXES, sniff_image
from .exif import _EXIF_PREFIX, _TAG_ORIENTATION, _exif_from_tiff_ifd, _exif_orientation
from .icc import _TAG_ICC

if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow warns above this and refuses above 2×

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
    alpha: str = ""  # '', 'straight', 'associated' or 'unspecified' (see the module docstring)


def _read_bytes(path: Path, refuse_raw: bool = True) -> bytes:
    """The whole file; InputError naming it when it is missing, a folder, unreadable or
    empty, and (``refuse_raw``) UnsupportedFormat for a camera RAW suffix."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not an image file")
    if refuse_raw and path.suffix.lower() in RAW_SUFFIXES:
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
    pos, info = 8, {"icc": None, "exif": None, "trns": False}
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
        elif typ == b"tRNS":
            info["trns"] = True
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


def _probe(path: Path, refuse_raw: bool = True) -> _Probe:
    """The header facts of the image file ``path`` (see the module docstring); raises
    InputError / UnsupportedFormat naming the file."""
    buf = _read_bytes(path, refuse_raw)
    fmt = sniff_image(buf[:32])
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
        pr.alpha = "straight" if ch in (2, 4) or info["trns"] else ""
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
        pr = _Probe(path, buf, fmt, w, h, 32 if sfmt == 3 else bits, spp, icc,
                    _exif_from_tiff_ifd(ex), orient if 1 <= orient <= 8 else 1)
        colour = 3 if photometric in (2, 6) else 1
        if spp > colour:
            extra = ex.get(338)
            extra = extra[0] if isinstance(extra, tuple) and extra else extra
            pr.alpha = {1: "associated", 2: "straight", 0: "unspecified"}.get(extra, "straight")
            if pr.alpha != "unspecified" and bits == 8:
                pr.pil = _pil_open(path, buf)  # OpenCV would premultiply (RGB) or drop (grey) it
                pr.mode = pr.pil.mode
            elif pr.alpha != "unspecified" and colour == 1:
                raise UnsupportedFormat(f"{path}: {pr.bits}-bit grey TIFF images with an alpha channel are "
                                        "not supported (RGB with alpha, or 8-bit grey with alpha, are)")
        return pr
    # JPEG, WEBP
    im = _pil_open(path, buf)
    _check_pixels(path, *im.size)
    icc = im.info.get("icc_profile") or None
    exif = _pil_exif(im)
    ch = len(im.getbands())
    pr = _Probe(path, buf, fmt, im.size[0], im.size[1], 8, ch, icc, exif, _exif_orientation(exif), im, im.mode)
    pr.alpha = "straight" if "A" in im.getbands() or "a" in im.mode else ""
    return pr


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
