"""Encoding pixels into file bytes for :func:`kolors.io.images.write_image`: the bit-depth
conversion, 16-bit PNG (OpenCV's encoder, the ``iCCP``/``eXIf`` chunks inserted here),
TIFF (written here: Pillow's IFD encoder, Adobe deflate, horizontal / floating-point
predictor, EXIF as a proper Exif sub-IFD) and the Pillow formats (JPEG, 8-bit PNG, WebP).

Arrays are ``H×W×3`` RGB or ``H×W×4`` RGBA (straight alpha last), sRGB-encoded, uint8,
uint16 or float32 (TIFF only; values kept as they are, also outside [0, 1]).
"""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, TiffImagePlugin, TiffTags

from .exif import _TAG_EXIF_IFD, _TAG_GPS_IFD, _TIFF_META_TAGS, _exif_tiff
from .icc import _TAG_ICC

_MAXV = {8: 255, 16: 65535}


def _to_bits(data: np.ndarray, bits: int) -> np.ndarray:
    """Convert uint8/uint16/float32 samples (any shape) to ``bits`` (8/16 → uint, 32 →
    float32); float → int rounds and clips to [0, 1], NaN → 0."""
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
    """A 16-bit PNG of ``arr`` (``H×W×3`` or ``H×W×4`` uint16) with the profile ``icc``
    and the EXIF block ``exif``."""
    import cv2
    bgr = arr[..., [2, 1, 0, 3]] if arr.shape[2] == 4 else arr[..., ::-1]
    ok, enc = cv2.imencode(".png", np.ascontiguousarray(bgr),
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
    """A TIFF of ``arr`` (``H×W×3`` RGB or ``H×W×4`` RGBA with unassociated alpha, of
    ``bits`` 8, 16 or 32 float) with the profile ``icc`` and the EXIF block ``exif``."""
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
    if spp == 4:
        ifd[338] = (2,)  # ExtraSamples: unassociated (straight) alpha
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




def _encode_pil(fmt: str, arr: np.ndarray, icc: bytes, exif: bytes | None, quality: int) -> bytes:
    """JPEG, 8-bit PNG, WebP, AVIF or JPEG XL of ``arr`` (``H×W×3`` or, but for JPEG,
    ``H×W×4`` uint8) through Pillow (AVIF: its own libavif encoder; JPEG XL: the
    pillow-jxl-plugin package): ``quality`` for JPEG (4:4:4 chroma at 90 and above, 4:2:0
    below), WebP, AVIF and JPEG XL (100 = lossless for WebP and JPEG XL)."""
    im = Image.fromarray(arr, "RGBA" if arr.shape[2] == 4 else "RGB")
    kw: dict[str, Any] = {"icc_profile": icc}
    if exif:
        kw["exif"] = exif if fmt != "WEBP" else _exif_tiff(exif)
    if fmt == "JPEG":
        kw.update(quality=int(quality), subsampling=0 if quality >= 90 else 2, optimize=True)
    elif fmt == "WEBP":
        kw.update(quality=int(quality), lossless=int(quality) >= 100, method=4,
                  exact=True)  # keep the colour under transparent pixels as it is
    elif fmt == "PNG":
        kw.update(compress_level=6)
    elif fmt == "AVIF":
        kw.update(quality=int(quality), subsampling="4:4:4" if quality >= 90 else "4:2:0", speed=6)
    elif fmt == "JXL":
        import pillow_jxl  # noqa: F401 - registers the JXL format with Pillow
        kw.update(quality=int(quality), lossless=int(quality) >= 100, effort=7)
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()
